"""The rendered review website in headless Chromium: every page type without a page error,
on a desktop and at a phone's 390 px without sideways scrolling, the search box (a paper
found by a word of its abstract, never by a term of its score table), the cards' links to
the papers' sections and the citations' hover. Screenshots of each page type, desktop and
phone, and a report (page errors, render time) go to tests/e2e/artifacts/."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _sections(root: Path) -> dict[str, str]:
    return json.loads((root / "curated" / "sections.json").read_text(encoding="utf-8"))


def _pages(root: Path) -> dict[str, str]:
    """A page of each type, by name: the site-relative path (the paper: a dated day's first section)."""
    paper = next(href for href in _sections(root).values() if not href.startswith("days/undated"))
    month = next(p for p in sorted((root / "curated").glob("????-??.qmd")))
    return {"front": "index.html", "paper": f"curated/{paper}", "month": f"curated/{month.stem}.html",
            "archive": "curated/archive.html", "methods": "curated/methods.html", "review": "review.html",
            "notebook-explorer": "notebooks/02-score-and-explore.html", "notebook-curate": "notebooks/03-curate.html"}


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]{6,}", text)}


def _search(page, base: str, query: str) -> list[dict]:
    """The search box's results for `query`: each result's title and link."""
    page.goto(base + "index.html", wait_until="load")
    page.locator("#quarto-search").click()
    page.locator("input.aa-Input").fill(query)
    try:
        page.wait_for_selector(".aa-Item", timeout=5_000)
    except Exception:   # playwright's TimeoutError: no result at all
        return []
    page.wait_for_timeout(500)
    results = page.eval_on_selector_all(".aa-Item", """items => items.map(i => ({
        text: i.textContent, href: (i.querySelector('a') || {}).href || ''}))""")
    page.keyboard.press("Escape")
    return results


def _no_sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_review_website_in_chromium(site, browser, artifacts):
    base, rendered = site
    page = browser
    errors: list[str] = []
    console: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.on("console", lambda message: console.append(f"{page.url}: {message.text}")
            if message.type == "error" else None)
    missing: list[str] = []             # this site's own files that are not there
    page.on("response", lambda response: missing.append(f"{response.url}: HTTP {response.status}")
            if response.status >= 400 and response.url.startswith(base) else None)
    pages = _pages(rendered.root)
    widths: dict[str, int] = {}
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        for kind, path in pages.items():
            page.goto(base + path, wait_until="load")
            page.wait_for_timeout(600)
            assert page.locator("nav.navbar").count() == 1, path
            if kind == "paper":          # the section's folded parts open: the score table, the BibTeX
                anchor = path.split("#")[1]
                page.locator(f"#{anchor} details").evaluate_all("all => all.forEach(d => d.open = true)")
                page.locator(f"#{anchor}").scroll_into_view_if_needed()
            if kind == "methods":
                page.locator("#prisma").scroll_into_view_if_needed()
                page.wait_for_selector("#prisma svg", timeout=15_000)   # Quarto's mermaid.js drew it
            if kind == "review":
                page.locator("#refs").scroll_into_view_if_needed()
            if kind == "notebook-explorer":   # the Explorer, as a static snapshot
                page.locator(".litscope-explorer-snapshot").evaluate("el => el.scrollIntoView()")
            page.screenshot(path=artifacts / f"site-{size}-{kind}.png", full_page=kind == "front")
            if size == "phone":
                widths[kind] = _no_sideways_scroll(page)
    assert errors == [], errors
    assert {kind: w for kind, w in widths.items() if w > PHONE["width"]} == {}, widths   # nothing scrolls sideways

    # a paper section at 390 px: its score table scrolls in its own box, not the page
    page.set_viewport_size(PHONE)
    paper = pages["paper"]
    page.goto(base + paper, wait_until="load")
    anchor = paper.split("#")[1]
    page.locator(f"#{anchor} details.litscope-why").evaluate("d => d.open = true")
    box = page.locator(f"#{anchor} .litscope-explanation").bounding_box()
    assert box and box["x"] + box["width"] <= PHONE["width"] and _no_sideways_scroll(page) <= PHONE["width"]
    page.set_viewport_size(DESKTOP)

    # the search box finds a paper by a word of its abstract, and no paper by a word of its score table
    index = json.loads((rendered.site / "search.json").read_text(encoding="utf-8"))
    counts = Counter(w for entry in index for w in _words(entry["text"] + " " + entry["title"]))
    entry = next(e for e in index if e["href"] == paper)
    rare = sorted(w for w in _words(entry["text"]) if counts[w] == 1)
    assert rare, entry
    results = _search(page, base, rare[0])
    assert any(anchor in r["href"] for r in results), (rare[0], results)
    page.screenshot(path=artifacts / "site-desktop-search.png")
    page.goto(base + paper, wait_until="load")
    table = page.locator(f"#{anchor} .litscope-explanation").text_content()   # folded: no inner_text
    # a word of the table that no paper's entry holds (the methods page, which explains the
    # table, may): searching it must find no paper
    in_papers = {w for e in index if "#paper-" in e["href"] for w in _words(e["text"] + " " + e["title"])}
    only_table = sorted(w for w in _words(table) if not any(w in c for c in in_papers))
    if not only_table:
        pytest.fail(f"every word of the score table of {paper} is in some paper's search entry: {table!r}")
    results = _search(page, base, only_table[0])
    assert not [r for r in results if "/curated/days/" in r["href"]], (only_table[0], results)

    # the review page: cards link to the papers' sections, citations have their hover
    page.goto(base + "review.html", wait_until="load")
    links = page.eval_on_selector_all(".litscope-card a", "links => links.map(a => a.href)")   # resolved
    sections = [h for h in links if h.startswith(base + "curated/days/")]
    assert sections, links
    page.locator('a[href$="#ref-wang2025rlhfspec"]').first.hover()   # Quarto's script makes links whole
    page.wait_for_selector(".tippy-box", timeout=10_000)
    assert "RLHFSpec" in page.locator(".tippy-box").inner_text()
    page.screenshot(path=artifacts / "site-desktop-review-citation-hover.png")
    first = sections[0]
    page.goto(first, wait_until="load")
    assert page.locator("#" + first.split("#")[1]).count() == 1
    assert errors == [], errors

    (artifacts / "site-report.json").write_text(json.dumps({
        "page_errors": len(errors), "pages_visited": 2 * len(pages) + 5, "render": rendered.figures(),
        "phone_scroll_widths": widths, "search_abstract_word": rare[0], "search_score_term": only_table[0],
        "missing_files": missing, "console_errors": console}, indent=2), encoding="utf-8")
    assert missing == [], missing       # (the browser's own favicon.ico request is not a page's)
