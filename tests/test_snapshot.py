"""litscope.sources.snapshot: arXiv's metadata snapshot streamed into Parquet parts that the
scorer reads, filtered on the way in, in bounded memory."""
import gzip
import json
import subprocess
import sys
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

import arxiv_snapshot
from cli import litscope
from litscope.errors import ImportFormatError
from litscope.schema import from_arrow, validate_papers
from litscope.score.engine import read_papers
from litscope.sources.snapshot import SNAPSHOT_FIELDS, import_snapshot, is_snapshot

TESTS = Path(__file__).resolve().parent


def expected(n: int, categories: set[str], since: date) -> set[str]:
    kept = set()
    for i in range(n):
        r = arxiv_snapshot.record(i)
        if categories & set(r["categories"].split()) and \
                parsedate_to_datetime(r["versions"][0]["created"]).date() >= since:
            kept.add(r["id"])
    return kept


def test_the_synthetic_lines_have_the_snapshots_fields_in_order():
    assert tuple(arxiv_snapshot.record(0)) == SNAPSHOT_FIELDS


@pytest.mark.slow
def test_imports_filtered_papers_as_parquet_parts_the_scorer_reads(tmp_path):
    arxiv_snapshot.write(tmp_path / "snap.json", 3000)
    report = import_snapshot(tmp_path / "snap.json", tmp_path / "parts", categories=["cs.CL", "cs.DC"],
                             since="2023-01-05", batch_size=100)
    want = expected(3000, {"cs.CL", "cs.DC"}, date(2023, 1, 5))
    assert report.kept == len(want) and report.lines == 3000
    assert report.parsed < 3000 // 2                # most lines ruled out before parsing
    assert report.parts == -(-len(want) // 100) == len(list((tmp_path / "parts").glob("part-*.parquet")))
    papers = validate_papers(from_arrow(read_papers(tmp_path / "parts", columns=None)))
    assert set(papers["id"]) == want
    source = arxiv_snapshot.record(1503)
    row = papers.set_index("id").loc[source["id"]]
    assert row["version"] == len(source["versions"]) == 1
    assert row["published"] == parsedate_to_datetime(source["versions"][0]["created"])
    assert row["updated"] == parsedate_to_datetime(source["versions"][-1]["created"])
    assert row["authors"] == ["Given0 Family48", "Given1 Family48", "Given2 Family48", "Given3 Family48"]
    assert row["categories"] == source["categories"].split() and row["primary_category"] == "cs.CL"
    two = papers.set_index("id").loc[arxiv_snapshot.record(2002)["id"]]    # a cs.DC paper with 2 versions
    assert two["version"] == 2 and two["updated"] > two["published"] and two["primary_category"] == "cs.DC"
    assert row["abstract"] == source["abstract"].strip() and row["source"] == "arxiv:snapshot"
    assert str(report).startswith(f"{tmp_path / 'snap.json'}: 3000 lines")


def test_reads_gzip_and_detects_the_format(tmp_path):
    arxiv_snapshot.write(tmp_path / "snap.json", 50)
    with gzip.open(tmp_path / "snap.json.gz", "wb") as out:
        out.write((tmp_path / "snap.json").read_bytes())
    (tmp_path / "digest.json").write_text(json.dumps({"papers": []}))
    assert is_snapshot(tmp_path / "snap.json") and is_snapshot(tmp_path / "snap.json.gz")
    assert not is_snapshot(tmp_path / "digest.json")
    report = import_snapshot(tmp_path / "snap.json.gz", tmp_path / "parts")
    assert report.kept == 50 and report.parts == 1


def test_a_bad_line_names_the_line_and_keeps_the_old_parts(tmp_path):
    arxiv_snapshot.write(tmp_path / "snap.json", 20)
    import_snapshot(tmp_path / "snap.json", tmp_path / "parts")
    before = {p.name: p.read_bytes() for p in (tmp_path / "parts").iterdir()}
    with open(tmp_path / "snap.json", "a") as out:
        out.write('{"id": "2301.99999", "versions": [{"created": "Mon, 2 Jan 2023\n')   # cut off
    with pytest.raises(ImportFormatError, match=r"snap\.json: line 21 is not a snapshot record"):
        import_snapshot(tmp_path / "snap.json", tmp_path / "parts")
    assert {p.name: p.read_bytes() for p in (tmp_path / "parts").iterdir()} == before
    assert not (tmp_path / "parts.partial").exists()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep me")
    with pytest.raises(ImportFormatError, match=r"notes: holds mine\.txt, not only snapshot parts"):
        import_snapshot(tmp_path / "snap.json", tmp_path / "notes")


@pytest.mark.slow
def test_100k_lines_import_within_2_gib(tmp_path):
    arxiv_snapshot.write(tmp_path / "snap.json", 100_000)
    # VmHWM is this process's own peak; getrusage's maxrss would carry pytest's across exec
    code = ("import re; from pathlib import Path; from litscope.sources.snapshot import import_snapshot; "
            f"r = import_snapshot({str(tmp_path / 'snap.json')!r}, {str(tmp_path / 'parts')!r}); "
            "print(r.kept, re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()).group(1))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    kept, peak_kib = map(int, done.stdout.split())
    assert kept == 100_000
    assert peak_kib < 2 * 1024 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB"
    assert len(from_arrow(read_papers(tmp_path / "parts", columns=None))) == 100_000


@pytest.mark.slow
def test_records_with_impossible_dates_or_ids_are_skipped_by_line(tmp_path):
    records = [arxiv_snapshot.record(i) for i in range(4)]
    records[1]["versions"][0]["created"] = "Mon, 1 Jan 0001 00:00:00 GMT"     # used to be read as 2001
    records[2]["versions"][-1]["created"] = "Fri, 31 Dec 9999 23:59:59 GMT"
    records[3]["id"] = "../../x"
    (tmp_path / "snap.json").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    done = litscope("import", "snap.json", "--format", "snapshot", "--out", "parts", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.warnings == [
        f"litscope: warning: snap.json: line 2 skipped: {records[1]['id']}: the date of v1 "
        f"'Mon, 1 Jan 0001 00:00:00 GMT' is out of range (1900 to 2199)",
        f"litscope: warning: snap.json: line 3 skipped: {records[2]['id']}: the date of v3 "
        f"'Fri, 31 Dec 9999 23:59:59 GMT' is out of range (1900 to 2199)",
        "litscope: warning: snap.json: line 4 skipped: not an arXiv id: '../../x'"]
    assert "1 paper kept, 3 skipped (named above)" in done.stdout
    assert read_papers(tmp_path / "parts")["id"].to_pylist() == [records[0]["id"]]


@pytest.mark.slow
def test_a_gzipped_snapshot_with_a_2_gib_line_is_refused_in_bounded_memory(tmp_path):
    """It used to peak at 5 GB (a MemoryError under a limit), though the README promises
    bounded memory."""
    with gzip.open(tmp_path / "snap.json.gz", "wb", compresslevel=1) as out:
        out.write((json.dumps(arxiv_snapshot.record(0)) + "\n").encode())
        out.write(b'{"id": "2301.00001", "abstract": "')
        block = b"a" * (1 << 20)
        for _ in range(2048):
            out.write(block)
        out.write(b'"}\n')
    done = litscope("import", "snap.json.gz", "--format", "snapshot", "--out", "parts", cwd=tmp_path)
    assert done.failed_cleanly(), done.stderr
    assert done.error == ("litscope: error: snap.json.gz: line 2 is longer than 4 MiB, which no snapshot "
                          "record is")
    assert done.peak_mib < 768 and not (tmp_path / "parts").exists()
