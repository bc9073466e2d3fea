"""Text from outside (titles, abstracts, names, notes) made inert wherever Quarto reads it.

Every piece of outside text reaches a page through exactly one function per context:

- `escape_markdown` / `escape_inline`: Markdown of a page's body;
- `meta_text`: a string in front matter (title, subtitle, byline, ...). Pandoc reads it as
  Markdown, and Quarto then looks for shortcodes in the parsed text: a `<` or `>` of the
  text becomes an inline of its own, so that no shortcode delimiter survives parsing;
- `category_text`: a listing category (Quarto writes categories into HTML, JavaScript and
  Pandoc's native format unescaped);
- `html_text`: text inside raw HTML that litscope builds; `raw_html` fences such HTML;
- `safe_url`: a link target (http and https only).

`front_matter` applies `meta_text` and `category_text` to every string it is given, so
no field can skip them; litscope's own settings (listing options, dates) are marked
`Markup`. Nothing from outside goes into a page's ``description``: Quarto copies that
field into the RSS feed unescaped, so the feed takes the page's first paragraph instead.
"""
from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections import Counter
from typing import Any, Iterable, Mapping
from urllib.parse import quote, urlsplit

import yaml
from markdown_it import MarkdownIt
from markupsafe import Markup

from ..schema import missing

#: How pages and digests label the structured summary fields.
SUMMARY_LABELS = {"tldr": "TL;DR", "motivation": "Motivation", "problem": "Problem",
                  "analysis": "Analysis", "method": "Method", "result": "Result",
                  "conclusion": "Conclusion", "contribution": "Contribution"}

# Characters with a meaning anywhere in Pandoc/Quarto Markdown: raw HTML and autolinks
# (<>), entities (&), shortcodes and attributes ({}), links, spans and footnotes ([]^),
# emphasis (*_), code (`), math ($), citations and cross-references (@), headings and
# ids (#), tables and line blocks (|), sub/strikeout (~), escapes (\), smart quotes ('").
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>&#|$@~^'\"])")
# Line starts that open a block: lists (- + 1. 1)), setext underlines and rules (- =),
# definition lists and fenced divs (:), Pandoc title blocks (%).
_LINE_START = re.compile(r"^(?:([-+=:%])|(\d+)([.)]))", re.M)
# Runs Pandoc or Quarto read: smart dashes and ellipses, and three colons (Quarto warns of
# a broken fenced div wherever a piece of text holds ":::").
_RUNS = re.compile(r"-{2,}|\.{3,}|:{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_BACKTICKS = re.compile(r"`+")
_MARK_TAG = re.compile(r'<mark(?: class="[\w-]*")?(?: title="[^"<>]*")?>|</mark>')
# In raw HTML, entities for what HTML, Markdown (should Pandoc read the HTML's text) and
# Quarto's shortcodes give a meaning to.
_HTML_SPECIAL = re.compile(r"[&<>\"'`*_{}\[\]\\#$@~^|]")
# A listing category: Quarto joins an item's categories with commas, writes them into
# the category list as HTML and into Pandoc's native format with backslashes unescaped.
_CATEGORY_CHARS = str.maketrans({",": "\u201a", "<": "\u2039", ">": "\u203a", "&": "\uff06",
                                 "\\": "\u29f5"})


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
    text = _RUNS.sub(_break_run, text)
    escaped = _LINE_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}",
                              text)
    return escaped if line_start or "\n" in text else text


def _break_run(match: re.Match) -> str:
    run = match.group()
    if run[0] == ":":   # each colon after the first its own inline
        return ":" + "[:]{}" * (len(run) - 1)
    return "".join("\\" + c for c in run)


def escape_inline(text: Any, *, line_start: bool = True) -> str:
    """`escape_markdown` of `text` on one line (headings, list items, table cells)."""
    return escape_markdown(one_line(text), line_start=line_start)


def meta_text(text: Any) -> str:
    """A front-matter string that Quarto shows as exactly `text`, shortcodes never run.

    Quarto finds shortcodes in front matter after Pandoc has parsed it, by looking for a
    piece of text ending in ``{{<`` or starting with ``>}}``, so escaping alone does not
    help; every ``<`` and ``>`` is put in an empty span, which keeps them apart."""
    return escape_inline(text).replace("\\<", "[\\<]{}").replace("\\>", "[\\>]{}")


def category_text(text: Any, limit: int = 80) -> str:
    """A listing category that shows as `text`, with the few characters Quarto cannot carry
    in a category (comma, ``<``, ``>``, ``&``, backslash) replaced by look-alikes."""
    return one_line(text).translate(_CATEGORY_CHARS)[:limit].strip()


def html_text(text: Any) -> str:
    """`text` on one line for the inside of litscope's raw HTML: every character that HTML,
    Markdown or a Quarto shortcode reads is a numeric entity."""
    return _HTML_SPECIAL.sub(lambda m: f"&#{ord(m.group())};", one_line(text))


def raw_html(fragment: str) -> Markup:
    """A fenced raw-HTML block holding `fragment` (HTML litscope produced and trusts).

    Quarto runs shortcodes even in raw blocks: an opening ``{{<`` loses its braces."""
    fragment = fragment.replace("{{<", "&#123;&#123;<")
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


def present(value: Any) -> bool:
    """Whether a field holds something: not None, NA, NaN, NaT, blank or an empty list."""
    return not missing(value)


def byline(authors: Iterable[str], limit: int = 3) -> str:
    """``"A, B, C et al."`` for a list of author names; empty without any."""
    names = [one_line(a) for a in authors if one_line(a)]
    return ", ".join(names[:limit]) + (" et al." if len(names) > limit else "")


def slugify(text: Any, fallback: str = "page") -> str:
    """An ASCII file name stem for `text` (``"cs.CL"`` → ``"cs.cl"``); never holds ``--``."""
    text = unicodedata.normalize("NFKD", one_line(text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.")[:80].strip("-.")
    return slug or fallback


#: Names of pages litscope writes itself (and ones some systems reserve): no paper, topic or
#: day page may take them.
FIXED_PAGES = frozenset({"index", "methods", "papers", "topics", "days", "listing", "search", "404",
                         "con", "prn", "aux", "nul"})


def page_slugs(names: Iterable[Any], fallback: str, keys: Iterable[str] | None = None) -> list[str]:
    """A file name stem per name, the same on every run, unique among them and never one of
    `FIXED_PAGES`: a name that is its own slug (an arXiv id, ``llm``) keeps it; any other
    gets ``--`` and a hash of its key (the name, or `keys`), which no slug of its own holds,
    so ``Foo``, ``foo`` and ``foo-2`` become ``foo--1a2b3c4d``, ``foo`` and ``foo-2``."""
    names = [str(n) for n in names]
    keys = names if keys is None else [str(k) for k in keys]
    digest = lambda key, n=8: hashlib.sha1(key.encode()).hexdigest()[:n]
    slugs = [slug if slug == name == key and slug not in FIXED_PAGES else f"{slug or fallback}--{digest(key)}"
             for name, key in zip(names, keys) for slug in [slugify(name, "")]]
    taken = Counter(slugs)      # two keys whose short hashes meet: their whole hashes
    return [f"{slugify(name, fallback)}--{digest(key, 40)}" if taken[slug] > 1 and keys.count(key) == 1 else slug
            for slug, name, key in zip(slugs, names, keys)]


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
_Dumper.add_representer(Markup, _Dumper.represent_str)


def dump_yaml(data: Mapping[str, Any]) -> str:
    """`data` as YAML text (written by the YAML library, never by concatenation)."""
    return yaml.dump(dict(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=4096)


def trusted(value: Any) -> Any:
    """`value` with every string in it marked `Markup`: litscope's own settings, which
    `metadata_yaml` writes as they are."""
    if isinstance(value, str):
        return Markup(value)
    if isinstance(value, Mapping):
        return {k: trusted(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [trusted(v) for v in value]
    return value


def _escaped(value: Any, key: str | None = None) -> Any:
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return category_text(value) if key == "categories" else meta_text(value)
    if isinstance(value, Mapping):
        return {k: _escaped(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_escaped(v, key) for v in value]
    return value


def metadata_yaml(data: Mapping[str, Any]) -> str:
    """Page metadata as YAML: every string not marked `Markup` is outside text, written
    through `category_text` under ``categories`` and `meta_text` everywhere else."""
    return dump_yaml(_escaped(data))


def front_matter(data: Mapping[str, Any]) -> Markup:
    """A page's ``---`` delimited front matter (`metadata_yaml`)."""
    return Markup(f"---\n{metadata_yaml(data)}---")
