"""litscope.sources.announcements against the fixture's listing feeds (tests/arxiv_feeds.py):
one feed request, announce types stored, metadata filled by id, no request between rebuilds."""
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from lxml import etree

import hostile_http
from cli import run_in
from litscope.errors import FetchError
from litscope.store import Store
from litscope.sources.announcements import fetch_new, parse_listing, split_authors

TUESDAY = date(2025, 12, 2)          # lists what was submitted on Monday 2025-12-01
THURSDAY = date(2025, 12, 4)         # lists the v2s of 2512.00003 and 2512.00004
NOON = datetime(2025, 12, 2, 17, 0, tzinfo=timezone.utc)   # Tuesday noon in New York


def test_the_fixture_feed_follows_arxivs_rss_element_by_element(arxiv_server):
    arxiv_server.feed_day = TUESDAY
    root = etree.fromstring(arxiv_server.feed("/rss/cs.CL+cs.LG").encode())
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("title") == "cs.CL+cs.LG updates on arXiv.org"
    assert channel.findtext("pubDate") == "Tue, 02 Dec 2025 00:00:00 -0500"
    assert [d.text for d in channel.iterfind("skipDays/day")] == ["Sunday", "Saturday"]
    item = channel.find("item")
    ns = {"arxiv": "http://arxiv.org/schemas/atom", "dc": "http://purl.org/dc/elements/1.1/"}
    assert [etree.QName(e).localname for e in item][:5] == ["title", "link", "description", "guid", "category"]
    assert item.findtext("description").startswith("arXiv:2512.00001v1 Announce Type: new \nAbstract: We study")
    assert item.find("guid").get("isPermaLink") == "false"
    assert item.findtext("guid") == "oai:arXiv.org:2512.00001v1"
    assert item.findtext("arxiv:announce_type", namespaces=ns) == "new"
    assert item.findtext("dc:rights", namespaces=ns) == "http://creativecommons.org/licenses/by/4.0/"
    assert item.findtext("dc:creator", namespaces=ns) == "李明, Ana García-López"


def test_parse_listing_reads_rss_and_atom_alike(arxiv_server):
    arxiv_server.feed_day = TUESDAY
    rss = parse_listing(arxiv_server.feed("/rss/cs.CL+cs.LG").encode())
    atom = parse_listing(arxiv_server.feed("/atom/cs.CL+cs.LG").encode())
    for day, announced, papers in (rss, atom):
        assert day == TUESDAY and set(announced["day"]) == {TUESDAY} and len(announced) == 7
        paper = papers.set_index("id").loc["2512.00005"]
        assert paper["doi"] == "10.18653/v1/2026.acl-5" and paper["journal_ref"] == "Proceedings of ACL 2026"
        assert paper["abstract"].startswith("We study multilingual evaluation") and "Announce" not in paper["abstract"]
        assert paper["authors"] == ["Jonas Berg", "Zoë Müller", "李明"] and paper["version"] == 1
    assert rss[1].equals(atom[1]) and rss[2].equals(atom[2])


def test_announce_types_follow_the_feeds_categories(arxiv_server):
    arxiv_server.feed_day = THURSDAY
    types = {cats: parse_listing(arxiv_server.feed(f"/rss/{cats}").encode())[1].set_index("id")["type"]
             for cats in ("cs.LG", "cs.CL", "cs.CL+cs.LG")}
    assert types["cs.LG"]["2512.00003"] == "replace-cross" and types["cs.CL"]["2512.00003"] == "replace"
    assert types["cs.CL+cs.LG"]["2512.00003"] == "replace"       # its primary is one of the feed's
    assert types["cs.LG"]["2512.00015"] == "cross" and types["cs.CL"]["2512.00015"] == "new"
    assert set(types["cs.CL+cs.LG"]) <= {"new", "replace"}


def test_fetch_new_stores_announce_types_and_fills_metadata_in_one_request(arxiv_server, client, store):
    arxiv_server.feed_day = TUESDAY
    df = fetch_new(["cs.CL", "cs.LG"], client=client(page_size=2000), store=store, now=NOON)
    feed, fill = arxiv_server.requests
    assert feed.path == "/rss/cs.CL+cs.LG" and fill.path == "/api/query"
    assert fill.params["id_list"] == "2512.00001,2512.00002,2512.00003,2512.00004,2512.00005,2512.00006,2512.00007"
    # 2512.00003 is cs.CL cross-listed to cs.LG: one listing, announced as new
    announced = store.announcements("2025-12-02").set_index("id")
    assert len(announced) == 7 and set(announced["type"]) == {"new"}
    assert announced.loc["2512.00003", "categories"] == ["cs.CL", "cs.LG"]
    assert df["id"].is_unique and set(df["announce_type"]) == {"new"}
    paper = store.papers().set_index("id").loc["2512.00001"]           # from the API: dates, comment
    assert paper["published"].isoformat() == "2025-12-01T09:00:11+00:00" and paper["comment"] == "9 pages, 2 figures"
    assert df.attrs["report"].startswith("arXiv's announcement of 2025-12-02 for cs.CL+cs.LG: 7 papers "
                                         "(7 new, 0 cross, 0 replace, 0 replace-cross); 1 feed request, "
                                         "1 metadata request (id_list) for the 7 not in the store at that version")


@pytest.mark.slow
def test_a_second_reading_before_the_rebuild_costs_nothing_and_replacements_refill(arxiv_server, client, store):
    arxiv_server.feed_day, full = TUESDAY, arxiv_server.entries
    arxiv_server.entries = [replace(e, version=1, updated=e.published) for e in full]   # as on Tuesday
    fetch_new(["cs.CL", "cs.LG"], client=client(page_size=2000), store=store, now=NOON)
    arxiv_server.entries = full
    arxiv_server.requests.clear()
    df = fetch_new(["cs.LG", "cs.CL"], client=client(), store=store,
                   now=datetime(2025, 12, 3, 4, 0, tzinfo=timezone.utc))
    assert arxiv_server.requests == [] and df.empty                  # 23:00 in New York, not rebuilt yet
    assert "nothing new to read, 0 requests" in df.attrs["report"]

    arxiv_server.feed_day = THURSDAY
    df = fetch_new(["cs.CL", "cs.LG"], client=client(page_size=2000), store=store,
                   now=datetime(2025, 12, 4, 6, 0, tzinfo=timezone.utc))
    announced = store.announcements("2025-12-04").set_index("id")["type"]
    assert announced["2512.00003"] == "replace" and announced["2512.00004"] == "replace"
    assert announced["2512.00015"] == "new" and df.attrs["requests"] == 2
    fill = arxiv_server.requests[-1].params["id_list"].split(",")
    assert fill == ["2512.00012", "2512.00013", "2512.00014", "2512.00015", "2512.00003", "2512.00004"]
    assert store.papers().set_index("id").loc["2512.00003", "version"] == 2
    assert store.versions("2512.00003")["version"].tolist() == [1, 2]
    assert len(store.announcements()) == len(store.announcements("2025-12-02")) + len(announced)


@pytest.mark.parametrize("script, message", [
    (lambda s: s.fail(503, times=9), r"arXiv feed: HTTP 503 Service Unavailable at http://127\.0\.0\.1:\d+/rss/cs\.CL"),
    (lambda s: s.malformed(times=9), r"arXiv feed: malformed XML .* at http://127\.0\.0\.1:\d+/rss/cs\.CL"),
    (lambda s: s.fail(503, times=9, after=1), r"arXiv API: HTTP 503 .* \(POST id_list=2512\.00001"),
])
@pytest.mark.slow
def test_failures_name_the_url_and_leave_the_store_alone(arxiv_server, client, store, script, message):
    arxiv_server.feed_day = TUESDAY
    script(arxiv_server)
    with pytest.raises(FetchError, match=message):
        fetch_new(["cs.CL"], client=client(retries=1), store=store, now=NOON)
    assert store.count() == 0 and store.announcements().empty and store.windows().empty


def test_a_malformed_feed_is_retried(arxiv_server, client, store):
    arxiv_server.feed_day = TUESDAY
    arxiv_server.malformed()
    df = fetch_new(["cs.CL"], client=client(page_size=2000), store=store, now=NOON)
    assert len(df) == 5 and len(arxiv_server.requests) == 3


@pytest.mark.parametrize("text, names", [
    ("Antonin Monteil, Paul Pegon", ["Antonin Monteil", "Paul Pegon"]),
    ("Ada Lovelace, Alan Turing and Grace Hopper", ["Ada Lovelace", "Alan Turing", "Grace Hopper"]),
    ("A. Smith (MIT, USA), B. Jones, and Sandra Andersen", ["A. Smith (MIT, USA)", "B. Jones", "Sandra Andersen"]),
    ("", []),
])
def test_split_authors(text, names):
    assert split_authors(text) == names


@pytest.mark.slow
def test_an_item_without_an_arxiv_id_is_skipped_by_name(review, arxiv_server):
    """One bad id used to refuse the whole listing without naming the URL."""
    rss = (Path(__file__).parent / "fixtures" / "real" / "rss-2024-11-28-all-archives-150items.xml").read_bytes()
    rss = rss.replace(b"<guid isPermaLink=\"false\">oai:arXiv.org:2411.17701v1</guid>",
                      b"<guid isPermaLink=\"false\">oai:arXiv.org:../../x</guid>", 1)
    arxiv_server.hostile(hostile_http.body(rss))
    done = run_in(review, "fetch", "--new")
    assert done.returncode == 0, done.stderr
    assert done.warnings == [f"litscope: warning: arXiv feed: skipped an item of {arxiv_server.feed_url}cs.CL: "
                             f"not an arXiv id: '../../x'"]
    assert "149 papers" in done.stdout and Store(review / "data").count() == 149
