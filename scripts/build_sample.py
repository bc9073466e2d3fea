"""Rebuild the embedded sample corpus (lib/litscope/data/sample.parquet) from the seed digests.

usage: python scripts/build_sample.py [SEEDS_DIR]    (default: ../shared/seeds beside the repo)
"""
from __future__ import annotations

import argparse
from pathlib import Path

from litscope.sample import SAMPLE_FILE, build_sample, write_sample

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", nargs="?", type=Path, default=REPO.parent / "shared" / "seeds",
                        help="folder of digest files to import (default: %(default)s)")
    args = parser.parse_args()
    digests = sorted(p for p in args.seeds.iterdir() if p.is_file())
    if not digests:
        parser.error(f"no digest files in {args.seeds}")
    papers = build_sample(digests)
    path = write_sample(papers, REPO / "lib" / "litscope" / SAMPLE_FILE)
    print(papers["source"].value_counts().sort_index().to_string())
    print(f"{len(papers)} papers from {len(digests)} digests -> {path.relative_to(REPO)} "
          f"({path.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
