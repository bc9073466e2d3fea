"""JupyterLab in headless Chromium at 1280 x 800 with the file browser open: run
02-score-and-explore.ipynb, drag a weight slider, click a row, label with the buttons and
the shortcut keys, and check the ranking, the layout and the store. Screenshots go to
tests/e2e/artifacts/."""
from __future__ import annotations

import re
import time

from litscope.store import Store

EXPLORER = ".litscope-explorer"
TABLE_ROWS = f"{EXPLORER} table.litscope-table tbody tr[data-id]"
FIRST_ID = "document.querySelector('.litscope-explorer table.litscope-table tbody tr[data-id]')"


def _table_ids(page) -> list[str]:
    return page.eval_on_selector_all(TABLE_ROWS, "rows => rows.map(r => r.dataset.id)")


def _wait_for_label(store: Store, paper_id: str, timeout: float = 30) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        labels = dict(zip(store.labels()["id"], store.labels()["label"]))
        if paper_id in labels or time.monotonic() > deadline:
            return labels
        time.sleep(0.2)


def _show(page, selector: str) -> None:
    """Scroll the notebook so that the element starts at the top of the window."""
    page.locator(selector).first.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)


def _labels(store: Store) -> dict[str, str]:
    labels = store.labels()
    return dict(zip(labels["id"], labels["label"]))


def _card_id(page) -> str:
    return page.locator(f"{EXPLORER} div.litscope-card[data-id]").get_attribute("data-id")


def _wait_for_card(page, paper_id: str) -> None:
    page.wait_for_function(
        "(id) => { const c = document.querySelector('.litscope-explorer div.litscope-card[data-id]');"
        " return c && c.dataset.id === id; }", arg=paper_id, timeout=30_000)


def test_explorer_in_jupyterlab(lab, browser, artifacts):
    page = browser
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(lab.notebook_url("notebooks/02-score-and-explore.ipynb"))
    page.wait_for_function("() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                           " return w && w.sessionContext && w.sessionContext.session"
                           " && w.sessionContext.session.kernel; }", timeout=120_000)
    page.evaluate("() => window.jupyterapp.shell.activateById('filebrowser')")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(TABLE_ROWS, timeout=240_000)
    page.wait_for_selector(f"{EXPLORER} .widget-output img", timeout=60_000)
    assert page.locator("#filebrowser").is_visible()
    _show(page, EXPLORER)
    page.screenshot(path=artifacts / "1-explorer-1280x800.png")
    before = _table_ids(page)
    assert len(before) == 20

    # It fits beside the file browser: nothing sticks out sideways, one line per title.
    widths = page.eval_on_selector(EXPLORER, "e => [e.scrollWidth, e.clientWidth, e.getBoundingClientRect().right]")
    assert widths[0] <= widths[1] + 1 and widths[2] <= 1280, widths
    heights = page.eval_on_selector_all(TABLE_ROWS, "rows => rows.map(r => r.getBoundingClientRect().height)")
    line = page.eval_on_selector(f"{EXPLORER} table.litscope-table td", "td => parseFloat(getComputedStyle(td).lineHeight) || 20")
    assert max(heights) < 2 * line, (heights, line)

    # The term that lifts the top paper most, from its card; drag its slider to the far left.
    terms = page.eval_on_selector_all(f"{EXPLORER} .litscope-term label.widget-label",
                                      "labels => labels.map(l => l.textContent)")
    contributions = page.eval_on_selector_all(
        f"{EXPLORER} div.litscope-card[data-id] .litscope-contribution",
        "bars => bars.map(b => [b.cells[0].textContent, parseFloat(b.cells[2].textContent)])")
    top_term = max((c for c in contributions if c[0] in terms), key=lambda c: c[1])[0]
    row = page.locator(f"{EXPLORER} .litscope-term").filter(
        has=page.locator("label.widget-label", has_text=re.compile(rf"^{re.escape(top_term)}$")))
    handle, track = row.locator(".noUi-handle"), row.locator(".noUi-base")
    row.scroll_into_view_if_needed()
    start, end = handle.bounding_box(), track.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + 2, start["y"] + start["height"] / 2, steps=15)
    released = page.evaluate("() => performance.now()")
    page.mouse.up()
    page.wait_for_function(f"(old) => {FIRST_ID} && {FIRST_ID}.dataset.id !== old", arg=before[0],
                           timeout=30_000)
    reranked_ms = page.evaluate("() => performance.now()") - released
    assert float(row.locator(".widget-readout").inner_text().replace("\u2212", "-")) < 0
    after = _table_ids(page)
    assert after[0] != before[0] and after != before
    (artifacts / "slider-rerank-ms.txt").write_text(f"{reranked_ms:.0f}\n")
    _show(page, EXPLORER)
    page.screenshot(path=artifacts / "2-after-slider.png")

    # A click on a row opens its card.
    third = after[2]
    page.locator(f'{TABLE_ROWS}[data-id="{third}"]').click()
    _wait_for_card(page, third)
    assert page.locator(f'{TABLE_ROWS}[data-id="{third}"]').get_attribute("class") == "litscope-selected"
    page.screenshot(path=artifacts / "3-row-clicked.png")

    # Keys, with the focus in the Explorer: i, then j (skip one), e, then k back and m.
    store = Store(lab.data)
    page.keyboard.press("i")
    assert _wait_for_label(store, third) == {third: "include"}
    _wait_for_card(page, after[3])
    page.keyboard.press("j")
    _wait_for_card(page, after[4])
    page.keyboard.press("e")
    assert _wait_for_label(store, after[4]) == {third: "include", after[4]: "exclude"}
    _wait_for_card(page, after[5])
    page.keyboard.press("k")
    page.keyboard.press("ArrowUp")
    _wait_for_card(page, after[3])
    page.keyboard.press("m")
    assert _wait_for_label(store, after[3]) == {third: "include", after[4]: "exclude", after[3]: "maybe"}
    page.wait_for_selector(f'{TABLE_ROWS}[data-id="{third}"] .litscope-label-include', timeout=30_000)
    page.wait_for_selector(f'{TABLE_ROWS}[data-id="{after[3]}"] .litscope-label-maybe', timeout=30_000)

    # What the key did is said beside the label buttons, on screen.
    message = page.locator(f"{EXPLORER} .litscope-label-message")
    page.wait_for_function("() => document.querySelector('.litscope-explorer .litscope-label-message')"
                           ".textContent.includes('maybe')", timeout=30_000)
    box = message.bounding_box()
    button = page.locator(EXPLORER).get_by_role("button", name="include", exact=True).bounding_box()
    assert 0 <= box["y"] - (button["y"] + button["height"]) < 40, (box, button)
    assert page.locator(f"{EXPLORER} .litscope-keys").is_visible()
    _show(page, EXPLORER)
    assert 0 <= message.bounding_box()["y"] < 800
    page.screenshot(path=artifacts / "4-after-keys.png")

    # A click anywhere in the Explorer gives it the focus for the keys: here, the card.
    selected = _card_id(page)
    position = after.index(selected)
    page.locator(f"{EXPLORER} div.litscope-card[data-id] b", has_text="why this score").click()
    page.keyboard.press("j")
    _wait_for_card(page, _table_ids(page)[position + 1])

    # Typing in a text box labels nothing.
    selected = _card_id(page)
    notes = page.locator(f"{EXPLORER} .litscope-card ~ .widget-textarea textarea, {EXPLORER} textarea").first
    notes.click()
    page.keyboard.type("imej")
    assert notes.input_value() == "imej"
    page.wait_for_timeout(1000)
    assert _card_id(page) == selected
    assert _labels(store) == {third: "include", after[4]: "exclude", after[3]: "maybe"}

    page.locator(f"{EXPLORER} .widget-output img").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "5-plots.png")
