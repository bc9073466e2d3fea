"""Synthetic arXiv-like corpora for benchmarks, at any size, cached as Parquet.

Text comes from a word-bigram Markov chain trained on the embedded sample's abstracts and
titles (whitespace tokens, so case and punctuation are kept): word frequencies, and so
keyword and phrase rates, are those of real abstracts. Abstracts are cut at ~1,200
characters (normal, sd 200), titles have 8-15 words; authors, categories, dates and
comments are drawn to look like arXiv listings. Generation is vectorised (NumPy + Arrow)
and deterministic for a given size and seed.

    python benchmarks/synth.py 100000     # writes benchmarks/.cache/synth-100000.parquet
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from litscope.sample import load_sample

CACHE = Path(__file__).resolve().parent / ".cache"
BATCH = 65_536
ABSTRACT_CHARS = (1200, 200)
TITLE_WORDS = (8, 15)
CATEGORIES = {"cs.CL": 0.22, "cs.LG": 0.3, "cs.AI": 0.15, "cs.CV": 0.15, "cs.DC": 0.04,
              "stat.ML": 0.05, "cs.IR": 0.03, "cs.RO": 0.03, "cs.CR": 0.03}
VENUES = ["NeurIPS 2025", "ICLR 2026", "ACL 2025", "EMNLP 2025", "ICML 2025", "MLSys 2026"]
FIRST_NAMES = ["Wei", "Yi", "Jun", "Maria", "John", "Anna", "Ravi", "Sara", "Li", "Ahmed",
               "Elena", "Kenji", "Olga", "Carlos", "Hao", "Priya", "Tom", "Mei", "Lukas", "Zoe"]


class Chain:
    """A word-bigram Markov chain over a circular sequence of texts."""

    def __init__(self, texts: list[str]):
        tokens = [text.split() for text in texts if text and text.split()]
        vocab, sequence = np.unique(np.array([t for doc in tokens for t in doc], dtype=object),
                                    return_inverse=True)
        self.vocab = pa.array(vocab.tolist(), pa.string())
        self.lengths = np.array([len(w.encode()) for w in vocab.tolist()], np.int64)
        self.sequence = sequence.astype(np.int64)
        self.order = np.argsort(self.sequence, kind="stable")
        counts = np.bincount(self.sequence, minlength=len(vocab))
        self.first = np.r_[0, np.cumsum(counts)[:-1]]
        self.counts = counts
        starts = np.cumsum([0] + [len(doc) for doc in tokens[:-1]])
        self.starts = self.sequence[starts]

    def walk(self, rng: np.random.Generator, n: int, steps: int) -> np.ndarray:
        """`n` random walks of `steps` token ids, each starting like a real text."""
        out = np.empty((n, steps), np.int64)
        out[:, 0] = rng.choice(self.starts, n)
        for step in range(1, steps):
            current = out[:, step - 1]
            pick = self.first[current] + (rng.random(n) * self.counts[current]).astype(np.int64)
            out[:, step] = self.sequence[(self.order[pick] + 1) % len(self.sequence)]
        return out

    def texts(self, ids: np.ndarray, lengths: np.ndarray) -> pa.Array:
        """Join the first `lengths[i]` tokens of each row of `ids` with spaces."""
        keep = np.arange(ids.shape[1]) < lengths[:, None]
        offsets = np.r_[0, np.cumsum(lengths)].astype(np.int32)
        words = pa.ListArray.from_arrays(pa.array(offsets), self.vocab.take(pa.array(ids[keep])))
        return pc.binary_join(words, " ")


def _cut(chain: Chain, ids: np.ndarray, target: np.ndarray) -> np.ndarray:
    """How many tokens make each row reach `target` characters."""
    chars = np.cumsum(chain.lengths[ids] + 1, axis=1)
    return np.minimum((chars < target[:, None]).sum(axis=1) + 1, ids.shape[1])


def _lists(rng: np.random.Generator, values: pa.Array, sizes: np.ndarray) -> pa.ListArray:
    offsets = np.r_[0, np.cumsum(sizes)].astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values.take(pa.array(rng.integers(0, len(values), offsets[-1]))))


class Generator:
    """Makes batches of synthetic papers with the columns litscope scores."""

    def __init__(self):
        sample = load_sample()
        self.abstracts = Chain([a for a in sample["abstract"].dropna()])
        self.titles = Chain([t for t in sample["title"].dropna() if not t.endswith("…")])
        last = sorted({a.split()[-1] for authors in sample["authors"] for a in authors if a.split()})
        names = [f"{first} {family}" for first in FIRST_NAMES for family in last]
        self.names = pa.array(names, pa.string())

    def batch(self, start: int, n: int, seed: int) -> pa.Table:
        rng = np.random.default_rng([seed, start])
        target = np.clip(rng.normal(*ABSTRACT_CHARS, n), 500, 2200)
        steps = int(target.max() / 4)
        ids = self.abstracts.walk(rng, n, steps)
        abstract = self.abstracts.texts(ids, _cut(self.abstracts, ids, target))
        title_words = rng.integers(TITLE_WORDS[0], TITLE_WORDS[1] + 1, n)
        title = self.titles.texts(self.titles.walk(rng, n, TITLE_WORDS[1]), title_words)
        cats = list(CATEGORIES)
        primary = rng.choice(len(cats), n, p=np.array(list(CATEGORIES.values())) / sum(CATEGORIES.values()))
        cross = rng.choice(len(cats), n)
        has_cross = (rng.random(n) < 0.4) & (cross != primary)
        cat_values = np.column_stack([primary, cross]).ravel()[np.column_stack([np.ones(n, bool), has_cross]).ravel()]
        categories = pa.ListArray.from_arrays(pa.array(np.r_[0, np.cumsum(1 + has_cross)].astype(np.int32)),
                                              pa.array(cats).take(pa.array(cat_values)))
        authors = _lists(rng, self.names, np.minimum(rng.geometric(0.25, n), 20))
        days = rng.integers(0, 730, n)
        published = pa.array((np.datetime64("2025-12-05", "s") - days.astype("timedelta64[D]")).astype("datetime64[us]"),
                             pa.timestamp("us", tz="UTC"))
        kind = rng.random(n)
        comment = [f"{p} pages, {f} figures" if k < 0.4 else f"Accepted at {VENUES[p % len(VENUES)]}"
                   if k < 0.5 else None for k, p, f in zip(kind, rng.integers(4, 40, n), rng.integers(1, 12, n))]
        index = np.arange(start, start + n)
        paper_ids = [f"24{(i // 100_000) % 12 + 1:02d}.{i % 100_000:05d}" if i < 1_200_000 else f"s{i}"
                     for i in index.tolist()]
        return pa.table({
            "id": pa.array(paper_ids, pa.string()), "title": title, "authors": authors,
            "abstract": abstract, "primary_category": pa.array(cats).take(pa.array(primary)),
            "categories": categories, "published": published,
            "comment": pa.array(comment, pa.string()), "source": pa.array(["synthetic"] * n),
        })


def corpus(n: int, seed: int = 0) -> Path:
    """The Parquet file of `n` synthetic papers (generated on first use, then cached)."""
    path = CACHE / f"synth-{n}-{seed}.parquet"
    if path.is_file():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    generator = Generator()
    tmp = path.with_suffix(".tmp")
    writer = None
    with tqdm(total=n, unit="paper", desc=f"generating {n} papers") as bar:
        for start in range(0, n, BATCH):
            table = generator.batch(start, min(BATCH, n - start), seed)
            writer = writer or pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
            bar.update(len(table))
    writer.close()
    tmp.replace(path)
    return path


if __name__ == "__main__":
    for size in sys.argv[1:] or ["10000"]:
        print(corpus(int(size)))
