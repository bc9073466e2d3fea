"""Plain-text views of papers for the terminal (importable without pandas: the command line
builds its messages with it before any heavy import)."""
from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def counted(n: int, word: str) -> str:
    """``"1 paper"``, ``"2 papers"``, ``"3 searches"``: a count with its noun."""
    return f"{n} {word}{'' if n == 1 else 'es' if word.endswith(('h', 's')) else 's'}"


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def format_table(papers: pd.DataFrame, width: int | None = None) -> str:
    """A readable fixed-width table: rank/score when scored, date, category, id, title."""
    import pandas as pd
    if papers.empty:
        return "(no papers: import a digest with 'litscope import' or fetch with 'litscope fetch')"
    width = width or shutil.get_terminal_size((120, 24)).columns
    cols: list[tuple[str, list[str]]] = []
    if "rank" in papers:
        cols.append(("#", [str(r) for r in papers["rank"]]))
    if "score" in papers:
        cols.append(("score", [f"{s:.2f}" for s in papers["score"]]))
    cols.append(("date", [d.strftime("%Y-%m-%d") if pd.notna(d) else "-" for d in papers["published"]]))
    cols.append(("category", [c if isinstance(c, str) else "-" for c in papers["primary_category"]]))
    cols.append(("id", list(papers["id"])))
    if "label" in papers:
        cols.append(("label", [v if isinstance(v, str) else "" for v in papers["label"]]))
    sizes = [max(len(h), *(len(v) for v in vals)) for h, vals in cols]
    used = sum(sizes) + 2 * len(sizes)
    title_width = max(width - used, 30)
    titles = [_shorten(" ".join(str(t).split()), title_width) for t in papers["title"]]
    lines = ["  ".join(h.ljust(s) for (h, _), s in zip(cols, sizes)) + "  title"]
    for i, title in enumerate(titles):
        lines.append("  ".join(vals[i].ljust(s) for (_, vals), s in zip(cols, sizes)) + "  " + title)
    return "\n".join(lines)
