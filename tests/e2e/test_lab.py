"""JupyterLab in headless Chromium: run 02-score-and-explore.ipynb, drag a weight slider,
click include, and check the ranking and the store. Screenshots go to tests/e2e/artifacts/."""
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


def test_explorer_in_jupyterlab(lab, browser, artifacts):
    page = browser
    page.goto(lab.notebook_url("notebooks/02-score-and-explore.ipynb"))
    page.wait_for_function("() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                           " return w && w.sessionContext && w.sessionContext.session"
                           " && w.sessionContext.session.kernel; }", timeout=120_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(TABLE_ROWS, timeout=240_000)
    page.wait_for_selector(f"{EXPLORER} .widget-output img", timeout=60_000)
    _show(page, EXPLORER)
    page.screenshot(path=artifacts / "1-explorer.png")
    before = _table_ids(page)
    assert len(before) == 20

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
    page.mouse.move(end["x"] - 20, start["y"] + start["height"] / 2, steps=15)
    page.mouse.up()
    page.wait_for_function(f"(old) => {FIRST_ID} && {FIRST_ID}.dataset.id !== old", arg=before[0],
                           timeout=30_000)
    assert float(row.locator(".widget-readout").inner_text().replace("\u2212", "-")) < 0
    after = _table_ids(page)
    assert after[0] != before[0] and after != before
    _show(page, EXPLORER)
    page.screenshot(path=artifacts / "2-after-slider.png")

    # Include the paper on the card; the kernel writes it to the store at once.
    paper_id = page.locator(f"{EXPLORER} div.litscope-card[data-id]").get_attribute("data-id")
    assert paper_id in after
    page.locator(EXPLORER).get_by_role("button", name="include", exact=True).click()
    labels = _wait_for_label(Store(lab.data), paper_id)
    assert labels == {paper_id: "include"}
    page.wait_for_selector(f'{TABLE_ROWS}[data-id="{paper_id}"] .litscope-label-include',
                           timeout=30_000)
    _show(page, EXPLORER)
    page.screenshot(path=artifacts / "3-after-include.png")
    page.locator(f"{EXPLORER} .widget-output img").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "4-plots.png")
