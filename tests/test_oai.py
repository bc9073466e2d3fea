"""litscope.sources.oai against the fixture's OAI-PMH interface (tests/arxiv_oai.py): pages
and resumption tokens, 503 Retry-After, an interrupted harvest resumed, formats and sets."""
import math
import re

import pytest
from lxml import etree

import arxiv_oai
import hostile_http
from arxiv_server import ArxivServer
from cli import run_in
from litscope.config import ArxivSettings
from litscope.sources.arxiv_api import ArxivClient
from litscope.errors import FetchError
from litscope.sources.oai import harvest, oai_set
from litscope.store import Store

SINCE = "2025-12-01"


def cl_papers(server) -> set[str]:
    return {e.id for e in server.entries if "cs.CL" in e.categories}


def test_the_fixture_follows_arxivs_oai_pmh_element_by_element(arxiv_server):
    arxiv_server.oai_page_size = 3
    text = arxiv_server.answer("/oai", {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "cs:cs:CL"})
    root = etree.fromstring(text.encode())
    oai = "{http://www.openarchives.org/OAI/2.0/}"
    assert root.tag == f"{oai}OAI-PMH" and root.find(f"{oai}request").get("verb") == "ListRecords"
    token = root.find(f"{oai}ListRecords/{oai}resumptionToken")
    assert token.get("cursor") == "0" and int(token.get("completeListSize")) == len(cl_papers(arxiv_server))
    record = root.find(f"{oai}ListRecords/{oai}record")
    assert record.findtext(f"{oai}header/{oai}identifier").startswith("oai:arXiv.org:2512.")
    raw = record.find(f"{oai}metadata/{{http://arxiv.org/OAI/arXivRaw/}}arXivRaw")
    assert [etree.QName(e).localname for e in raw][:4] == ["id", "submitter", "version", "title"]
    assert raw.find("{http://arxiv.org/OAI/arXivRaw/}version").get("version") == "v1"


@pytest.mark.slow
def test_harvests_page_by_page_with_resumption_tokens(arxiv_server, client, store):
    arxiv_server.oai_page_size = 5
    report = harvest("cs.CL", SINCE, client=client(), store=store)
    pages = math.ceil(len(cl_papers(arxiv_server)) / 5)
    asked = arxiv_server.requests
    assert len(asked) == pages == report.pages and report.requests == pages
    assert asked[0].params == {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "cs:cs:CL",
                               "from": SINCE}
    assert all(set(r.params) == {"verb", "resumptionToken"} for r in asked[1:])
    assert set(store.papers()["id"]) == cl_papers(arxiv_server)
    paper = store.papers().set_index("id").loc["2512.00004"]        # arXivRaw carries every version
    assert paper["version"] == 2 and paper["published"].isoformat() == "2025-12-01T12:21:11+00:00"
    assert paper["updated"].isoformat() == "2025-12-03T15:21:11+00:00"
    assert paper["authors"] == ["Priya Raghavan", "Jonas Berg"] and paper["primary_category"] == "cs.CL"
    assert str(report).endswith(f"{pages} requests.")
    arxiv_server.requests.clear()
    again = harvest("cs.CL", SINCE, client=client(), store=store)   # finished: nothing to ask
    assert arxiv_server.requests == [] and "harvested before" in str(again)


def test_waits_out_503_retry_after(arxiv_server, client, clock, store):
    arxiv_server.oai_page_size = 10
    arxiv_server.fail(503, retry_after="20", after=1)
    harvest("cs.CL", SINCE, client=client(), store=store)
    requests = arxiv_server.requests
    assert [round(b.time - a.time) for a, b in zip(requests, requests[1:])] == [3, 20]
    assert requests[1].params == requests[2].params                   # the same page asked again
    assert set(store.papers()["id"]) == cl_papers(arxiv_server)


@pytest.mark.slow
def test_an_interrupted_harvest_resumes_without_repeating_stored_pages(arxiv_server, client, store):
    arxiv_server.oai_page_size = 4
    arxiv_server.die(after=2)                                         # the server dies on page 3
    with pytest.raises(FetchError, match=r"arXiv OAI-PMH: .* at http://127\.0\.0\.1:\d+/oai\?verb=ListRecords"
                                         r"&resumptionToken=.*; 2 pages of set cs:cs:CL are stored: run the "
                                         r"same command again to resume"):
        harvest("cs.CL", SINCE, client=client(retries=1), store=store)
    stored = set(store.papers()["id"])
    assert len(stored) == 8
    token = arxiv_server.requests[-1].params["resumptionToken"]
    revived = ArxivServer(entries=arxiv_server.entries, oai_page_size=4).start()   # on another port
    try:
        resumed = ArxivClient(ArxivSettings(delay_seconds=0), revived.url, oai_url=revived.oai_url)
        report = harvest("cs.CL", SINCE, client=resumed, store=store)
        assert revived.requests[0].params == {"verb": "ListRecords", "resumptionToken": token}
        assert len(revived.requests) == math.ceil(len(cl_papers(arxiv_server)) / 4) - 2
    finally:
        revived.stop()
    assert set(store.papers()["id"]) == cl_papers(arxiv_server) and stored < cl_papers(arxiv_server)
    assert "resumed after page 2" in str(report)


def test_an_expired_token_starts_the_list_again(arxiv_server, client, store):
    store.save_harvest({"key": f"oai:cs:cs:CL:arXivRaw:{SINCE}:", "token": "expired!", "pages": 2, "records": 8})
    report = harvest("cs.CL", SINCE, client=client(), store=store)
    first, second = arxiv_server.requests[:2]
    assert first.params["resumptionToken"] == "expired!" and second.params["metadataPrefix"] == "arXivRaw"
    assert "resumption token had expired" in str(report)
    assert set(store.papers()["id"]) == cl_papers(arxiv_server)


def test_a_group_set_is_filtered_by_category_and_first_version_date(arxiv_server, client, store):
    report = harvest("cs.LG", "2025-12-04", sets=["cs"], client=client(), store=store)
    assert arxiv_server.requests[0].params["set"] == "cs"
    papers = store.papers()
    assert all("cs.LG" in c for c in papers["categories"])
    assert papers["published"].min().date().isoformat() >= "2025-12-04"
    assert set(papers["id"]) == {"2512.00018", "2512.00021", "2512.00022", "2512.00023", "2512.00024"}
    assert report.kept == 5 and report.records > 5          # asked from the datestamp, kept by submission


def test_the_arxiv_format_gives_authors_from_their_name_parts(arxiv_server, client, store):
    harvest("cs.CL", SINCE, metadata_format="arXiv", client=client(), store=store)
    assert arxiv_server.requests[0].params["metadataPrefix"] == "arXiv"
    paper = store.papers().set_index("id").loc["2512.00005"]
    assert paper["authors"] == ["Jonas Berg", "Zoë Müller", "李明"] and paper["doi"] == "10.18653/v1/2026.acl-5"
    assert paper["published"].isoformat() == "2025-12-01T00:00:00+00:00"


def test_malformed_pages_are_retried_and_oai_errors_refused(arxiv_server, client, store):
    arxiv_server.malformed()
    harvest("cs.CL", SINCE, client=client(), store=store)
    assert len(arxiv_server.requests) == 2
    arxiv_server.oai_error("badArgument")
    with pytest.raises(FetchError, match=r"arXiv OAI-PMH error badArgument: Scripted badArgument: http://127"):
        harvest("cs.CL", "2025-12-02", client=client(), store=store)
    with pytest.raises(FetchError, match=r"metadata_format: 'oai_dc' is not one of arXivRaw, arXiv"):
        harvest("cs.CL", SINCE, client=client(), store=store, metadata_format="oai_dc")


@pytest.mark.parametrize("category, spec", [("cs.CL", "cs:cs:CL"), ("hep-th", "physics:hep-th"),
                                            ("astro-ph.CO", "physics:astro-ph:CO"), ("stat.ML", "stat:stat:ML")])
def test_oai_set(category, spec):
    assert oai_set(category) == spec


# -- servers that never end, records that cannot be read: through the command line ---------



def oai_page(records: list[str], token: str = "", size: int | None = None, doctype: str = "") -> bytes:
    """A ListRecords answer holding `records`, ending with `token` (and `size` as its
    completeListSize)."""
    attrs = f' completeListSize="{size}"' if size is not None else ""
    head = arxiv_oai.HEAD.replace("<OAI-PMH", doctype + "<OAI-PMH", 1)
    return (head + "<ListRecords>\n" + "\n".join(records) + f"\n<resumptionToken{attrs}>{token}</resumptionToken>"
            "\n</ListRecords>\n</OAI-PMH>\n").encode()


def raw_records(server, n: int) -> list[str]:
    """The arXivRaw records of the first `n` cs.CL papers of the fixture corpus."""
    papers = sorted({e.id: e for e in server.entries if "cs.CL" in e.categories}.values(), key=lambda e: e.id)
    return [arxiv_oai.record(e, "arXivRaw") for e in papers[:n]]


@pytest.mark.slow
def test_a_server_repeating_its_resumption_token_ends_the_harvest(review, arxiv_server):
    """It used to be asked for ever: 937 requests a minute at delay 0."""
    arxiv_server.hostile(hostile_http.body(oai_page(raw_records(arxiv_server, 2), token="again")), times=50)
    done = run_in(review, "fetch", "--bulk", "--since", SINCE)
    assert done.failed_cleanly(), done.stderr
    assert done.error == (f"litscope: error: arXiv OAI-PMH: {arxiv_server.oai_url} gave the resumption token "
                          f"'again' a second time: the harvest of set cs:cs:CL stops here (2 pages stored)")
    assert len(arxiv_server.requests) == 2 and Store(review / "data").count() == 2


@pytest.mark.slow
def test_a_server_listing_past_its_complete_list_size_ends_the_harvest(review, arxiv_server):
    records = raw_records(arxiv_server, 6)
    for n in range(3):
        arxiv_server.hostile(hostile_http.body(oai_page(records[2 * n:2 * n + 2], token=f"t{n}", size=3)))
    done = run_in(review, "fetch", "--bulk", "--since", SINCE)
    assert done.failed_cleanly(), done.stderr
    assert done.error == (f"litscope: error: arXiv OAI-PMH: {arxiv_server.oai_url} has listed 4 records, more "
                          f"than its completeListSize of 3, and still gives a resumption token: the harvest "
                          f"of set cs:cs:CL stops here (2 pages stored)")
    assert len(arxiv_server.requests) == 2


@pytest.mark.slow
def test_records_with_impossible_dates_or_ids_are_skipped_by_name_and_the_harvest_goes_on(
        review, arxiv_server):
    """A date of 0001 used to be read as 2001, one of 9999 ended every run in a traceback (the
    harvest could never pass that page), and '../../x' was stored as an id."""
    good, early, late, bad_id = raw_records(arxiv_server, 4)
    early = re.sub(r"<date>[^<]*</date>", "<date>Mon, 1 Jan 0001 00:00:00 GMT</date>", early, count=1)
    late = re.sub(r"<date>[^<]*</date>", "<date>Fri, 31 Dec 9999 23:59:59 GMT</date>", late, count=1)
    bad_id = re.sub(r"<id>[^<]*</id>", "<id>../../x</id>", bad_id)
    arxiv_server.hostile(hostile_http.body(oai_page([good, early, late, bad_id])))
    done = run_in(review, "fetch", "--bulk", "--since", SINCE)
    assert done.returncode == 0, done.stderr
    where = f"litscope: warning: arXiv OAI-PMH: skipped a record of {arxiv_server.oai_url}?verb=ListRecords"
    assert len(done.warnings) == 3 and all(w.startswith(where) for w in done.warnings)
    assert "record '2512.00002': the date of v1 'Mon, 1 Jan 0001 00:00:00 GMT' is out of range (1900 to 2199)" \
        in done.warnings[0]
    assert "record '2512.00003': the date of v1 'Fri, 31 Dec 9999 23:59:59 GMT' is out of range" in done.warnings[1]
    assert done.warnings[2].endswith("not an arXiv id: '../../x'")
    assert list(Store(review / "data").papers()["id"]) == ["2512.00001"]
    assert "4 records in 1 page" in done.stdout


@pytest.mark.slow
def test_text_after_an_entity_reference_is_kept(review, arxiv_server):
    """'Title &x; end' used to be stored as 'Title'; no entity is expanded (no XXE, no billion
    laughs: that held, and holds), its reference stays as written."""
    record = re.sub(r"<title>[^<]*</title>", "<title>Title &x; end &lol3;</title>", raw_records(arxiv_server, 1)[0])
    record = re.sub(r"<abstract>[^<]*</abstract>", "<abstract>Secret: &xxe; end.</abstract>", record)
    laughs = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 4))
    doctype = (f'<!DOCTYPE OAI-PMH [<!ENTITY x "expanded"><!ENTITY lol0 "lol">{laughs}'
               f'<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n')
    arxiv_server.hostile(hostile_http.body(oai_page([record], doctype=doctype)))
    assert run_in(review, "fetch", "--bulk", "--since", SINCE).returncode == 0
    paper = Store(review / "data").papers().iloc[0]
    assert (paper["title"], paper["abstract"]) == ("Title &x; end &lol3;", "Secret: &xxe; end.")


@pytest.mark.slow
def test_a_record_with_a_book_for_an_abstract_is_skipped_by_name(review, arxiv_server):
    """Under the answer cap, a record may still carry an abstract no paper has: it used to be
    stored (a 524-million-character one made 'litscope list' need 3.2 GB)."""
    good, big = raw_records(arxiv_server, 2)
    big = re.sub(r"<abstract>[^<]*</abstract>", "<abstract>" + "word " * 40_000 + "</abstract>", big)
    arxiv_server.hostile(hostile_http.body(oai_page([good, big])))
    done = run_in(review, "fetch", "--bulk", "--since", SINCE)
    assert done.returncode == 0, done.stderr
    assert done.warnings[0].endswith("record '2512.00002': its abstract has 199,999 characters, more than the "
                                     "100,000 litscope keeps")
    assert Store(review / "data").papers()["id"].tolist() == ["2512.00001"]
