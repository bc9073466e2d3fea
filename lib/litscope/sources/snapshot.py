"""arXiv's full metadata snapshot (``arxiv-metadata-oai-snapshot.json``, 2.9M papers, one
JSON object a line) streamed into Parquet files of the paper schema, which the scorer
(`litscope.score.engine.read_papers`) and `litscope.score.scale` read as a folder.

Lines are filtered on the way in, by category and by the first version's date; a line
whose categories or last update rule it out is skipped before it is parsed. Papers are
written in parts of ``batch_size`` rows, so memory stays bounded whatever the file's
size; the parts go to a temporary folder that replaces `out` only when all went well.
"""
from __future__ import annotations

import gzip
import json
import logging
import re
import shutil
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Iterable

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from ..config import MAX_LINE_BYTES
from ..errors import ImportFormatError, SchemaError
from ..report import counted
from ..schema import PAPER_SCHEMA, check_text, paper_date, split_arxiv_id
from .arxiv_api import _check_categories, _day, _one_line
from .importers import Importer

log = logging.getLogger(__name__)

SNAPSHOT_FIELDS = ("id", "submitter", "authors", "title", "comments", "journal-ref", "doi", "report-no",
                   "categories", "license", "abstract", "versions", "update_date", "authors_parsed")
_UPDATE_DATE = re.compile(rb'"update_date"\s*:\s*"(\d{4}-\d{2}-\d{2})"')
_CATEGORIES = re.compile(rb'"categories"\s*:\s*"([^"]*)"')


@dataclass
class SnapshotReport:
    """What an import read, kept and wrote."""
    file: Path
    out: Path
    lines: int = 0
    parsed: int = 0
    kept: int = 0
    skipped: int = 0
    parts: int = 0

    def __str__(self) -> str:
        skipped = f", {self.skipped} skipped (named above)" if self.skipped else ""
        return (f"{self.file}: {self.lines} lines, {self.parsed} parsed (the others ruled out by category or "
                f"date unread), {counted(self.kept, 'paper')} kept{skipped}, written to {self.out} in {self.parts} "
                f"Parquet part{'s' * (self.parts != 1)}.")


def _open(path: Path) -> IO[bytes]:
    """The snapshot's bytes: plain, gzipped, or the one JSON file inside Kaggle's zip."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    if path.suffix == ".zip":
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.namelist() if m.endswith(".json")]
        if len(members) != 1:
            raise ImportFormatError(f"{path}: expected one .json file in the zip, found {len(members) or 'none'}")
        return archive.open(members[0])
    return open(path, "rb")


#: What the snapshot's files are called: JSON lines, plain, gzipped or in Kaggle's zip.
SUFFIXES = (".json", ".jsonl", ".gz", ".zip")


def _looks_like(head: str) -> bool:
    """Whether the first line of a file (uncompressed) is a snapshot record."""
    try:
        record = json.loads(head.partition("\n")[0])
    except ValueError:
        return False
    return isinstance(record, dict) and {"id", "versions", "categories"} <= set(record)


def is_snapshot(path: str | Path) -> bool:
    """Whether `path` looks like the metadata snapshot: JSON lines with arXiv's fields."""
    path = Path(path)
    if path.suffix not in SUFFIXES or not path.is_file():
        return False
    try:
        with _open(path) as stream:
            first = stream.readline(1 << 20)
    except (OSError, ValueError, ImportFormatError, zipfile.BadZipFile):
        return False
    return IMPORTER.looks_like(first.decode("utf-8", "replace"))


def _author(parts: list[str]) -> str:
    last, first, *suffix = [*parts, "", ""][:3]
    return " ".join(p for p in (first, last, *suffix) if p)


def _record(line: bytes) -> dict:
    raw = json.loads(line)
    versions = raw.get("versions") or []
    categories = (raw.get("categories") or "").split()
    paper_id = split_arxiv_id(raw["id"])[0]
    dates = [paper_date(v["created"], f"{paper_id}: the date of {v.get('version', 'a version')}")
             for v in (versions[:1] + versions[-1:])]
    record = {
        "id": paper_id, "version": len(versions) or None, "title": " ".join((raw.get("title") or paper_id).split()),
        "authors": [_author(a) for a in raw.get("authors_parsed") or []],
        "abstract": " ".join((raw.get("abstract") or "").split()) or None,
        "primary_category": categories[0] if categories else None, "categories": categories,
        "published": dates[0] if dates else None, "updated": dates[-1] if dates else None,
        "abs_url": f"https://arxiv.org/abs/{paper_id}", "pdf_url": f"https://arxiv.org/pdf/{paper_id}",
        "comment": _one_line(raw.get("comments")), "journal_ref": _one_line(raw.get("journal-ref")),
        "doi": raw.get("doi"), "source": "arxiv:snapshot",
    }
    check_text(record, paper_id)
    return record


class _Parts:
    """Rows gathered column by column and written as Parquet parts of `size` rows."""

    def __init__(self, folder: Path, size: int):
        self.folder, self.size, self.written = folder, size, 0
        self.columns: dict[str, list] = {f.name: [] for f in PAPER_SCHEMA}

    def add(self, record: dict) -> None:
        for name, values in self.columns.items():
            values.append(record.get(name, False if name == "title_derived" else None))
        if len(self.columns["id"]) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.columns["id"]:
            return
        table = pa.Table.from_pydict(self.columns, schema=PAPER_SCHEMA)
        pq.write_table(table, self.folder / f"part-{self.written:05d}.parquet")
        self.written += 1
        for values in self.columns.values():
            values.clear()


def import_snapshot(path: str | Path, out: str | Path, *, categories: str | Iterable[str] | None = None,
                    since: str | date | None = None, until: str | date | None = None,
                    batch_size: int = 50_000) -> SnapshotReport:
    """Stream the metadata snapshot at `path` (plain, ``.gz`` or Kaggle's ``.zip``) into
    Parquet parts in the folder `out`, keeping papers in `categories` whose first version
    is from `since` to `until`. A line that is not a snapshot record is an
    `ImportFormatError` naming the file and line, and `out` is left as it was."""
    path, out = Path(path), Path(out)
    wanted = set(_check_categories(categories or []))
    first = _day(since, "since", date.min) if since else None
    last = _day(until, "until", date.max) if until else None
    needles = [c.encode() for c in wanted]
    floor = first.isoformat().encode() if first else None
    if not path.is_file():
        raise ImportFormatError(f"{path}: no such file")
    foreign = [p.name for p in out.iterdir() if not re.fullmatch(r"part-\d{5}\.parquet", p.name)] \
        if out.is_dir() else [out.name] if out.exists() else []
    if foreign:
        raise ImportFormatError(f"{out}: holds {foreign[0]}, not only snapshot parts; give --out a new folder")
    report = SnapshotReport(path, out)
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    parts = _Parts(staging, batch_size)
    try:
        with _open(path) as raw, tqdm(total=path.stat().st_size if path.suffix not in (".gz", ".zip") else None,
                                      unit="B", unit_scale=True, desc="snapshot", disable=None) as bar:
            for number, line in enumerate(iter(lambda: raw.readline(MAX_LINE_BYTES + 1), b""), 1):
                if len(line) > MAX_LINE_BYTES:
                    raise ImportFormatError(f"{path}: line {number} is longer than {MAX_LINE_BYTES >> 20} MiB, "
                                            f"which no snapshot record is")
                bar.update(len(line))
                report.lines += 1
                if not line.strip():
                    continue
                if needles:
                    listed = _CATEGORIES.search(line)
                    if listed and not wanted & set(listed.group(1).decode().split()):
                        continue
                if floor:
                    updated = _UPDATE_DATE.search(line)
                    if updated and updated.group(1) < floor:   # every version predates `since`
                        continue
                try:
                    record = _record(line)
                except SchemaError as exc:
                    report.skipped += 1
                    log.warning("%s: line %d skipped: %s", path, number, exc)
                    continue
                except (ValueError, KeyError, TypeError, IndexError, RecursionError) as exc:
                    raise ImportFormatError(f"{path}: line {number} is not a snapshot record "
                                            f"({type(exc).__name__}: {exc})") from None
                report.parsed += 1
                day = record["published"].date() if record["published"] else None
                if (wanted and not wanted & set(record["categories"])) or \
                        (first and (day is None or day < first)) or (last and (day is None or day > last)):
                    continue
                parts.add(record)
                report.kept += 1
        parts.flush()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report.parts = parts.written
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return report


#: The snapshot as an importer (`litscope.sources.importers`): told by its first line,
#: streamed into Parquet parts by `import_snapshot`.
IMPORTER = Importer("snapshot", "snapshot", _looks_like, import_snapshot)
