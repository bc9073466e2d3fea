"""Text from outside (titles, abstracts, names, notes) made inert for Quarto Markdown.

Every string a page shows goes through `escape_markdown` (body text and YAML values alike:
Pandoc reads metadata strings as Markdown too), so that HTML, shortcodes (``{{< >}}``),
math, citations, headings, rules and YAML blocks in the text stay text. HTML litscope
makes itself (highlighted abstracts, summaries) goes through `raw_html`.
"""
from __future__ import annotations

import html
import re
import unicodedata
from typing import Any, Iterable, Mapping
from urllib.parse import quote, urlsplit

import yaml
from markdown_it import MarkdownIt
from markupsafe import Markup

# Characters with a meaning anywhere in Pandoc/Quarto Markdown: raw HTML and autolinks
# (<>), entities (&), shortcodes and attributes ({}), links, spans and footnotes ([]^),
# emphasis (*_), code (`), math ($), citations and cross-references (@), headings and
# ids (#), tables and line blocks (|), sub/strikeout (~), escapes (\).
#: How pages and digests label the structured summary fields.
SUMMARY_LABELS = {"tldr": "TL;DR", "motivation": "Motivation", "problem": "Problem",
                  "analysis": "Analysis", "method": "Method", "result": "Result",
                  "conclusion": "Conclusion", "contribution": "Contribution"}

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>&#|$@~^])")
# Line starts that open a block: lists (- + 1. 1)), setext underlines and rules (- =),
# definition lists and fenced divs (:), Pandoc title blocks (%).
_LINE_START = re.compile(r"^(?:([-+=:%])|(\d+)([.)]))", re.M)
_DASHES = re.compile(r"-{2,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_BACKTICKS = re.compile(r"`+")
_MARK_TAG = re.compile(r'<mark(?: class="[\w-]*")?(?: title="[^"<>]*")?>|</mark>')


def clean_text(text: Any) -> str:
    """`text` as a str with control characters removed and line ends normalised."""
    if text is None or (not isinstance(text, str) and text != text):  # None or NaN/NA
        return ""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CONTROL.sub("", text)


def one_line(text: Any) -> str:
    """`text` on one line, runs of whitespace folded."""
    return " ".join(clean_text(text).split())


def escape_markdown(text: Any, *, line_start: bool = True) -> str:
    """Markdown that Pandoc and Quarto render as exactly `text` (paragraphs kept).

    ``line_start=False`` is for text placed after other text on its first line (table
    cells), where a leading ``1.`` or ``-`` cannot open a list."""
    lines = [line.strip() for line in clean_text(text).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    text = _SPECIAL.sub(r"\\\1", text)
    text = _DASHES.sub(lambda m: "\\-" * len(m.group()), text)  # keep "--" from smart dashes
    escaped = _LINE_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}",
                              text)
    return escaped if line_start or "\n" in text else text


def escape_inline(text: Any, *, line_start: bool = True) -> str:
    """`escape_markdown` of `text` on one line (headings, list items, table cells)."""
    return escape_markdown(one_line(text), line_start=line_start)


def _inert_html(fragment: str) -> str:
    """Raw HTML that Quarto will not read shortcodes or fences in (braces, backticks)."""
    return fragment.replace("{", "&#123;").replace("}", "&#125;").replace("`", "&#96;")


def raw_html(fragment: str) -> Markup:
    """A fenced raw-HTML block holding `fragment` (HTML litscope produced and trusts)."""
    fragment = _inert_html(fragment)
    fence = "`" * max(3, 1 + max((len(m) for m in _BACKTICKS.findall(fragment)), default=0))
    return Markup(f"{fence}{{=html}}\n{fragment}\n{fence}")


def highlighted_html(fragment: str, plain: str) -> str:
    """`fragment` (escaped text with ``<mark>`` spans from the scorer) if it holds no other
    markup, else `plain` escaped: the page never trusts more HTML than it expects."""
    rest = _MARK_TAG.sub("", fragment)
    return html.escape(plain) if "<" in rest or ">" in rest else fragment


_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}) \
    .enable("table").enable("strikethrough").disable("image")


def markdown_to_html(text: Any, demote: int = 3) -> str:
    """Render Markdown from outside (an LLM summary) to HTML with its raw HTML and images
    disabled and unsafe link schemes (javascript:, data:) refused by markdown-it; headings
    move down `demote` levels so that they sit below the page's own sections."""
    tokens = _MD.parse(clean_text(text))
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + demote, 6)}"
    return _MD.renderer.render(tokens, _MD.options, {})


def markdown_table(rows: Iterable[Mapping[str, Any]], columns: Mapping[str, str]) -> Markup:
    """A pipe table of `rows`; `columns` maps keys to headers. Cells are escaped."""
    def cell(value: Any) -> str:
        if isinstance(value, float) and value == value:
            value = f"{value:.3g}"
        return escape_inline(value, line_start=False) or " "
    lines = ["| " + " | ".join(escape_inline(h, line_start=False) for h in columns.values()) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(row.get(k)) for k in columns) + " |" for row in rows]
    return Markup("\n".join(lines))


def safe_url(url: Any) -> Markup | None:
    """An http(s) URL percent-quoted so that it cannot end a Markdown link, or None."""
    url = one_line(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return Markup(quote(url, safe="/:?=&%#.-_~+,;"))


def safe_category(text: Any, limit: int = 60) -> str:
    """A listing category: letters, digits, spaces, dots and hyphens only.

    Quarto puts categories into HTML attributes and JavaScript strings unescaped, so
    anything else in them (quotes, brackets, Markdown) is replaced by a space.
    """
    text = unicodedata.normalize("NFKC", one_line(text))
    text = "".join(c if c.isalnum() or c in " .-" else " " for c in text)
    return " ".join(text.split())[:limit].strip(" .-")


def slugify(text: Any, fallback: str = "page") -> str:
    """An ASCII file name stem for `text` (``"cs.CL"`` → ``"cs.cl"``)."""
    text = unicodedata.normalize("NFKD", one_line(text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.")[:80].strip("-.")
    return slug or fallback


# Plain scalars YAML 1.2's core schema (Quarto's and Pandoc's parsers) reads as null, bool,
# int or float; PyYAML (YAML 1.1) quotes most of them, but not e.g. "1e3" or "0o17".
_YAML12_NOT_STR = re.compile(r"""(?x)(
    ~ | null | Null | NULL | true | True | TRUE | false | False | FALSE
  | [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+
  | [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN) )""")


class _Dumper(yaml.SafeDumper):
    """Plain YAML: no aliases; strings quoted whenever YAML 1.1 or 1.2 would read them as
    anything but a string."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if _YAML12_NOT_STR.fullmatch(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="'")
        return super().represent_str(data)


_Dumper.add_representer(str, _Dumper.represent_str)


def dump_yaml(data: Mapping[str, Any]) -> str:
    """`data` as YAML text (written by the YAML library, never by concatenation)."""
    return yaml.dump(dict(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=4096)


def front_matter(data: Mapping[str, Any]) -> Markup:
    """A page's ``---`` delimited YAML front matter."""
    return Markup(f"---\n{dump_yaml(data)}---")
