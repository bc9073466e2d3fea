"""litscope.sources.oai against the fixture's OAI-PMH interface (tests/arxiv_oai.py): pages
and resumption tokens, 503 Retry-After, an interrupted harvest resumed, formats and sets."""
import math

import pytest
from lxml import etree

from arxiv_server import ArxivServer
from litscope.config import ArxivSettings
from litscope.sources.arxiv_api import ArxivClient
from litscope.errors import FetchError
from litscope.sources.oai import harvest, oai_set

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
