"""arXiv's daily listing feeds (rss.arxiv.org/rss/CATS and /atom/CATS) rendered from the
fixture corpus, element by element as arXiv writes them (help/rss, help/atom_specifications).

An entry is announced on the feed day after the first submission cutoff (14:00 US
Eastern, Monday to Friday) at or after its submission: "new" where its primary category
is one of the feed's, "cross" where only a cross-list is; a later version is announced the
same way after its date as "replace" or "replace-cross". Several categories joined with
"+" make one feed listing each paper once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
LICENSE = "http://creativecommons.org/licenses/by/4.0/"


def announced_on(submitted: datetime) -> date:
    """The feed day that lists a version submitted at `submitted`."""
    local = submitted.astimezone(EASTERN)
    day = local.date()
    while day.weekday() >= 5 or datetime.combine(day, time(14), EASTERN) < local:
        day += timedelta(days=1)
        local = datetime.combine(day, time(0), EASTERN)
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@dataclass
class Item:
    """One listing of a feed: an entry's version and how it is announced."""
    entry: object       # arxiv_server.Entry
    version: int
    type: str

    @property
    def vid(self) -> str:
        return f"{self.entry.id}v{self.version}"

    def description(self) -> str:
        return f"arXiv:{self.vid} Announce Type: {self.type} \nAbstract: {' '.join(self.entry.abstract.split())}"

    def extras(self, indent: str) -> list[str]:
        e = self.entry
        return [*([f"{indent}<arxiv:journal_reference>{escape(e.journal_ref)}</arxiv:journal_reference>"]
                  if e.journal_ref else []),
                *([f"{indent}<arxiv:DOI>{escape(e.doi)}</arxiv:DOI>"] if e.doi else [])]

    def creators(self) -> str:
        return escape(", ".join(name for name, _ in self.entry.authors))


def listing(entries, categories: list[str], day: date) -> list[Item]:
    """What the feed for `categories` lists on `day`, each paper once."""
    wanted, items = set(categories), {}
    for entry in entries:
        if not wanted & set(entry.categories):
            continue
        primary = entry.primary in wanted
        if announced_on(entry.published) == day:
            items.setdefault(entry.id, Item(entry, 1, "new" if primary else "cross"))
        if entry.version > 1 and announced_on(entry.updated) == day:
            items[entry.id] = Item(entry, entry.version, "replace" if primary else "replace-cross")
    return sorted(items.values(), key=lambda i: (("new", "cross", "replace", "replace-cross").index(i.type),
                                                 i.entry.id))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), EASTERN)


def rss(items: list[Item], name: str, day: date) -> str:
    """The RSS 2.0 feed arXiv serves at /rss/NAME on `day`."""
    stamp = format_datetime(_midnight(day))
    built = format_datetime(_midnight(day).astimezone(timezone.utc) + timedelta(minutes=31))
    head = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'version="2.0">',
        "  <channel>",
        f"    <title>{name} updates on arXiv.org</title>",
        f"    <link>http://rss.arxiv.org/rss/{name}</link>",
        f"    <description>{name} updates on the arXiv.org e-print archive.</description>",
        f'    <atom:link href="https://rss.arxiv.org/rss/{name}" rel="self" type="application/rss+xml"/>',
        "    <docs>http://www.rssboard.org/rss-specification</docs>",
        "    <language>en-us</language>",
        f"    <lastBuildDate>{built}</lastBuildDate>",
        "    <managingEditor>rss-help@arxiv.org</managingEditor>",
        f"    <pubDate>{stamp}</pubDate>",
        "    <skipDays>",
        "      <day>Sunday</day>",
        "      <day>Saturday</day>",
        "    </skipDays>",
    ]
    body = []
    for item in items:
        e = item.entry
        body += [
            "    <item>",
            f"      <title>{escape(' '.join(e.title.split()))}</title>",
            f"      <link>https://arxiv.org/abs/{e.id}</link>",
            f"      <description>{escape(item.description())}</description>",
            f'      <guid isPermaLink="false">oai:arXiv.org:{item.vid}</guid>',
            *(f"      <category>{c}</category>" for c in e.categories),
            f"      <pubDate>{stamp}</pubDate>",
            f"      <arxiv:announce_type>{item.type}</arxiv:announce_type>",
            f"      <dc:rights>{LICENSE}</dc:rights>",
            *item.extras("      "),
            f"      <dc:creator>{item.creators()}</dc:creator>",
            "    </item>",
        ]
    return "\n".join(head + body + ["  </channel>", "</rss>", ""])


def atom(items: list[Item], name: str, day: date) -> str:
    """The Atom feed arXiv serves at /atom/NAME on `day`."""
    built = (_midnight(day).astimezone(timezone.utc) + timedelta(minutes=31)).isoformat()
    published = _midnight(day).isoformat()
    head = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xml:lang="en-us">',
        f"  <id>http://rss.arxiv.org/atom/{name}</id>",
        f"  <title>{name} updates on arXiv.org</title>",
        f"  <updated>{built}</updated>",
        f'  <link href="https://rss.arxiv.org/atom/{name}" rel="self" type="application/atom+xml"/>',
        f"  <subtitle>{name} updates on the arXiv.org e-print archive.</subtitle>",
    ]
    body = []
    for item in items:
        e = item.entry
        body += [
            "  <entry>",
            f"    <id>oai:arXiv.org:{item.vid}</id>",
            f"    <title>{escape(' '.join(e.title.split()))}</title>",
            f"    <updated>{built}</updated>",
            f'    <link href="https://arxiv.org/abs/{e.id}" rel="alternate" type="text/html"/>',
            f"    <summary>{escape(item.description())}</summary>",
            *(f'    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in e.categories),
            f"    <published>{published}</published>",
            f"    <arxiv:announce_type>{item.type}</arxiv:announce_type>",
            f"    <dc:rights>{LICENSE}</dc:rights>",
            *item.extras("    "),
            f"    <dc:creator>{item.creators()}</dc:creator>",
            "  </entry>",
        ]
    return "\n".join(head + body + ["</feed>", ""])
