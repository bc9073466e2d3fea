"""Hostile text for the publishing tests: strings that try to inject HTML, run Quarto
shortcodes, start Markdown blocks or break YAML front matter."""
from __future__ import annotations

import pandas as pd

from litscope.schema import papers_frame

SCRIPT = "<script>alert(1)</script>"
SHORTCODE = "{{< include /etc/passwd >}}"
MATH = "$x$"
CITE = "@cite"
#: Each hostile string, and the HTML element it would produce if it were not escaped.
PAYLOADS = {
    "script": SCRIPT,
    "img": '<img src=x onerror="alert(2)">',
    "shortcode": SHORTCODE,
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
        "authors": [SCRIPT, "O'Brien, \"Jr.\"", "# Heading", "---", SHORTCODE],
        "abstract": body + "\n\n---\ntitle: injected\n---\n\n" + LONG,
        "primary_category": "cs.CL",
        "categories": ["cs.CL", "cs.<b>LG</b>"],
        "published": "2025-12-01T00:00:00Z",
        "updated": "2025-12-01T00:00:00Z",
        "source": "test",
        "comment": SHORTCODE + " " + MATH,
        "tldr": SCRIPT + " " + CITE,
        "motivation": "# not a heading\n---\n" + SHORTCODE,
        "summary": "## Heading\n\n" + SCRIPT + "\n\n[x](javascript:alert(4)) ![i](http://evil/i.png)\n\n"
                   + SHORTCODE + "\n\n```\n" + SHORTCODE + "\n```",
        "title_zh": "中文标题 " + SCRIPT,
        "abstract_zh": "摘要 " + SHORTCODE,
        "topic": "Topic: " + SCRIPT,
        "subtopic": "--- " + SHORTCODE,
        "tags": [SCRIPT, "@tag", "a|b"],
    }
    rows = [
        {**base, "id": "2512.00001", "title": SCRIPT + " " + SHORTCODE,
         "abs_url": "javascript:alert(5)", "pdf_url": "https://arxiv.org/pdf/2512.00001\")<x>"},
        {**base, "id": "2512.00002", "title": "---\ntitle: injected\n---", "abs_url": None},
        {**base, "id": "h:0123456789abcdef", "title": 'key: "value" | > \\ ' + MATH + " " + CITE + " " + LONG[:500],
         "published": "2025-12-02T00:00:00Z"},
    ]
    frame = papers_frame(rows)
    frame["score"] = [3.5, 2.25, -1.0]
    frame["rank"] = [1, 2, 3]
    return frame
