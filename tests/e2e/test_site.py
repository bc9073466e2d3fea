"""The rendered review website in headless Chromium: every page type without a page error,
the search box, the listing's filter, sort and categories. Screenshots of each page type
and a report (page errors, render time) go to tests/e2e/artifacts/."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from litscope.publish.markdown import page_slugs
from litscope.publish.quarto_schema import split_front_matter
from litscope.store import Store

POSTS = ".list.quarto-listing-default .quarto-post"


def _papers(root: Path) -> list[dict]:
    """The published papers in the front page's order: their store record, slug and score."""
    store = Store(root / "data").papers().set_index("id")
    ids = dict(zip(page_slugs(store.index, "paper"), store.index))     # a page's file name → id
    papers = []
    for page in (root / "curated" / "papers").glob("*.qmd"):
        meta = split_front_matter(page.read_text(encoding="utf-8"))[0]
        row = store.loc[ids[page.stem]]
        papers.append({"slug": page.stem, "order": meta["order"], "score": float(meta["score"]),
                       "title": row["title"], "abstract": row["abstract"] or ""})
    return sorted(papers, key=lambda p: p["order"])


def _pages(root: Path) -> dict[str, str]:
    """A page of each type, by name: the site-relative path."""
    first = _papers(root)[0]["slug"]
    topic = next(p for p in sorted((root / "curated" / "topics").glob("*.qmd")) if p.stem != "index")
    day = next(p for p in sorted((root / "curated" / "days").glob("*.qmd")) if p.stem != "index")
    return {"home": "index.html", "paper": f"curated/papers/{first}.html",
            "topic": f"curated/topics/{topic.stem}.html", "day": f"curated/days/{day.stem}.html",
            "methods": "curated/methods.html", "review": "review.html",
            "notebook-explorer": "notebooks/02-score-and-explore.html",
            "notebook-curate": "notebooks/03-curate.html"}


def _rare_word(texts: list[str]) -> str:
    """A word of the first text that no other text has."""
    words = [{w.lower() for w in re.findall(r"[A-Za-z]{7,}", text)} for text in texts]
    counts = Counter(w for ws in words for w in ws)
    return sorted(w for w in words[0] if counts[w] == 1)[0]


def _visible_posts(page) -> list[dict]:
    return page.eval_on_selector_all(POSTS, """posts => posts.map(p => ({
        title: p.querySelector('.listing-title').textContent.trim(),
        categories: [...p.querySelectorAll('.listing-category')].map(c => c.textContent.trim()),
        score: parseFloat(p.dataset.listingScoreSort), text: p.textContent}))""")


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
    shown = {}
    for number, (kind, path) in enumerate(_pages(rendered.root).items(), 1):
        page.goto(base + path, wait_until="load")
        page.wait_for_timeout(500)
        assert page.locator("nav.navbar").count() == 1, path
        if kind == "notebook-explorer":   # the Explorer, as a static snapshot
            page.locator(".litscope-explorer-snapshot").evaluate("el => el.scrollIntoView()")
        page.screenshot(path=artifacts / f"site-{number}-{kind}.png", full_page=kind == "home")
        shown[kind] = page.title()
    assert errors == [], errors
    assert "snapshot" not in shown["notebook-explorer"] and shown["paper"]

    # the search box finds a paper by a word of its abstract
    papers = _papers(rendered.root)
    word = _rare_word([p["abstract"] for p in papers])
    page.goto(base + "index.html", wait_until="load")
    page.locator("#quarto-search").click()
    page.locator("input.aa-Input").fill(word)
    page.wait_for_selector(".aa-Item", timeout=15_000)
    results = page.locator(".aa-Item .search-result-title").all_text_contents()
    assert any(" ".join(papers[0]["title"].split())[:40] in r for r in results), (word, results)
    page.screenshot(path=artifacts / "site-9-search.png")
    page.keyboard.press("Escape")

    # the listing: filter, sort, a category
    page.goto(base + "index.html", wait_until="load")
    everything = _visible_posts(page)
    assert len(everything) == 25                       # the first of two pages
    word = _rare_word([p["title"] for p in papers[3:]])
    page.locator(".quarto-listing-filter input").press_sequentially(word)   # list.js listens to keyup
    page.wait_for_timeout(500)
    filtered = _visible_posts(page)
    assert [" ".join(p["title"].split()) for p in filtered] == [" ".join(papers[3]["title"].split())]
    page.locator(".quarto-listing-filter input").fill("")
    page.locator(".quarto-listing-filter input").press("Backspace")
    page.select_option("#listing-papers-sort", label="Score (High to Low)")
    page.wait_for_timeout(500)
    scores = [p["score"] for p in _visible_posts(page)]
    assert scores == sorted(scores, reverse=True) and scores[0] == max(p["score"] for p in papers)
    category = next(c for p in everything for c in p["categories"] if not c.startswith("cs."))
    page.locator(".quarto-listing-category .category").filter(has_text=category).first.click()
    page.wait_for_timeout(500)
    in_category = _visible_posts(page)
    assert in_category and all(category in p["categories"] for p in in_category)
    assert "category=" in page.url
    page.screenshot(path=artifacts / "site-10-category.png", full_page=True)
    assert errors == [], errors

    (artifacts / "site-report.json").write_text(json.dumps({
        "page_errors": len(errors), "pages_visited": len(shown) + 2, "render": rendered.figures(),
        "missing_files": missing, "console_errors": console}, indent=2), encoding="utf-8")
    assert missing == [], missing       # (the browser's own favicon.ico request is not a page's)

