"""The paper schema: the one contract between fetch, store, score, curate and publish.

A papers DataFrame has exactly the columns of `PAPER_SCHEMA` (stages may append their own
columns, such as `score` and `rank`, after them). Strings use pandas' ``string`` dtype,
lists are Python lists of ``str`` in ``object`` columns, timestamps are UTC.
"""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .compat import arrow_pool
from .errors import SchemaError
from .memory import reading_pool, release

#: Threads that decode Parquet row groups at once.
READ_THREADS = min(4, os.cpu_count() or 1)

_STR = pa.string()
_LIST = pa.list_(pa.string())
_TS = pa.timestamp("us", tz="UTC")

#: Summary sections digests carry, in display order.
SUMMARY_FIELDS = (
    "tldr", "motivation", "problem", "analysis", "method", "result", "conclusion", "contribution",
)

PAPER_SCHEMA = pa.schema([
    pa.field("id", _STR, nullable=False),          # versionless arXiv id, or "h:" + content hash
    pa.field("version", pa.int64()),                # arXiv version number (None when unknown)
    pa.field("title", _STR, nullable=False),
    pa.field("title_derived", pa.bool_()),          # True when the title was made up from the text
    pa.field("authors", _LIST),
    pa.field("abstract", _STR),
    pa.field("primary_category", _STR),
    pa.field("categories", _LIST),
    pa.field("published", _TS),                     # first version's date
    pa.field("updated", _TS),                       # this version's date
    pa.field("abs_url", _STR),
    pa.field("pdf_url", _STR),
    pa.field("comment", _STR),
    pa.field("journal_ref", _STR),
    pa.field("doi", _STR),
    pa.field("source", _STR, nullable=False),       # where it came from: "arxiv", "digest:<file>", ...
    *[pa.field(name, _STR) for name in SUMMARY_FIELDS],
    pa.field("summary", _STR),                      # free-form (markdown) summary
    pa.field("summary_source", _STR),               # "imported", "llm:<model>", "extractive"
    pa.field("title_zh", _STR),
    pa.field("abstract_zh", _STR),
    pa.field("topic", _STR),
    pa.field("subtopic", _STR),
    pa.field("tags", _LIST),
    pa.field("external_score", pa.float64()),       # a score a digest gave the paper
])

COLUMNS: tuple[str, ...] = tuple(PAPER_SCHEMA.names)
LIST_COLUMNS = tuple(f.name for f in PAPER_SCHEMA if f.type == _LIST)
TIME_COLUMNS = tuple(f.name for f in PAPER_SCHEMA if f.type == _TS)
STRING_COLUMNS = tuple(f.name for f in PAPER_SCHEMA if f.type == _STR)
REQUIRED = tuple(f.name for f in PAPER_SCHEMA if not f.nullable)
#: Fields a curator adds; merging two copies of a paper keeps whichever copy has them.
CURATED_FIELDS = (*SUMMARY_FIELDS, "summary", "summary_source", "title_zh", "abstract_zh",
                  "topic", "subtopic", "tags", "external_score")

_DTYPES: dict[str, Any] = {
    **{c: pd.StringDtype() for c in STRING_COLUMNS},
    **{c: object for c in LIST_COLUMNS},
    **{c: pd.DatetimeTZDtype("ns", "UTC") for c in TIME_COLUMNS},
    "version": pd.Int64Dtype(),
    "title_derived": bool,
    "external_score": "float64",
}

_ARXIV_ID = re.compile(
    r"^(?:arxiv:)?(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d+))?$",
    re.IGNORECASE,
)
_ARXIV_IN_URL = re.compile(r"arxiv\.org/(?:abs|pdf|html)/([^\s?#)]+?)(?:\.pdf)?(?=$|[\s?#)])")


def split_arxiv_id(text: str) -> tuple[str, int | None]:
    """Split ``"2512.04752v2"`` (or an arXiv URL) into ``("2512.04752", 2)``."""
    text = text.strip()
    url = _ARXIV_IN_URL.search(text)
    if url:
        text = url.group(1)
    match = _ARXIV_ID.match(text)
    if not match:
        raise SchemaError(f"not an arXiv id: {text!r}")
    version = match.group("v")
    return match.group("id"), int(version) if version else None


def paper_url(paper: Mapping[str, Any]) -> str | None:
    """A paper's abstract page: its http(s) ``abs_url``, else arXiv's page for its arXiv id;
    None for a paper known only by its content (``h:`` ids) without one."""
    url = paper.get("abs_url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return url
    return None if str(paper["id"]).startswith("h:") else f"https://arxiv.org/abs/{paper['id']}"

#: The dates a paper may carry: arXiv opened in 1991, and pandas' timestamps end in 2262.
EARLIEST, LATEST = datetime(1900, 1, 1, tzinfo=timezone.utc), datetime(2200, 1, 1, tzinfo=timezone.utc)
_RFC2822_YEAR = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3}\s+(\d+)\s")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def paper_date(value: str | datetime, field: str = "date", *, utc: bool = True) -> datetime:
    """A paper's date (a datetime, ISO 8601 text or an RFC 2822 date as arXiv writes them; in
    UTC, or in its own time zone without `utc`) checked to lie in 1900–2199; `SchemaError`
    naming `field` otherwise. An RFC 2822 year must have four digits: ``0001`` is not 2001."""
    try:
        if isinstance(value, datetime):
            when = value
        elif _ISO_DAY.match(value.strip()):
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        else:
            year = _RFC2822_YEAR.search(value)
            if year is None or len(year.group(1)) != 4:
                raise ValueError("no four-digit year")
            if not EARLIEST.year <= int(year.group(1)) < LATEST.year:
                raise ValueError("out of range")
            when = parsedate_to_datetime(value)
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        if not EARLIEST <= when <= LATEST:
            raise ValueError("out of range")
        return when.astimezone(timezone.utc) if utc else when
    except (ValueError, TypeError, OverflowError, IndexError) as exc:
        why = "is out of range (1900 to 2199)" if str(exc) == "out of range" else "is not a date"
        raise SchemaError(f"{field} {str(value)[:40]!r} {why}") from None


#: The longest text one field of a paper may hold (arXiv's abstracts stop at 1,920 characters):
#: sources refuse an entry with a longer one, so no store ever holds a book in a field.
MAX_TEXT = 100_000


def check_text(record: Mapping[str, Any], name: str = "") -> None:
    """`SchemaError` naming `name` (when the caller does not) and the field when a text
    field of `record` (or a name in one of its lists) is longer than `MAX_TEXT` characters."""
    for field, value in record.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        longest = max((len(v) for v in values if isinstance(v, str)), default=0)
        if longest > MAX_TEXT:
            raise SchemaError(f"{name}: " * bool(name) + f"its {field} has {longest:,} characters, more "
                              f"than the {MAX_TEXT:,} litscope keeps")


def normalize_text(text: str | None) -> str:
    """Lower-case, NFKC-normalised text with punctuation and runs of space folded."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def content_id(title: str | None, abstract: str | None) -> str:
    """A stable id for a paper without an arXiv id: a hash of its normalised text."""
    digest = hashlib.sha256(f"{normalize_text(title)}\n{normalize_text(abstract)}".encode()).hexdigest()
    return "h:" + digest[:16]


def empty_papers() -> pd.DataFrame:
    """A papers DataFrame with no rows."""
    return papers_frame([])


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if missing(value):
        return []
    return [str(v) for v in value]


def papers_frame(records: Iterable[Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Build a schema-conforming frame from records (missing fields become null)."""
    df = pd.DataFrame(records) if not isinstance(records, pd.DataFrame) else records.copy()
    for column in COLUMNS:
        if column not in df.columns:
            df[column] = False if column == "title_derived" else None
    extra = [c for c in df.columns if c not in COLUMNS]
    df = df[[*COLUMNS, *extra]]
    for column in LIST_COLUMNS:
        df[column] = [_as_list(v) for v in df[column]]
    for column in TIME_COLUMNS:
        df[column] = pd.to_datetime(df[column], utc=True, format="mixed")
    df["title_derived"] = df["title_derived"].astype("boolean").fillna(False)
    df = df.astype({c: t for c, t in _DTYPES.items() if c not in LIST_COLUMNS})
    return df.reset_index(drop=True)


def missing(value: Any) -> bool:
    """Whether a field holds nothing: None, NA, NaN, NaT, blank text or an empty list. The
    one test of "missing" for every stage (Arrow-backed and NumPy-backed values alike)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return len(value) == 0
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _arrow_type(dtype: Any) -> pa.DataType | None:
    return dtype.pyarrow_dtype if isinstance(dtype, pd.ArrowDtype) else None


def _is_string(series: pd.Series) -> bool:
    arrow = _arrow_type(series.dtype)
    if arrow is not None:
        return pa.types.is_string(arrow) or pa.types.is_large_string(arrow) or pa.types.is_string_view(arrow)
    if isinstance(series.dtype, pd.StringDtype):
        return True
    return series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")


def _is_utc_time(series: pd.Series) -> bool:
    arrow = _arrow_type(series.dtype)
    if arrow is not None:
        return pa.types.is_timestamp(arrow) and str(arrow.tz) in ("UTC", "utc", "+00:00")
    return isinstance(series.dtype, pd.DatetimeTZDtype) and str(series.dtype.tz) == "UTC"


def _is_string_list(series: pd.Series) -> bool | int:
    """True for Arrow lists of strings; else the first row that holds no list of strings
    (-1: none does)."""
    arrow = _arrow_type(series.dtype)
    if arrow is not None:
        return (pa.types.is_list(arrow) or pa.types.is_large_list(arrow)) and \
            (pa.types.is_string(arrow.value_type) or pa.types.is_large_string(arrow.value_type)
             or pa.types.is_null(arrow.value_type))      # lists that are all empty
    bad = next((i for i, v in enumerate(series) if not isinstance(v, list)
                or not all(isinstance(x, str) for x in v)), -1)
    return bad


#: What each column holds, whatever stores it (NumPy, pandas' own or Arrow-backed arrays).
_KINDS: dict[str, Any] = {
    **{c: ("text", _is_string) for c in STRING_COLUMNS},
    **{c: ("a UTC timestamp", _is_utc_time) for c in TIME_COLUMNS},
    "version": ("an integer", lambda s: pd.api.types.is_integer_dtype(s.dtype)),
    "title_derived": ("a boolean", lambda s: pd.api.types.is_bool_dtype(s.dtype)),
    "external_score": ("a number", lambda s: pd.api.types.is_float_dtype(s.dtype)
                       or pd.api.types.is_integer_dtype(s.dtype)),
}


def validate_papers(df: pd.DataFrame, *, where: str = "papers") -> pd.DataFrame:
    """Check that `df` follows the paper schema — what each column holds, whether its
    values sit in NumPy, pandas or Arrow arrays — and raise `SchemaError` naming the column."""
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"{where}: expected a pandas DataFrame, got {type(df).__name__}")
    absent = [c for c in COLUMNS if c not in df.columns]
    if absent:
        raise SchemaError(f"{where}: missing column(s) {', '.join(absent)}")
    for column in LIST_COLUMNS:
        bad = _is_string_list(df[column])
        if bad is False or (not isinstance(bad, bool) and bad >= 0):
            row = f" (row {bad} holds {df[column].iloc[bad]!r})" if not isinstance(bad, bool) else \
                f" (it has dtype {df[column].dtype})"
            raise SchemaError(f"{where}: column {column!r} must hold lists of strings{row}")
    for column, (kind, holds) in _KINDS.items():
        if not holds(df[column]):
            raise SchemaError(f"{where}: column {column!r} has dtype {df[column].dtype}, "
                              f"expected {kind} ({_DTYPES[column]})")
    for column in REQUIRED:
        if df[column].isna().any():
            raise SchemaError(f"{where}: column {column!r} is empty in row "
                              f"{int(df[column].isna().to_numpy().argmax())}")
    dupes = df["id"][df["id"].duplicated()]
    if len(dupes):
        raise SchemaError(f"{where}: duplicate id {dupes.iloc[0]!r}")
    return df


def conform_papers(df: pd.DataFrame, *, where: str = "papers") -> pd.DataFrame:
    """`df` checked (`validate_papers`) and in the schema's own dtypes: a frame whose
    columns are Arrow-backed (what `litscope.score` of a path returns) or plain NumPy
    objects comes back converted; one already in them comes back as it is."""
    validate_papers(df, where=where)
    if all(df[c].dtype == t for c, t in _DTYPES.items()):
        return df
    return papers_frame(df.reset_index(drop=True))


def to_arrow(df: pd.DataFrame) -> pa.Table:
    """The papers as a pyarrow Table with `PAPER_SCHEMA` (extra columns dropped)."""
    validate_papers(df)
    return pa.Table.from_pandas(df[list(COLUMNS)], schema=PAPER_SCHEMA, preserve_index=False)


def from_arrow(table: pa.Table) -> pd.DataFrame:
    """The inverse of `to_arrow`."""
    df = table.to_pandas()
    for column in LIST_COLUMNS:
        df[column] = [list(v) if v is not None else [] for v in df[column]]
    return papers_frame(df)


#: Rows from which a table is big enough for the speed machinery to pay: the one-copy gather
#: (`litscope.gather`, compiled with numba) and jemalloc as the reading pool
#: (`litscope.memory`). Below it Arrow's own ``take`` and default pool are as fast and cost
#: no compilation; chosen by the threshold sweep of `make bench` (benchmarks/RESULTS.md,
#: "Speed machinery threshold").
MACHINERY_ROWS = 100_000


def take_rows(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """`table.take(rows)`; from `MACHINERY_ROWS` in one copy (`litscope.gather`: Arrow's own
    take first concatenates the chunks, a second copy of the table)."""
    if table.num_rows < MACHINERY_ROWS:
        return table.take(np.asarray(rows, np.int64))
    from .gather import take_rows as gather      # compiled code: imported when first needed
    return gather(table, rows)


def take_all(columns: list[pa.ChunkedArray], rows: np.ndarray) -> list[pa.ChunkedArray | pa.Array]:
    """Every row of `columns` in the order `rows`, freeing them as it goes: `columns` holds
    the only references and is emptied (from `MACHINERY_ROWS`: `litscope.gather.take_all`)."""
    if not columns or len(columns[0]) >= MACHINERY_ROWS:
        from .gather import take_all as gather
        return gather(columns, rows)
    indices = pa.array(np.asarray(rows, np.int64))
    out = []
    while columns:
        out.append(columns.pop(0).take(indices))
    return out


def read_parquet(files: Iterable[Any], columns: Iterable[str] | None = None) -> pa.Table:
    """Parquet files as one Table, read a row group at a time on a few threads: peak memory
    stays near the size of the data, where `pyarrow.parquet.read_table` holds ~1.7 times
    as much while decoding; each thread decodes its own row groups (pyarrow releases the
    GIL), where one row group's columns alone keep two cores only half busy.

    From `MACHINERY_ROWS` the columns go to `litscope.memory.reading_pool` (jemalloc), not
    Arrow's default pool (mimalloc): on a million papers it reads faster, peaks lower and
    keeps less after the read (benchmarks/RESULTS.md). Other Arrow work keeps the default pool."""
    wanted = None if columns is None else list(columns)
    files = list(files)
    groups, rows = [], 0
    for file in files:
        reader = pq.ParquetFile(file)
        rows += reader.metadata.num_rows
        names = None if wanted is None else [c for c in wanted if c in reader.schema_arrow.names]
        groups += [(file, group, names) for group in range(reader.num_row_groups)]

    def read(item: tuple[Any, int, list[str] | None]) -> pa.Table:
        file, group, names = item
        return pq.ParquetFile(file).read_row_group(group, columns=names, use_threads=False)

    if not groups:                      # files without rows: their columns, empty
        schema = pq.read_schema(files[0]) if files else PAPER_SCHEMA
        return schema.empty_table().select([n for n in (wanted or schema.names) if n in schema.names])

    with arrow_pool(reading_pool()) if rows >= MACHINERY_ROWS else nullcontext():
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            parts = list(pool.map(read, groups))
    table = pa.concat_tables(parts, promote_options="permissive")
    release(table.nbytes)               # what decoding freed, before the next big step
    return table
