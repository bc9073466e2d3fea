"""The Explorer's ranking table: the search box, the order (by score, suggested, search
results) and the ranked papers, one line each; a click on a row opens its card, and the
keyboard shortcuts (`SHORTCUTS`) label and move while the Explorer has the focus.

The table is an anywidget (`ClickableTable`): a small ES module, no frontend build, that
draws the table's HTML, sends a message on a row click, and listens for the shortcut keys
anywhere in the Explorer — not while typing in a text box, a slider or a list, and with
the focus in the Explorer only, so JupyterLab's own keys stay as they are elsewhere.
"""
from __future__ import annotations

from typing import Any, Callable

import anywidget
import ipywidgets as w
import traitlets

from .render import render_message
from .state import ExplorerState

#: Keyboard shortcuts: (key as the browser names it, action, as the panel documents it).
SHORTCUTS = (("i", "include", "i"), ("e", "exclude", "e"), ("m", "maybe", "m"),
             ("u", "clear", "u"), ("j", "next", "j / ↓"), ("ArrowDown", "next", None),
             ("k", "previous", "k / ↑"), ("ArrowUp", "previous", None))
#: The actions a key can ask for.
ACTIONS = ("include", "exclude", "maybe", "clear", "next", "previous")


def shortcuts_help() -> str:
    """One line documenting the shortcuts, as the paper panel shows it."""
    keys = " · ".join(f"<kbd>{shown}</kbd> {action}" for _, action, shown in SHORTCUTS if shown)
    return (f'<span class="litscope-keys" title="with the focus in the Explorer: click the table first"'
            f' style="color:#666;font-size:0.85em">keys: {keys}</span>')


_ESM = r"""
function render({ model, el }) {
  el.classList.add("litscope-table-box");
  el.tabIndex = 0;
  el.style.position = "relative";
  const reveal = () => {
    const row = el.querySelector("tr.litscope-selected");
    if (!row) return;
    const head = el.querySelector("thead");
    const top = row.offsetTop - (head ? head.offsetHeight : 0);
    const bottom = row.offsetTop + row.offsetHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (bottom > el.scrollTop + el.clientHeight) el.scrollTop = bottom - el.clientHeight;
  };
  const draw = () => { el.innerHTML = model.get("value"); reveal(); };
  draw();
  model.on("change:value", draw);
  el.addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-id]");
    if (row && el.contains(row)) model.send({ event: "open", id: row.dataset.id });
    el.focus({ preventScroll: true });
  });
  // Keys: caught on the window before JupyterLab's own shortcuts see them, and only when the
  // focus is inside this Explorer and not in a box that takes typing or arrows.
  let root = null;
  const onKey = (event) => {
    if (!root || !root.contains(event.target)) return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.target;
    if (target.closest("input, textarea, select, [contenteditable], [role=slider], [role=listbox]")) return;
    const action = model.get("shortcuts")[event.key];
    if (!action) return;
    event.preventDefault();
    event.stopPropagation();
    model.send({ event: "key", action });
  };
  let tries = 0;
  const attach = () => {
    root = el.closest(".litscope-explorer");
    if (root) {
      if (!root.hasAttribute("tabindex")) root.tabIndex = -1;
      window.addEventListener("keydown", onKey, true);
    } else if (tries++ < 200) {
      setTimeout(attach, 50);
    }
  };
  attach();
  return () => window.removeEventListener("keydown", onKey, true);
}
export default { render };
"""


class ClickableTable(anywidget.AnyWidget):
    """The ranked table's HTML (``value``), with row clicks and shortcut keys sent back:
    `on_open(paper_id)` for a click, `on_key(action)` for a key (see `SHORTCUTS`)."""

    _esm = _ESM
    value = traitlets.Unicode("").tag(sync=True)
    shortcuts = traitlets.Dict().tag(sync=True)

    def __init__(self, on_open: Callable[[str], None], on_key: Callable[[str], None], **kwargs: Any):
        super().__init__(shortcuts={key: action for key, action, _ in SHORTCUTS}, **kwargs)
        self._on_open, self._on_key = on_open, on_key
        self.on_msg(self._message)

    def _message(self, _: Any, content: dict[str, Any], buffers: Any) -> None:
        if content.get("event") == "open":
            self._on_open(str(content.get("id")))
        elif content.get("event") == "key" and content.get("action") in ACTIONS:
            self._on_key(str(content["action"]))

    def click(self, paper_id: str) -> None:
        """What a click on the row of `paper_id` does (for scripts and tests)."""
        self._handle_custom_msg({"event": "open", "id": paper_id}, [])

    def press(self, key: str) -> None:
        """What pressing `key` in the Explorer does (for scripts and tests)."""
        if key in self.shortcuts:
            self._handle_custom_msg({"event": "key", "action": self.shortcuts[key]}, [])


class TablePanel:
    """The search box, the order toggle and the table over `state`.

    `on_open` gets a clicked row's paper id, `on_key` a shortcut's action, `on_order` the
    order chosen, `on_query` the search box's text (on Enter)."""

    def __init__(self, state: ExplorerState, *, on_open: Callable[[str], None],
                 on_key: Callable[[str], None], on_order: Callable[[str], None],
                 on_query: Callable[[str], Any]):
        self.state = state
        self.query = w.Text(placeholder="search by words and meaning (Enter)",
                            continuous_update=False, layout=w.Layout(flex="1 1 auto", width="auto"))
        self.query.observe(lambda change: on_query(change["new"]), "value")
        self.message = w.HTML()
        self.order = w.ToggleButtons(options=[("by score", "score"), ("suggested", "suggested"),
                                              ("search results", "search")],
                                     value="score", tooltips=["ranked by score",
                                                              "what to label next (active learning)",
                                                              "the search box's results"],
                                     style={"button_width": "auto"})
        self.order.observe(lambda change: on_order(change["new"]), "value")
        self.table = ClickableTable(on_open, on_key,
                                    layout=w.Layout(max_height="236px", overflow="auto", width="100%"))
        self.widget = w.VBox([self.query, self.message, self.order, self.table])

    def say(self, text: str, error: bool = False) -> None:
        """Show what the last search did, under the search box."""
        self.message.value = render_message(text, error)
