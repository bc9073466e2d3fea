"""Synthetic lines of arXiv's metadata snapshot (arxiv-metadata-oai-snapshot.json), with
every field the real file has, in its order and formats."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

CATEGORIES = ["cs.CL", "cs.LG", "cs.AI", "cs.CV", "cs.DC", "stat.ML", "math.OC", "hep-th", "quant-ph"]
WORDS = ("language model attention decoding speculative cache retrieval agent reward policy alignment "
         "benchmark training inference efficient sparse quantization token context reasoning").split()
START = datetime(2023, 1, 2, 9, 0, tzinfo=timezone.utc)


def record(i: int) -> dict:
    """The i-th synthetic paper: two days' papers per 1,000 lines, from 2023-01-02 on."""
    created = START + timedelta(minutes=int(i * 2.88))          # 500 a day
    n_versions = 1 + i % 3
    primary, cross = CATEGORIES[i % len(CATEGORIES)], CATEGORIES[(i * 7 + 3) % len(CATEGORIES)]
    cats = primary if cross == primary or i % 2 else f"{primary} {cross}"
    words = [WORDS[(i * k + k) % len(WORDS)] for k in range(1, 180)]
    authors = [(f"Family{i % 97}", f"Given{k}", "") for k in range(1 + i % 5)]
    return {
        "id": f"{created:%y%m}.{i % 100000:05d}",
        "submitter": f"Given0 Family{i % 97}",
        "authors": ", ".join(f"{g} {f}" for f, g, _ in authors),
        "title": " ".join(words[:9]).title(),
        "comments": f"{8 + i % 20} pages" if i % 3 else None,
        "journal-ref": "NeurIPS 2024" if i % 11 == 0 else None,
        "doi": f"10.1000/x{i}" if i % 13 == 0 else None,
        "report-no": None,
        "categories": cats,
        "license": "http://creativecommons.org/licenses/by/4.0/" if i % 2 else None,
        "abstract": "  " + " ".join(words) + ".\n",
        "versions": [{"version": f"v{v + 1}", "created": format_datetime(created + timedelta(days=9 * v), usegmt=True)}
                     for v in range(n_versions)],
        "update_date": f"{created + timedelta(days=9 * (n_versions - 1)):%Y-%m-%d}",
        "authors_parsed": [list(a) for a in authors],
    }


def write(path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps(record(i), separators=(",", ":")) + "\n")
