"""The embedded sample corpus: the papers of five real digests, shipped inside the package
so that ``litscope demo``, the notebooks and the tests work offline on a fresh machine.

`scripts/build_sample.py` rebuilds it from the seed digests with `build_sample`.
"""
from __future__ import annotations

import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Iterable

import pandas as pd
import pyarrow.parquet as pq

from .sources.digests import read_digest
from .schema import from_arrow, to_arrow, validate_papers
from .store import Store

#: Where the sample lives inside the installed package.
SAMPLE_FILE = "data/sample.parquet"


def load_sample() -> pd.DataFrame:
    """The sample corpus as a papers DataFrame (``source`` says which digest each came from)."""
    with files("litscope").joinpath(SAMPLE_FILE).open("rb") as stream:
        return validate_papers(from_arrow(pq.read_table(stream)), where=f"litscope/{SAMPLE_FILE}")


def build_sample(digests: Iterable[str | Path]) -> pd.DataFrame:
    """Import `digests` (in name order) into a scratch store and read it back, so a paper that
    two digests list is merged by the store's one rule, as ``litscope import`` would merge
    it: the later digest's copy wins field by field and the earlier one fills its gaps."""
    with tempfile.TemporaryDirectory(prefix="litscope-sample-") as scratch:
        store = Store(scratch)
        for digest in sorted(map(Path, digests)):
            store.add_papers(read_digest(digest))
        return store.papers()


def write_sample(papers: pd.DataFrame, path: str | Path) -> Path:
    """Write `papers` as zstd-compressed Parquet with the paper schema."""
    pq.write_table(to_arrow(papers), path, compression="zstd", compression_level=19)
    return Path(path)
