"""arXiv's OAI-PMH interface (ListRecords) rendered from the fixture corpus, element by
element as arXiv writes it (help/oa): the ``arXivRaw`` and ``arXiv`` metadata formats,
sets by group, archive and category (``cs``, ``cs:cs``, ``cs:cs:CL``), ``from``/``until``
on the datestamp, and resumption tokens with ``cursor`` and ``completeListSize``. Tokens
carry their state, so a restarted server takes a token an earlier one gave out.
"""
from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n'
        '<responseDate>2025-12-10T12:00:00Z</responseDate>\n')
PHYSICS = {"astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nlin",
           "nucl-ex", "nucl-th", "physics", "quant-ph"}
LICENSE = "http://creativecommons.org/licenses/by/4.0/"


def sets_of(category: str) -> set[str]:
    archive, _, sub = category.partition(".")
    group = "physics" if archive in PHYSICS else archive
    return {group, f"{group}:{archive}"} | ({f"{group}:{archive}:{sub}"} if sub else set())


def datestamp(entry) -> date:
    """The record's last change: the day after its newest version."""
    return (entry.updated + timedelta(days=1)).date()


def _token(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, sort_keys=True).encode()).decode()


def _untoken(token: str) -> dict | None:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        return None


def _request(params: dict[str, str]) -> str:
    attrs = " ".join(f'{k}="{escape(v)}"' for k, v in params.items())
    return f"<request {attrs}>http://export.arxiv.org/oai2</request>\n"


def error(params: dict[str, str], code: str, text: str) -> str:
    return HEAD + _request(params) + f'<error code="{code}">{escape(text)}</error>\n</OAI-PMH>\n'


def _raw(entry) -> str:
    versions = [(1, entry.published)] + ([(entry.version, entry.updated)] if entry.version > 1 else [])
    return "\n".join([
        '<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://arxiv.org/OAI/arXivRaw/ http://arxiv.org/OAI/arXivRaw.xsd">',
        f"<id>{entry.id}</id>",
        f"<submitter>{escape(entry.authors[0][0])}</submitter>",
        *(f'<version version="v{n}"><date>{format_datetime(when, usegmt=True)}</date><size>{120 + n}kb</size>'
          f"<source_type>D</source_type></version>" for n, when in versions),
        f"<title>{escape(entry.title)}</title>",
        f"<authors>{escape(_joined([name for name, _ in entry.authors]))}</authors>",
        f"<categories>{' '.join(entry.categories)}</categories>",
        *([f"<comments>{escape(entry.comment)}</comments>"] if entry.comment else []),
        *([f"<journal-ref>{escape(entry.journal_ref)}</journal-ref>"] if entry.journal_ref else []),
        *([f"<doi>{escape(entry.doi)}</doi>"] if entry.doi else []),
        f"<license>{LICENSE}</license>",
        f"<abstract>  {escape(entry.abstract)}</abstract>",
        "</arXivRaw>"])


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _arxiv(entry) -> str:
    authors = []
    for name, affiliation in entry.authors:
        *forenames, keyname = name.split()
        authors.append("<author>" + f"<keyname>{escape(keyname)}</keyname>"
                       + (f"<forenames>{escape(' '.join(forenames))}</forenames>" if forenames else "")
                       + (f"<affiliation>{escape(affiliation)}</affiliation>" if affiliation else "")
                       + "</author>")
    return "\n".join([
        '<arXiv xmlns="http://arxiv.org/OAI/arXiv/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://arxiv.org/OAI/arXiv/ http://arxiv.org/OAI/arXiv.xsd">',
        f"<id>{entry.id}</id>",
        f"<created>{entry.published:%Y-%m-%d}</created>",
        *([f"<updated>{entry.updated:%Y-%m-%d}</updated>"] if entry.version > 1 else []),
        f"<authors>{''.join(authors)}</authors>",
        f"<title>{escape(entry.title)}</title>",
        f"<categories>{' '.join(entry.categories)}</categories>",
        *([f"<comments>{escape(entry.comment)}</comments>"] if entry.comment else []),
        *([f"<journal-ref>{escape(entry.journal_ref)}</journal-ref>"] if entry.journal_ref else []),
        *([f"<doi>{escape(entry.doi)}</doi>"] if entry.doi else []),
        f"<license>{LICENSE}</license>",
        f"<abstract>  {escape(entry.abstract)}</abstract>",
        "</arXiv>"])


FORMATS = {"arXivRaw": _raw, "arXiv": _arxiv}


def record(entry, metadata_prefix: str) -> str:
    specs = sorted(set().union(*(sets_of(c) for c in entry.categories)))
    return "\n".join([
        "<record>", "<header>", f"<identifier>oai:arXiv.org:{entry.id}</identifier>",
        f"<datestamp>{datestamp(entry)}</datestamp>",
        *(f"<setSpec>{spec}</setSpec>" for spec in specs), "</header>",
        "<metadata>", FORMATS[metadata_prefix](entry), "</metadata>", "</record>"])


def _chosen(entries, state: dict) -> list:
    latest = {}
    for entry in entries:                     # one record per paper: its newest version
        if entry.id not in latest or entry.version > latest[entry.id].version:
            latest[entry.id] = entry
    return [e for e in sorted(latest.values(), key=lambda e: (datestamp(e), e.id))
            if (not state["set"] or any(state["set"] in sets_of(c) for c in e.categories))
            and (not state["from"] or str(datestamp(e)) >= state["from"])
            and (not state["until"] or str(datestamp(e)) <= state["until"])]


def list_records(entries, params: dict[str, str], page_size: int, counts: bool = True,
                 cache: dict | None = None) -> str:
    """The answer to one ListRecords request (`counts`: give cursor and completeListSize;
    `cache` keeps each list between the requests for its parts)."""
    if params.get("verb") != "ListRecords":
        return error(params, "badVerb", f"Illegal verb {params.get('verb')!r}: this fixture lists records")
    if "resumptionToken" in params:
        state = _untoken(params["resumptionToken"])
        if state is None or set(params) != {"verb", "resumptionToken"}:
            return error(params, "badResumptionToken", "The value of the resumptionToken argument is invalid or expired.")
    else:
        state = {"metadataPrefix": params.get("metadataPrefix"), "set": params.get("set"),
                 "from": params.get("from"), "until": params.get("until"), "offset": 0}
    if state["metadataPrefix"] not in FORMATS:
        return error(params, "cannotDisseminateFormat", f"{state['metadataPrefix']!r} is not supported")
    key = (id(entries), len(entries), state["metadataPrefix"], state["set"], state["from"], state["until"])
    cache = {} if cache is None else cache
    chosen = cache[key] if key in cache else cache.setdefault(key, _chosen(entries, state))
    if not chosen:
        return error(params, "noRecordsMatch", "The combination of the values of the from, until, set and "
                                               "metadataPrefix arguments results in an empty list.")
    offset = state["offset"]
    page = chosen[offset:offset + page_size]
    more = offset + page_size < len(chosen)
    attrs = f' cursor="{offset}" completeListSize="{len(chosen)}"' if counts else ""
    token = _token({**state, "offset": offset + page_size}) if more else ""
    # the last part of a list given in parts ends with an empty token; a list in one part has none
    tail = f"<resumptionToken{attrs}>{token}</resumptionToken>\n" if more or offset else ""
    return (HEAD + _request(params) + "<ListRecords>\n"
            + "\n".join(record(e, state["metadataPrefix"]) for e in page)
            + "\n" + tail + "</ListRecords>\n</OAI-PMH>\n")
