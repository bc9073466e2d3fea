"""A store curated as a person would: the embedded sample, 16 labels (the digest's subtopic
效率与压缩, efficiency and compression, as the includes) and a small library."""
from __future__ import annotations

from pathlib import Path

LIBRARY = Path(__file__).resolve().parent / "fixtures" / "my-library.bib"
WANTED = "效率与压缩"


def curate_sample(store, seed: int = 0, library: str = "my-library") -> None:
    """Fill `store` with the sample, label 8 papers of `WANTED` include and 8 others exclude
    (drawn with `seed`), and import `LIBRARY` (7 items, 5 of them sample papers) as `library`."""
    from litscope.sample import load_sample
    from litscope.sources.library import import_library
    store.add_papers(load_sample())
    papers = store.papers()
    wanted = papers["subtopic"] == WANTED
    for paper_id in papers.loc[wanted, "id"].sample(8, random_state=seed):
        store.set_label(paper_id, "include")
    for paper_id in papers.loc[papers["subtopic"].notna() & ~wanted, "id"].sample(8, random_state=seed):
        store.set_label(paper_id, "exclude")
    import_library(store, LIBRARY, name=library)
