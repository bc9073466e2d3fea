"""The workflow notebooks: stored without outputs, and run top to bottom offline.

Each runs in a real kernel (nbclient, the ``python3`` kernel of this interpreter), in
order, in a review project made by `litscope init` in a temporary folder, with
$LITSCOPE_DATA pointing at a temporary store that holds the embedded sample, labels and a
library, as a person's review would: later notebooks see what earlier ones stored, no
notebook adds a paper (none imports the sample), and nothing in the repository changes.
They also run on a new review whose store is empty.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow        # notebooks run in a kernel; nbformat is imported when needed

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
WORKFLOW = ["01-fetch-and-import.ipynb", "02-score-and-explore.ipynb", "03-curate.ipynb",
            "04-publish.ipynb", "05-library.ipynb"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_the_workflow_notebooks_are_all_there():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == WORKFLOW


@pytest.mark.parametrize("name", WORKFLOW)
def test_notebook_is_stored_without_outputs(name):
    import nbformat
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, f"{name} has no code"
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, \
            f"{name}: a cell is stored with outputs (quarto render saves them into the notebook); clear " \
            f"them before committing: jupyter nbconvert --clear-output --inplace notebooks/*.ipynb"
    assert "widgets" not in notebook.metadata
    assert notebook.metadata.kernelspec.name == "python3"
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# ")


def _fingerprint(path: Path) -> str | None:
    """A hash of a file or of a folder's file names and contents (None when absent)."""
    if not path.exists():
        return None
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.relative_to(path.parent)).encode() + file.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> tuple[Path, Path]:
    """A fresh review project and a store folder outside it holding the sample, 16 labels and
    a library, shared by this module's notebooks."""
    from curation import curate_sample
    from litscope.project import init_project
    from litscope.store import Store
    root = tmp_path_factory.mktemp("review")
    init_project(root, git=False)
    shutil.copytree(REPO / "taxonomies", root / "taxonomies")   # as in this repository's review
    data = tmp_path_factory.mktemp("notebook-data")
    curate_sample(Store(data))
    return root, data


def _run(name: str, root: Path) -> list:
    import nbformat
    from nbclient import NotebookClient
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(root / "notebooks")}}).execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"], name
    return outputs


def _texts(outputs: list) -> list[str]:
    return [out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
            + str(out.get("data", {}).get("text/markdown", "")) for out in outputs]


@pytest.mark.parametrize("name", WORKFLOW)
def test_notebook_runs_top_to_bottom_offline(name, review, monkeypatch):
    root, data = review
    monkeypatch.setenv("LITSCOPE_DATA", str(data))
    monkeypatch.setenv("LITSCOPE_ARXIV_URL", "http://127.0.0.1:9/api/query")  # nothing listens
    guarded = [REPO / "data", REPO / "profile.yml", REPO / "curated", REPO / "litscope.yml",
               REPO / "digests", NOTEBOOKS]
    before = [_fingerprint(p) for p in guarded]
    from litscope.store import Store
    papers = Store(data).count()
    outputs = _run(name, root)
    assert any("image/png" in out.get("data", {}) for out in outputs), f"{name} shows no plot"
    assert [_fingerprint(p) for p in guarded] == before, f"{name} wrote into the repository"
    assert Store(data).count() == papers, f"{name} added papers to the review's store"
    assert not (root / "data" / "litscope.sqlite").exists()
    texts = _texts(outputs)
    assert not [t for t in texts if str(root) in t or str(data) in t], f"{name} prints a machine's path"
    if name.startswith("02"):
        assert any(WIDGET_VIEW in out.get("data", {}) for out in outputs), "the Explorer is not shown"
        assert any("blending in" in t or "gives" in t for t in texts) or any("Scores come from" in t for t in texts)
    if name.startswith("03"):
        assert {p.name for p in (root / "exports").iterdir()} == {"review.bib", "review.ris",
                                                                  "review.csv", "review.jsonl"}
    if name.startswith("03"):
        assert any("16 papers labelled" in t for t in texts) and any("wss" in t.lower() for t in texts)
        assert not [t for t in texts if "no simulation yet" in t or "nothing to suggest yet" in t]
    if name.startswith("05"):
        assert any("7 library items in 1 libraries" in t for t in texts)
        assert any("similar to ‹" in t for t in texts), "no similarity rows in explain"
    if name.startswith("04"):
        assert (root / "curated" / "_listing.yml").is_file() and (root / "curated" / "methods.qmd").is_file()
        assert any("### [1]" in t for t in texts) and not (root / "digests").exists()   # shown, not written


@pytest.mark.parametrize("name", WORKFLOW)
def test_notebook_runs_on_a_new_review_with_an_empty_store(name, tmp_path_factory, monkeypatch):
    from litscope.project import init_project
    from litscope.store import Store
    root = tmp_path_factory.mktemp("empty-review")
    init_project(root, git=False)
    monkeypatch.delenv("LITSCOPE_DATA", raising=False)
    monkeypatch.setenv("LITSCOPE_ARXIV_URL", "http://127.0.0.1:9/api/query")
    _run(name, root)
    assert Store(root / "data").count() == 0
