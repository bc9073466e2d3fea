"""Hostile text for the publishing tests: strings that try to inject HTML, run Quarto
shortcodes (every form, and `env`, which would copy an environment variable into the
page), start Markdown blocks or break YAML front matter."""
from __future__ import annotations

import pandas as pd

from litscope.schema import papers_frame

SCRIPT = "<script>alert(1)</script>"
SHORTCODE = "{{< include /etc/passwd >}}"
#: The variable the render tests set to SECRET; its value must appear nowhere in a site.
SECRET_ENV, SECRET = "LITSCOPE_TEST_SECRET", "s3cr3t-value-4f1d9b"
ENV = "{{< env LITSCOPE_TEST_SECRET >}}"
MATH = "$x$"
CITE = "@cite"
#: Each hostile string, and the HTML element it would produce if it were not escaped.
PAYLOADS = {
    "script": SCRIPT,
    "img": '<img src=x onerror="alert(2)">',
    "shortcode": SHORTCODE,
    "env": ENV,
    "escaped": "{{{< env LITSCOPE_TEST_SECRET >}}}",
    "commented": "{{</* env LITSCOPE_TEST_SECRET */>}}",
    "meta": "{{< meta title >}}",
    "var": "{{< var version >}}",
    "pagebreak": "{{< pagebreak >}}",
    "stray": ">}} stray {{<",
    "entity": "&lt;b&gt; &amp; &#60;i&#62;",
    "autolink": "<javascript:alert(6)>",
    "math": MATH,
    "cite": CITE,
    "heading": "# Injected heading",
    "rule": "---",
    "yaml": 'key: "value" \'quoted\' | pipe > folded',
    "backslash": "C:\\path\\to\\file \\alpha \\\\ end\\",
    "unicode": "Ünïcödé 中文 🚀 \u200b zero-width",
    "link": "[click](javascript:alert(3))",
    "comment": "<!-- hidden -->",
    "div": "::: {.callout-warning}",
    "raw": "`<b>raw</b>`{=html}",
}
LONG = "very long text " * 2000


def hostile_text(separator: str = "\n") -> str:
    """All payloads, each on its own line (so line-start ones start a line)."""
    return separator.join(PAYLOADS.values())


def hostile_papers() -> pd.DataFrame:
    """Three papers whose every text field is hostile, in the paper schema."""
    body = hostile_text()
    base = {
        "authors": [SCRIPT, "O'Brien, \"Jr.\"", "# Heading", "---", SHORTCODE, ENV],
        "abstract": body + "\n\n---\ntitle: injected\n---\n\n" + LONG,
        "primary_category": "cs.CL",
        "categories": ["cs.CL", "cs.<b>LG</b>"],
        "published": "2025-12-01T00:00:00Z",
        "updated": "2025-12-01T00:00:00Z",
        "source": "test",
        "comment": SHORTCODE + " " + MATH,
        "tldr": SCRIPT + " " + CITE + " " + ENV + ' <img src=x onerror="alert(7)">',
        "motivation": "# not a heading\n---\n" + SHORTCODE,
        "summary": "## Heading\n\n" + SCRIPT + "\n\n[x](javascript:alert(4)) ![i](http://evil/i.png)\n\n"
                   + SHORTCODE + " " + ENV + "\n\n```\n" + SHORTCODE + "\n```",
        "title_zh": "中文标题 " + SCRIPT + " " + ENV,
        "abstract_zh": "摘要 " + SHORTCODE,
        "topic": "Topic: " + SCRIPT + ", " + ENV,
        "subtopic": "--- " + SHORTCODE + " C:\\dir",
        "tags": [SCRIPT, "@tag", "a|b", ENV, "Agent", "agents"],
    }
    rows = [
        {**base, "id": "2512.00001", "title": SCRIPT + " " + SHORTCODE + " " + ENV,
         "abs_url": "javascript:alert(5)", "pdf_url": "https://arxiv.org/pdf/2512.00001\")<x>"},
        {**base, "id": "2512.00002", "title": "---\ntitle: injected\n---", "abs_url": None},
        {**base, "id": "h:0123456789abcdef", "title": 'key: "value" | > \\ ' + MATH + " " + CITE + " " + LONG[:500],
         "published": "2025-12-02T00:00:00Z"},
    ]
    frame = papers_frame(rows)
    frame["score"] = [3.5, 2.25, -1.0]
    frame["rank"] = [1, 2, 3]
    return frame
