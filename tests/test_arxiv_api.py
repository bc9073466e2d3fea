"""litscope.sources.arxiv_api against a local arXiv API (tests/arxiv_server.py): the real arxiv client,
real HTTP on 127.0.0.1, a fake clock so that the 3-second spacing costs no time."""
import os
import re
import socket
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import arxiv
import pandas as pd
import pytest

import hostile_http
import litscope
from cli import run_in
from litscope.config import ArxivSettings
from litscope.errors import FetchError
from litscope.sources.arxiv_api import ArxivClient, fetch, fetch_ids, query_key
from litscope.schema import validate_papers

DAY = "2025-12-01"
WINDOW_DEC_1 = "cat:cs.CL AND submittedDate:[202512010000 TO 202512012359]"


def gaps(requests) -> list[float]:
    return [round(b.time - a.time, 6) for a, b in zip(requests, requests[1:])]


def days_asked(server) -> list[tuple[str, str]]:
    """The (first, last) day of each search the server was asked."""
    return [re.search(r"submittedDate:\[(\d{8})\d{4} TO (\d{8})", r.query).groups()
            for r in server.requests]


def snapshot(store) -> tuple[bytes, list[str]]:
    """The store's file bytes and every row, to prove a failed fetch changed nothing."""
    with sqlite3.connect(store.path) as con:
        rows = list(con.iterdump())
    return store.path.read_bytes(), rows


# -- mapping, paging, windows ---------------------------------------------------------------
def test_maps_feed_to_schema_and_keeps_newest_version(arxiv_server, client):
    df = fetch("cs.CL", since=DAY, until=DAY, client=client())
    validate_papers(df)
    assert df["id"].tolist() == ["2512.00001", "2512.00002", "2512.00003", "2512.00004", "2512.00005"]
    twice = df.set_index("id").loc["2512.00003"]   # listed as v1 and v2: one row, v2
    assert twice["version"] == 2
    assert twice["published"] == pd.Timestamp("2025-12-01 11:14:11", tz="UTC")
    assert twice["updated"] == pd.Timestamp("2025-12-03 14:14:11", tz="UTC")
    assert twice["categories"] == ["cs.CL", "cs.LG"] and twice["primary_category"] == "cs.CL"
    assert twice["abs_url"] == "http://arxiv.org/abs/2512.00003v2"
    assert twice["pdf_url"] == "http://arxiv.org/pdf/2512.00003v2"
    assert twice["title"] == "Tool-Using Agents at Scale: Lessons from 3 Experiments"
    assert twice["comment"] == "11 pages, 4 figures" and twice["source"] == "arxiv"
    fifth = df.set_index("id").loc["2512.00005"]
    assert fifth["doi"] == "10.18653/v1/2026.acl-5" and fifth["journal_ref"] == "Proceedings of ACL 2026"
    assert fifth["authors"] == ["Jonas Berg", "Zoë Müller", "李明"]
    assert fifth["abstract"] == ("We study multilingual evaluation in large language models. Our method "
                                 "improves accuracy by 5% on <benchmark> tasks & reduces cost.")
    assert pd.isna(df.set_index("id").loc["2512.00001", "doi"])


def test_pages_through_a_window(arxiv_server, client):
    fetch("cs.CL", since=DAY, until=DAY, client=client())
    # 6 entries (one paper listed twice) in pages of 2
    assert [(r.params["start"], r.params["max_results"]) for r in arxiv_server.requests] == \
        [("0", "2"), ("2", "2"), ("4", "2")]
    for request in arxiv_server.requests:
        assert request.path == "/api/query"
        assert request.query == WINDOW_DEC_1
        assert (request.params["sortBy"], request.params["sortOrder"]) == ("submittedDate", "ascending")


def test_one_search_for_all_categories_and_days_and_weekend_message(arxiv_server, client):
    df = fetch(["cs.CL", "cs.LG"], since="2025-12-05", until="2025-12-07", client=client(page_size=100))
    assert [r.query for r in arxiv_server.requests] == [
        "(cat:cs.CL OR cat:cs.LG) AND submittedDate:[202512050000 TO 202512072359]"]
    # cross-listed papers match both categories but come back once
    assert df["id"].is_unique and len(df) == 6      # 4 in cs.CL (2 cross-listed) + 2 in cs.LG only
    assert df.attrs["report"] == (
        "cs.CL, cs.LG, 2025-12-05 to 2025-12-07 (3 days): asked for 6 new category-day windows in "
        "1 search of 1 page. 0 papers on 2025-12-06 (a weekend). 6 papers, 1 request (~3 s at 3 s apart).")
    assert df.attrs["requests"] == 1


def test_a_search_covers_at_most_days_per_request_days(arxiv_server, client, store):
    fetch(["cs.CL", "cs.LG"], since=DAY, until="2025-12-05", store=store,
          client=client(page_size=100, days_per_request=2))
    assert days_asked(arxiv_server) == [("20251201", "20251202"), ("20251203", "20251204"),
                                        ("20251205", "20251205")]
    windows = store.windows().set_index(["query_key", "day"])["n_papers"]
    # each category's window counts its own papers, cross-lists in both
    assert windows[("cat:cs.CL", "2025-12-01")] == 5 and windows[("cat:cs.LG", "2025-12-01")] == 3
    assert windows[("cat:cs.LG", "2025-12-03")] == 2 and len(windows) == 10


def test_a_run_over_arxivs_result_cap_is_split_in_halves(arxiv_server, client, store, monkeypatch):
    from litscope.sources import arxiv_api
    monkeypatch.setattr(arxiv_api, "QUERY_LIMIT", 5)      # arXiv's is 30,000 results per query
    df = fetch("cs.CL", since=DAY, until="2025-12-05", client=client(page_size=100), store=store)
    assert days_asked(arxiv_server) == [("20251201", "20251205"), ("20251201", "20251202"), ("20251201", "20251201"),
                                        ("20251202", "20251202"), ("20251203", "20251205"),
                                        ("20251203", "20251203"), ("20251204", "20251205")]
    assert len(df) == 17 and store.completed_days("cat:cs.CL") == {f"2025-12-0{d}" for d in range(1, 6)}


def test_query_narrows_each_window(arxiv_server, client):
    df = fetch("cs.CL", query='abs:"kv-cache  compression"', since=DAY, until="2025-12-02",
               client=client())
    assert [r.query for r in arxiv_server.requests] == \
        ['cat:cs.CL AND (abs:"kv-cache compression") AND submittedDate:[202512010000 TO 202512022359]']
    assert df["id"].tolist() == ["2512.00004"]
    assert query_key("cs.CL", 'abs:"kv-cache compression"') == 'cat:cs.CL AND (abs:"kv-cache compression")'


def test_max_results_stops_early(arxiv_server, client, store):
    df = fetch("cs.CL", since=DAY, until="2025-12-02", max_results=3, client=client(), store=store)
    assert len(df) == 3
    assert [r.params["start"] for r in arxiv_server.requests] == ["0", "2"]
    assert store.windows().empty        # a window cut short is not complete
    assert "stopped early (at max_results" in df.attrs["report"]


# -- by id -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_fetch_ids_asks_once_per_2000_ids_by_post(arxiv_server, client, store):
    ids = ["2512.00003v1", "https://arxiv.org/abs/2512.00004", "2512.00001",
           *(f"2599.{n:05d}" for n in range(1997)), "2512.00002"]
    df = fetch_ids(ids, client=client(page_size=2000), store=store)
    assert len(arxiv_server.requests) == 2              # 2,001 distinct ids
    first, second = arxiv_server.requests
    assert first.params["id_list"].split(",")[:3] == ["2512.00003", "2512.00004", "2512.00001"]
    assert len(first.params["id_list"].split(",")) == 2000 and second.params["id_list"] == "2512.00002"
    assert first.params["max_results"] == "2000" and "id_list" not in first.path
    assert df["id"].tolist() == ["2512.00003", "2512.00004", "2512.00001", "2512.00002"]
    assert df.set_index("id").loc["2512.00003", "version"] == 2        # the newest version
    assert df.attrs["missing"][:2] == ["2599.00000", "2599.00001"] and len(df.attrs["missing"]) == 1997
    assert store.count() == 4


def test_fetch_ids_pages_when_pages_are_small_and_fails_naming_the_url(arxiv_server, client):
    df = fetch_ids(["2512.00001", "2512.00002", "2512.00003"], client=client(page_size=2))
    assert [r.params["start"] for r in arxiv_server.requests] == ["0", "2"] and len(df) == 3
    arxiv_server.fail(503, times=9)
    with pytest.raises(FetchError, match=r"HTTP 503 .* at http://127\.0\.0\.1:\d+/api/query \(POST "
                                         r"id_list=2512\.00001,2512\.00002, start=0, max_results=2\)"):
        fetch_ids(["2512.00001", "2512.00002"], client=client(page_size=2, retries=1))


# -- politeness -----------------------------------------------------------------------------
def test_requests_are_three_seconds_apart_by_default(arxiv_server, client, clock):
    fetch("cs.CL", since=DAY, until="2025-12-02", client=client())
    assert len(arxiv_server.requests) == 5           # 9 entries on Dec 1-2 in pages of 2
    assert gaps(arxiv_server.requests) == [3.0] * 4
    assert clock.sleeps == [3.0] * 4


@pytest.mark.parametrize("call, host", [
    (lambda c: litscope.fetch_new("cs.CL", client=c), "rss.arxiv.org"),
    (lambda c: litscope.harvest("cs.CL", DAY, client=c, store=litscope.Store(c.tmp)), "arxiv.org"),
])
def test_the_feed_and_oai_hosts_are_refused_a_delay_under_3_s_too(call, host, tmp_path):
    from litscope.errors import ConfigError
    client = ArxivClient(ArxivSettings(delay_seconds=1), "http://127.0.0.1:9/api/query")   # a local API
    client.tmp = tmp_path
    client._session.request = lambda *a, **k: pytest.fail("the check must come before any request")
    with pytest.raises(ConfigError, match=rf"arxiv\.delay_seconds: 1 s is less than the 3 s arXiv asks for "
                                          rf"between requests to {host}"):
        call(client)


@pytest.mark.slow
def test_spacing_holds_on_the_real_clock(arxiv_server):
    client = ArxivClient(ArxivSettings(page_size=2, delay_seconds=0.2), arxiv_server.url)
    fetch("cs.CL", since=DAY, until=DAY, client=client)
    assert len(arxiv_server.requests) == 3
    assert all(gap >= 0.2 for gap in gaps(arxiv_server.requests))


def test_retries_5xx_with_exponential_backoff(arxiv_server, client, store):
    arxiv_server.fail(503, times=2)
    arxiv_server.fail(502, times=1, after=1)          # and once more on the second page
    df = fetch("cs.CL", since=DAY, until=DAY, client=client(), store=store)
    assert len(df) == 5
    # back-off 5 s, then 10 s; after a success the policy starts over at 5 s
    assert gaps(arxiv_server.requests) == [5.0, 10.0, 3.0, 5.0, 3.0]
    assert [r.params["start"] for r in arxiv_server.requests] == ["0", "0", "0", "2", "2", "4"]
    assert store.completed_days(WINDOW_DEC_1.split(" AND ")[0]) == {DAY}


def test_backoff_is_capped(arxiv_server, client):
    arxiv_server.fail(500, times=4)
    fetch("cs.CL", since=DAY, until=DAY, client=client(page_size=100, max_backoff_seconds=12))
    assert gaps(arxiv_server.requests) == [5.0, 10.0, 12.0, 12.0]


def test_honours_retry_after_seconds_and_dates(arxiv_server, client):
    arxiv_server.fail(429, retry_after="30")
    in_20_s = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
    arxiv_server.fail(503, retry_after=in_20_s)
    fetch("cs.CL", since=DAY, until=DAY, client=client(page_size=100))
    first, second = gaps(arxiv_server.requests)
    assert first == 30.0                 # more than the 5 s back-off: the server's wish wins
    assert 17.0 <= second <= 20.0        # an HTTP date, 20 s ahead (minus the 1 s resolution)


def test_retry_after_beyond_max_backoff_gives_up_at_once(arxiv_server, client):
    arxiv_server.fail(429, retry_after="3600")
    with pytest.raises(FetchError, match=r"HTTP 429 Too Many Requests at http://127\.0\.0\.1:\d+/api/query\?"
                                         r".* asks to wait 3600 s") as err:
        fetch("cs.CL", since=DAY, until=DAY, client=client())
    assert len(arxiv_server.requests) == 1 and err.value.attempts == 1


def test_retries_malformed_and_incomplete_pages(arxiv_server, client):
    arxiv_server.malformed()
    arxiv_server.no_total()
    arxiv_server.no_entries(after=1)     # the second page comes back empty once
    df = fetch("cs.CL", since=DAY, until=DAY, client=client())
    assert len(df) == 5
    assert [r.params["start"] for r in arxiv_server.requests] == ["0", "0", "0", "2", "2", "4"]


def test_the_arxiv_package_alone_reads_a_broken_page_as_no_papers(arxiv_server):
    """Why litscope checks pages itself: the same faults pass silently through arxiv.Client."""
    plain = arxiv.Client(delay_seconds=0, num_retries=3)
    plain.query_url_format = arxiv_server.url + "?{}"
    search = arxiv.Search(WINDOW_DEC_1, max_results=None)
    for fault in (arxiv_server.no_total, arxiv_server.malformed):
        fault()
        assert list(plain.results(search)) == []
    assert len(arxiv_server.requests) == 2           # neither was retried


# -- failures: one clear error, store unchanged ---------------------------------------------
@pytest.fixture
def filled_store(arxiv_server, client, store):
    """A store that already holds Dec 1; the server's request log is cleared."""
    fetch("cs.CL", since=DAY, until=DAY, client=client(), store=store)
    arxiv_server.requests.clear()
    return store


@pytest.mark.parametrize("script, message", [
    (lambda s: s.fail(503, times=9, after=2), r"HTTP 503 Service Unavailable"),
    (lambda s: s.malformed(times=9, after=2), r"malformed XML \(Premature end of data"),
    (lambda s: s.no_total(times=9, after=2), r"a page without opensearch:totalResults"),
    (lambda s: s.no_entries(times=9, after=2), r"an empty page although arXiv counts 12 results"),
])
@pytest.mark.slow
def test_failure_after_retries_names_the_url_and_leaves_the_store_alone(
        arxiv_server, client, filled_store, script, message):
    before = snapshot(filled_store)
    script(arxiv_server)   # two pages of Dec 2-5 succeed, the third fails
    with pytest.raises(FetchError, match=message) as err:
        fetch("cs.CL", since=DAY, until="2025-12-05", client=client(retries=2), store=filled_store)
    failed = arxiv_server.requests[-1]
    assert failed.query == "cat:cs.CL AND submittedDate:[202512020000 TO 202512052359]"
    assert failed.params["start"] == "4"
    assert err.value.attempts == 3 and len(arxiv_server.requests) == 2 + 3
    assert err.value.url.startswith(arxiv_server.url + "?search_query=cat%3Acs.CL+AND+submittedDate")
    assert err.value.url in str(err.value) and "gave up after 3 attempts" in str(err.value)
    assert "\n" not in str(err.value)
    assert snapshot(filled_store) == before


@pytest.mark.slow
def test_timeout_is_retried_then_reported(arxiv_server, client, filled_store):
    arxiv_server.slow(2.0)
    df = fetch("cs.CL", since="2025-12-02", until="2025-12-02", client=client(timeout_seconds=0.3))
    assert len(df) == 3 and len(arxiv_server.requests) == 3    # the slow one, again, page 2
    arxiv_server.requests.clear()
    before = snapshot(filled_store)
    arxiv_server.slow(2.0, times=2)
    with pytest.raises(FetchError, match=r"no answer within 0\.3 s at http://127\.0\.0\.1") as err:
        fetch("cs.CL", since="2025-12-04", until="2025-12-04", store=filled_store,
              client=client(timeout_seconds=0.3, retries=1))
    assert err.value.attempts == 2 and len(arxiv_server.requests) == 2
    assert snapshot(filled_store) == before


def test_refused_connection_is_retried_with_backoff_then_reported(clock, store):
    with socket.socket() as sock:           # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/api/query"
    client = ArxivClient(ArxivSettings(retries=3), url, clock=clock, sleep=clock.sleep)
    with pytest.raises(FetchError, match=r"cannot connect \(Connection refused\) at http://127") as err:
        fetch("cs.CL", since=DAY, until=DAY, client=client, store=store)
    assert err.value.attempts == 4 and err.value.url.startswith(url)
    assert clock.sleeps == [5.0, 10.0, 20.0]
    assert store.count() == 0 and store.windows().empty


def test_a_rejected_query_fails_at_once_with_arxivs_message(arxiv_server, client):
    arxiv_server.reject("syntax error in query")
    with pytest.raises(FetchError, match=r"arXiv API rejected the request with HTTP 400 "
                                         r"\(syntax error in query\): http://127"):
        fetch("cs.CL", since=DAY, until=DAY, client=client())
    assert len(arxiv_server.requests) == 1


@pytest.mark.parametrize("kwargs, message", [
    ({"categories": ["cs.CL", "cs.Cl"]}, r"categories: unknown arXiv category 'cs\.Cl' \(did you mean "
                                          r"cs\.CL\?\); see https://arxiv\.org/category_taxonomy"),
    ({"categories": "nonsense"}, r"unknown arXiv category 'nonsense'; see"),
    ({"categories": []}, r"give at least one arXiv category"),
    ({"since": "2025-13-01"}, r"since: '2025-13-01' is not a date like 2025-12-01"),
    ({"until": "yesterday"}, r"until: 'yesterday' is not a date"),
    ({"since": "2025-12-05", "until": "2025-12-01"}, r"since 2025-12-05 is after until 2025-12-01"),
    ({"since": "2999-01-01", "until": "2999-01-02"}, r"since 2999-01-01 is in the future"),
    ({"max_results": 0}, r"max_results: must be a positive number"),
])
@pytest.mark.slow
def test_bad_arguments_are_refused_before_any_request(arxiv_server, client, kwargs, message):
    arguments = {"categories": "cs.CL", "since": DAY, "until": DAY, **kwargs}
    with pytest.raises(FetchError, match=message):
        fetch(**arguments, client=client())
    assert arxiv_server.requests == []


def test_invalid_api_url_is_reported():
    with pytest.raises(FetchError, match=r"arXiv API URL 'localhost/api' is not a URL"):
        fetch("cs.CL", since=DAY, until=DAY, client=ArxivClient(base_url="localhost/api"))


# -- incremental ----------------------------------------------------------------------------
@pytest.mark.slow
def test_fetched_days_cost_no_request_until_refresh(arxiv_server, client, store):
    fetch(["cs.CL", "cs.LG"], since=DAY, until="2025-12-03", client=client(page_size=100), store=store)
    assert store.completed_days("cat:cs.CL") == {"2025-12-01", "2025-12-02", "2025-12-03"}
    windows = store.windows().set_index(["query_key", "day"])["n_papers"]
    assert windows[("cat:cs.CL", "2025-12-01")] == 5 and windows[("cat:cs.LG", "2025-12-03")] == 2

    arxiv_server.requests.clear()
    df = fetch(["cs.CL", "cs.LG"], since=DAY, until="2025-12-05", client=client(page_size=100), store=store)
    assert days_asked(arxiv_server) == [("20251204", "20251205")]
    assert df.attrs["report"].startswith(
        "cs.CL, cs.LG, 2025-12-01 to 2025-12-05 (5 days): asked for 4 new category-day windows in "
        "1 search of 1 page; skipped 6 complete in the store.")

    arxiv_server.requests.clear()
    df = fetch(["cs.CL", "cs.LG"], since=DAY, until="2025-12-05", client=client(), store=store)
    assert arxiv_server.requests == [] and df.empty
    assert df.attrs["report"].startswith("cs.CL, cs.LG, 2025-12-01 to 2025-12-05 (5 days): nothing to "
                                         "ask for; skipped 10 complete in the store. 0 papers, 0 requests")

    df = fetch(["cs.CL", "cs.LG"], since=DAY, until="2025-12-05", client=client(page_size=100), store=store,
               refresh=True)
    assert days_asked(arxiv_server) == [("20251201", "20251205")]
    assert len(df) == store.count() == 23


def test_adding_a_category_asks_only_for_it(arxiv_server, client, store):
    fetch("cs.CL", since=DAY, until="2025-12-03", client=client(page_size=100), store=store)
    arxiv_server.requests.clear()
    df = fetch(["cs.CL", "cs.LG"], since=DAY, until="2025-12-03", client=client(page_size=100), store=store)
    assert [r.query for r in arxiv_server.requests] == \
        ["cat:cs.LG AND submittedDate:[202512010000 TO 202512032359]"]
    assert set(df["id"]) >= {"2512.00003"}            # cs.CL's cross-list to cs.LG comes again
    assert store.completed_days("cat:cs.LG") == {DAY, "2025-12-02", "2025-12-03"}


def test_a_query_has_its_own_windows(arxiv_server, client, store):
    fetch("cs.CL", since=DAY, until=DAY, client=client(), store=store)
    arxiv_server.requests.clear()
    fetch("cs.CL", query="ti:agents", since=DAY, until=DAY, client=client(), store=store)
    assert len(arxiv_server.requests) == 1
    assert store.completed_days("cat:cs.CL AND (ti:agents)") == {DAY}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.mark.slow
def test_recent_days_are_asked_again_only_after_an_announcement(arxiv_server, client, store):
    monday = utc("2025-12-08 15:00")            # 10:00 in New York, after Sunday's announcement
    df = fetch("cs.CL", since=DAY, until="2025-12-11", client=client(page_size=100), store=store, now=monday)
    assert days_asked(arxiv_server) == [("20251201", "20251207"), ("20251208", "20251208")]  # not the future
    assert store.completed_days("cat:cs.CL") == {DAY, "2025-12-02", "2025-12-03"}
    assert "5 recent days stay open" in df.attrs["report"]

    arxiv_server.requests.clear()                # 13:00 in New York: nothing announced since
    df = fetch("cs.CL", since=DAY, until="2025-12-08", client=client(), store=store, now=utc("2025-12-08 18:00"))
    assert arxiv_server.requests == []
    assert "skipped 3 complete in the store, 5 unchanged (fetched since arXiv's last announcement)" \
        in df.attrs["report"]
    # Monday 20:30 in New York: arXiv announced 30 minutes ago, so Dec 4-8 are asked again (Dec 4
    # has settled meanwhile); a check this soon (within arxiv.announce_lag_minutes) is not trusted
    for now in ("2025-12-09 01:30", "2025-12-09 02:30"):
        fetch("cs.CL", since=DAY, until="2025-12-08", client=client(page_size=100), store=store, now=utc(now))
    assert days_asked(arxiv_server) == [("20251204", "20251208"), ("20251205", "20251208")]
    assert DAY.replace("01", "04") in store.completed_days("cat:cs.CL")

    arxiv_server.requests.clear()                # the next evening, before Tuesday's announcement
    fetch("cs.CL", since=DAY, until="2025-12-08", client=client(), store=store, now=utc("2025-12-09 23:00"))
    assert arxiv_server.requests == []
    # Saturday: Dec 5-8 have settled, so they are asked once more and then complete
    df = fetch("cs.CL", since=DAY, until="2025-12-08", client=client(page_size=100), store=store,
               now=utc("2025-12-13 12:00"))
    assert days_asked(arxiv_server) == [("20251205", "20251208")]
    assert store.completed_days("cat:cs.CL") == {f"2025-12-0{d}" for d in range(1, 9)}
    assert "stay open" not in df.attrs["report"]


def test_a_new_version_replaces_the_old_and_both_dates_are_kept(arxiv_server, client, store):
    full = list(arxiv_server.entries)
    arxiv_server.entries = [replace(e, version=1, updated=e.published) for e in full]
    fetch("cs.CL", since=DAY, until=DAY, client=client(), store=store)
    assert store.papers().set_index("id").loc["2512.00004", "version"] == 1
    arxiv_server.entries = full
    fetch("cs.CL", since=DAY, until=DAY, client=client(), store=store, refresh=True)
    assert store.papers().set_index("id").loc["2512.00004", "version"] == 2
    assert store.versions("2512.00004")["version"].tolist() == [1, 2]


def test_project_gives_store_url_and_settings(arxiv_server, tmp_path, monkeypatch):
    (tmp_path / "litscope.yml").write_text("arxiv:\n  delay_seconds: 0\n  page_size: 3\n")
    monkeypatch.setenv("LITSCOPE_ARXIV_URL", arxiv_server.url)
    monkeypatch.delenv("LITSCOPE_DATA", raising=False)
    project = litscope.open_project(tmp_path)
    assert litscope.fetch is fetch
    df = litscope.fetch("cs.CL", since=DAY, until=DAY, project=project)
    assert [r.params["max_results"] for r in arxiv_server.requests] == ["3", "3"]
    assert litscope.Store(tmp_path / "data").count() == len(df) == 5


# -- the command line -----------------------------------------------------------------------
def litscope_cli(project: Path, server_url: str, *args: str, command: str = "fetch") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITSCOPE_")}
    root = server_url.removesuffix("/api/query")
    env.update(LITSCOPE_ARXIV_URL=server_url, LITSCOPE_ARXIV_FEED_URL=f"{root}/rss/",
               LITSCOPE_ARXIV_OAI_URL=f"{root}/oai")
    return subprocess.run([str(Path(sys.executable).parent / "litscope"), command, *args,
                           "--data", str(project / "data")],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def project(tmp_path):
    """A review project whose arXiv settings make the CLI fast: no delay, no back-off."""
    (tmp_path / "litscope.yml").write_text(
        "categories: [cs.CL]\narxiv: {delay_seconds: 0, backoff_seconds: 0, retries: 1, page_size: 4}\n")
    return tmp_path


@pytest.mark.slow
def test_cli_fetches_into_the_store(arxiv_server, project):
    done = litscope_cli(project, arxiv_server.url, "--since", DAY, "--until", "2025-12-02")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("cs.CL, 2025-12-01 to 2025-12-02 (2 days): asked for 2 new day "
                                  "windows in 1 search of 3 pages. 8 papers, 3 requests (~0 s at 0 s apart)")
    assert litscope.Store(project / "data").count() == 8
    assert len(arxiv_server.requests) == 3


@pytest.mark.slow
def test_cli_reports_a_failing_api_in_one_line(arxiv_server, project):
    litscope_cli(project, arxiv_server.url, "--since", DAY, "--until", DAY)
    store = litscope.Store(project / "data")
    before = snapshot(store)
    arxiv_server.fail(503, times=5)
    done = litscope_cli(project, arxiv_server.url, "--since", "2025-12-02", "--until", "2025-12-02")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"litscope: error: arXiv API: HTTP 503 Service Unavailable at "
                                  f"{arxiv_server.url}?search_query=cat%3Acs.CL")
    assert snapshot(store) == before


@pytest.mark.parametrize("args, message", [
    (["--cat", "cs.XX"], "litscope: error: categories: unknown arXiv category 'cs.XX'"),
    (["--since", "2025-12-32"], "litscope: error: since: '2025-12-32' is not a date like 2025-12-01"),
])
@pytest.mark.slow
def test_cli_reports_bad_arguments_in_one_line(arxiv_server, project, args, message):
    done = litscope_cli(project, arxiv_server.url, *args)
    assert done.returncode == 2 and done.stderr.startswith(message)
    assert done.stderr.count("\n") == 1 and arxiv_server.requests == []


@pytest.mark.slow
def test_cli_reads_the_announcement_with_new(arxiv_server, project):
    arxiv_server.feed_day = date(2025, 12, 2)
    done = litscope_cli(project, arxiv_server.url, "--new", "--cat", "cs.CL", "--cat", "cs.LG")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("arXiv's announcement of 2025-12-02 for cs.CL+cs.LG: 7 papers (7 new, "
                                  "0 cross, 0 replace, 0 replace-cross); 1 feed request, 2 metadata requests (id_list)")
    store = litscope.Store(project / "data")
    assert store.count() == 7 and set(store.announcements()["type"]) == {"new"}
    again = litscope_cli(project, arxiv_server.url, "--new", "--since", DAY)
    assert again.returncode == 2 and again.stderr.startswith("litscope: error: --since does not go with --new")


@pytest.mark.slow
def test_cli_harvests_in_bulk_and_resumes(arxiv_server, project):
    arxiv_server.oai_page_size = 4
    arxiv_server.fail(503, times=9, after=2)
    failed = litscope_cli(project, arxiv_server.url, "--bulk", "--since", DAY)
    assert failed.returncode == 2 and failed.stderr.count("\n") == 1
    assert "2 pages of set cs:cs:CL are stored: run the same command again to resume" in failed.stderr
    arxiv_server.faults.clear()
    done = litscope_cli(project, arxiv_server.url, "--bulk", "--since", DAY)
    assert done.returncode == 0, done.stderr
    assert "(resumed after page 2)" in done.stdout
    assert litscope.Store(project / "data").count() == len({e.id for e in arxiv_server.entries if "cs.CL" in e.categories})
    assert litscope_cli(project, arxiv_server.url, "--bulk").stderr.startswith("litscope: error: --bulk needs --since")


@pytest.mark.slow
def test_cli_imports_the_snapshot_into_parquet(arxiv_server, project):
    import arxiv_snapshot
    arxiv_snapshot.write(project / "arxiv-metadata-oai-snapshot.json", 300)
    done = litscope_cli(project, arxiv_server.url, "arxiv-metadata-oai-snapshot.json", "--cat", "cs.CL",
                        "--since", "2023-01-02", command="import")
    assert done.returncode == 0, done.stderr
    assert "300 lines" in done.stdout and f"written to {project / 'data' / 'snapshot'}" in done.stdout
    assert list((project / "data" / "snapshot").glob("part-*.parquet"))
    bad = litscope_cli(project, arxiv_server.url, "arxiv-metadata-oai-snapshot.json", "--cat", "cs.XX",
                       command="import")
    assert bad.returncode == 2 and "unknown arXiv category 'cs.XX'" in bad.stderr


# -- entries that cannot be read, arXiv's error entries: through the command line -----------

DEC_1 = {"search_query": "cat:cs.CL AND submittedDate:[202512010000 TO 202512012359]", "start": "0",
         "max_results": "10"}


@pytest.mark.slow
def test_entries_with_impossible_dates_or_ids_are_skipped_by_name(review, arxiv_server):
    """9999-12-31 used to end the fetch in an OverflowError, 0001-01-01 in OutOfBoundsDatetime,
    and one bad id refused the whole page without naming the URL."""
    page = arxiv_server.page(DEC_1)
    entries = re.findall(r"<entry>.*?</entry>", page, re.S)
    late = re.sub(r"<published>[^<]*", "<published>9999-12-31T23:59:59-05:00", entries[0])
    early = re.sub(r"<published>[^<]*", "<published>0001-01-01T00:00:00Z", entries[1])
    bogus = re.sub(r"<id>[^<]*", "<id>http://arxiv.org/abs/bogus", entries[2])
    for old, new in ((entries[0], late), (entries[1], early), (entries[2], bogus)):
        page = page.replace(old, new)
    arxiv_server.hostile(hostile_http.body(page.encode()))
    done = run_in(review, "fetch", "--since", DAY, "--until", DAY)
    assert done.returncode == 0, done.stderr
    where = f"litscope: warning: arXiv API: skipped an entry of {arxiv_server.url}?search_query=cat%3Acs.CL"
    assert len(done.warnings) == 3 and all(w.startswith(where) for w in done.warnings)
    assert done.warnings[0].endswith(": entry 'http://arxiv.org/abs/2512.00001v1': published "
                                     "'9999-12-31T23:59:59-05:00' is out of range (1900 to 2199)")
    assert done.warnings[1].endswith(": entry 'http://arxiv.org/abs/2512.00002v1': published "
                                     "'0001-01-01T00:00:00Z' is out of range (1900 to 2199)")
    assert done.warnings[2].endswith(": not an arXiv id: 'bogus'")
    assert sorted(litscope.Store(review / "data").papers()["id"]) == ["2512.00003", "2512.00004", "2512.00005"]


@pytest.mark.parametrize("status", [200, 400])
@pytest.mark.slow
def test_the_2026_apis_error_entries_give_arxivs_reason(review, arxiv_server, status):
    error = ('<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
             "<opensearch:totalResults>1</opensearch:totalResults><entry>"
             "<id>https://arxiv.org/api/errors#incorrect_id_format_for_1234</id><title>Error</title>"
             "<summary>incorrect id format for 1234</summary></entry></feed>")
    arxiv_server.hostile(hostile_http.body(error.encode(), status=status))
    done = run_in(review, "fetch", "--since", DAY, "--until", DAY)
    assert done.failed_cleanly(), done.stderr
    assert "incorrect id format for 1234" in done.error and arxiv_server.url in done.error
