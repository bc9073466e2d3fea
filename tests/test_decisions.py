"""The review's decisions in its git repository: written at once with who and when, replayed
into any store (a fresh clone's included), merged by real git without loss, disagreements
shown; `litscope label`, `list --label`, `decisions` and `rebuild` as a user runs them."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from litscope.cli import main
from litscope.config import open_project
from litscope.decisions import DecisionLog, disagreements, replay, reviewer_slug
from litscope.errors import DecisionError
from litscope.sample import load_sample
from litscope.store import Store

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GIT = shutil.which("git")


def _git(root: Path, *args: str) -> str:
    run = subprocess.run([GIT, *args], cwd=root, capture_output=True, text=True, timeout=60,
                         env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                              "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
                              "HOME": str(root), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.fixture
def review(tmp_path, monkeypatch):
    """A new review (init) holding the first 60 sample papers, as reviewer Ada."""
    monkeypatch.setenv("LITSCOPE_REVIEWER", "Ada Lovelace")
    root = tmp_path / "review"
    assert main(["init", str(root), "--title", "Decisions"]) == 0
    monkeypatch.chdir(root)
    open_project(root).store().add_papers(load_sample().head(60))
    return root


def _decisions(root: Path) -> list[dict]:
    return [json.loads(line) for path in sorted((root / "decisions").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.slow
def test_every_decision_is_a_line_in_the_project_with_who_and_when(review, capsys):
    store = open_project(review).store()
    ids = store.papers()["id"].tolist()
    assert main(["label", ids[0], ids[1], "include", "--reason", "fast decoding"]) == 0
    assert "recorded in decisions/ada-lovelace.jsonl" in capsys.readouterr().out
    assert main(["label", "exclude", f"https://arxiv.org/abs/{ids[2]}v1"]) == 0     # the label first
    assert main(["label", ids[1], "clear"]) == 0
    assert main(["note", ids[0], "compare with Medusa"]) == 0
    assert main(["tag", ids[0], "to-read", "decoding"]) == 0
    assert main(["tag", ids[0], "to-read", "--remove"]) == 0
    store.update_fields(ids[3], topic="Efficiency", tldr="A hand-written TL;DR.")
    lines = _decisions(review)
    assert [(d["id"], d["kind"]) for d in lines] == [
        (ids[0], "label"), (ids[1], "label"), (ids[2], "label"), (ids[1], "label"), (ids[0], "note"),
        (ids[0], "tags"), (ids[0], "tags"), (ids[3], "topic"), (ids[3], "tldr")]
    assert {d["by"] for d in lines} == {"Ada Lovelace"} and all(d["at"].endswith("+00:00") for d in lines)
    assert lines[0]["label"] == "include" and lines[0]["reason"] == "fast decoding" and lines[0]["version"] == 1
    assert lines[3]["label"] is None                                    # cleared
    assert lines[6] == {**lines[6], "add": [], "remove": ["to-read"]}
    capsys.readouterr()
    assert main(["list", "--label", "include"]) == 0
    listed = capsys.readouterr().out
    assert ids[0] in listed and ids[1] not in listed and "labelled include" in listed
    labels = store.labels().set_index("id")
    assert labels.loc[ids[0], "reason"] == "fast decoding" and ids[1] not in labels.index


@pytest.mark.parametrize("words", [["2512.00001", "2512.00002"], ["include"], ["2512.00001", "include", "2512.00002"]])
def test_label_without_one_label_first_or_last_is_one_line(tmp_path, capsys, words):
    assert main(["label", *words, "--data", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("litscope: error: litscope label: name the papers and one label (include, exclude, maybe, "
                   f"clear), e.g. 'litscope label 2512.04752 include'; got {' '.join(words)!r}")
    assert not (tmp_path / "data").exists()


def test_summaries_a_program_writes_are_no_decisions(review):
    from litscope.curate.summarize import summarize
    store = open_project(review).store()
    summarize(store.papers().head(5), None, store, progress=False)
    assert not (review / "decisions").exists()


@pytest.mark.slow
def test_a_clone_without_data_gets_every_decision_back_when_it_imports_its_papers(review, tmp_path, monkeypatch):
    store = open_project(review).store()
    ids = store.papers()["id"].tolist()
    store.set_label(ids[0], "include", reason="the one")
    store.set_label(ids[1], "exclude")
    store.set_note(ids[2], "read the appendix")
    store.tag(ids[3], add=["kv-cache"])
    store.update_fields(ids[4], topic="Agents", subtopic="Tools")
    from litscope.sources.library import import_library
    import_library(store, FIXTURES / "my-library.bib", name="mine")
    before = store.papers().set_index("id")
    _git(review, "add", "-A")
    _git(review, "commit", "-qm", "The review so far")

    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(review), str(clone))
    assert not (clone / "data").exists()                               # the store is not committed
    monkeypatch.chdir(clone)
    copy = open_project(clone).store()
    assert copy.count() == 0 and copy.labels().empty
    copy.add_papers(load_sample().head(60))                          # the same papers, imported again
    labels = dict(zip(copy.labels()["id"], copy.labels()["label"]))
    assert labels == {ids[0]: "include", ids[1]: "exclude"}
    assert copy.labels().set_index("id").loc[ids[0], "reason"] == "the one"
    assert dict(zip(copy.notes()["id"], copy.notes()["note"])) == {ids[2]: "read the appendix"}
    after = copy.papers().set_index("id")
    assert after.loc[ids[3], "tags"] == before.loc[ids[3], "tags"] == ["kv-cache"]
    assert tuple(after.loc[ids[4], ["topic", "subtopic"]]) == ("Agents", "Tools")
    assert main(["rebuild"]) == 0                                      # the library comes back too
    assert set(copy.library()["item_key"]) == set(store.library()["item_key"]) and len(copy.library()) == 7


@pytest.mark.skipif(GIT is None, reason="git is not installed")
@pytest.mark.slow
def test_two_reviewers_decisions_merged_by_git_keep_both_and_show_the_disagreement(review, tmp_path, monkeypatch, capsys):
    ids = open_project(review).store().papers()["id"].tolist()
    _git(review, "add", "-A")
    _git(review, "commit", "-qm", "Start")
    other = tmp_path / "other-machine"
    _git(tmp_path, "clone", "-q", str(review), str(other))

    # Ada decides on her machine; Bob on his, and Ada again on the second machine (the same file)
    open_project(review).store().set_label(ids[0], "include")
    open_project(review).store().set_label(ids[1], "include")
    _git(review, "add", "-A")
    _git(review, "commit", "-qm", "Ada's labels")
    monkeypatch.chdir(other)
    open_project(other).store().add_papers(load_sample().head(60))
    monkeypatch.setenv("LITSCOPE_REVIEWER", "Bob")             # a reviewer per process, as in life
    bob = open_project(other).store()
    bob.set_label(ids[1], "exclude")
    bob.set_label(ids[2], "maybe")
    monkeypatch.setenv("LITSCOPE_REVIEWER", "Ada Lovelace")
    open_project(other).store().set_note(ids[0], "on the train")   # Ada's file, changed on two machines
    _git(other, "add", "-A")
    _git(other, "commit", "-qm", "Bob's labels, Ada's note")
    _git(other, "pull", "-q", "--no-rebase", "--no-edit", "origin", "HEAD")   # a real merge

    merged = (other / "decisions" / "ada-lovelace.jsonl").read_text(encoding="utf-8")
    assert "<<<<<<<" not in merged and len(merged.splitlines()) == 3   # both sides' lines, union-merged
    monkeypatch.chdir(other)
    store = open_project(other).store()                        # opening applies what the merge brought
    labels = dict(zip(store.labels()["id"], store.labels()["label"]))
    assert labels == {ids[0]: "include", ids[1]: "exclude", ids[2]: "maybe"}   # the latest counts
    assert dict(zip(store.notes()["id"], store.notes()["note"])) == {ids[0]: "on the train"}
    capsys.readouterr()
    assert main(["decisions"]) == 0
    out = capsys.readouterr().out
    assert "Ada Lovelace: 3 decisions" in out and "Bob: 2 decisions" in out
    assert f"{ids[1]}  Ada Lovelace: include · Bob: exclude  -> exclude" in out
    assert main(["decisions", "--check"]) == 2
    assert main(["rebuild"]) == 0
    assert "1 paper where reviewers disagree" in capsys.readouterr().out


def test_replay_takes_the_latest_decision_whatever_the_file_order(tmp_path):
    log = DecisionLog(tmp_path, reviewer="Ada")
    (tmp_path / "decisions").mkdir()
    lines = [{"at": "2025-12-06T10:00:02+00:00", "by": "Bob", "id": "p", "kind": "label", "label": "exclude"},
             {"at": "2025-12-06T10:00:01+00:00", "by": "Ada", "id": "p", "kind": "label", "label": "include"},
             {"at": "2025-12-06T10:00:03+00:00", "by": "Ada", "id": "p", "kind": "tags", "add": ["x"], "remove": []},
             {"at": "2025-12-06T10:00:04+00:00", "by": "Bob", "id": "p", "kind": "tags", "add": [], "remove": ["x"]},
             {"at": "2025-12-06T10:00:05+00:00", "by": "Ada", "id": "p", "kind": "tags", "add": ["y"], "remove": []}]
    (tmp_path / "decisions" / "mixed.jsonl").write_text("".join(json.dumps(l) + "\n" for l in lines[::-1]))
    state = replay(log.read())["p"]
    assert state.label == "exclude" and state.tagged(["x", "z"]) == ["z", "y"]
    split = disagreements(log.read())
    assert split.to_dict("records") == [{"id": "p", "Ada": "include", "Bob": "exclude", "counts": "exclude"}]


@pytest.mark.parametrize("line, message", [
    ("<<<<<<< HEAD", "a merge conflict marker"),
    ("{not json", "not a JSON line"),
    ('{"at": "2025-12-06", "id": "p", "kind": "label"}', "a decision needs the texts 'at', 'by', 'id' and 'kind'"),
    ('{"at": "yesterday", "by": "A", "id": "p", "kind": "label"}', "'at' is not an ISO time"),
    ('{"at": "2025-12-06", "by": "A", "id": "p", "kind": "label", "label": "love"}', "label 'love' is none of"),
])
def test_a_line_that_is_no_decision_is_named(tmp_path, line, message):
    (tmp_path / "decisions").mkdir()
    (tmp_path / "decisions" / "ada.jsonl").write_text(line + "\n", encoding="utf-8")
    with pytest.raises(DecisionError, match=f"ada.jsonl line 1: {message}"):
        DecisionLog(tmp_path).read()


def test_a_store_outside_a_project_keeps_no_decisions(tmp_path):
    store = Store(tmp_path / "data")
    store.add_papers(load_sample().head(3))
    store.set_label(store.papers()["id"].iloc[0], "include")
    assert store.decisions is None and not list(tmp_path.rglob("*.jsonl"))


def test_labels_made_before_the_project_kept_decisions_are_written_into_it(tmp_path, monkeypatch):
    monkeypatch.setenv("LITSCOPE_REVIEWER", "Ada")
    store = Store(tmp_path / "data")                  # no litscope.yml yet: a store of its own
    store.add_papers(load_sample().head(3))
    first = store.papers()["id"].iloc[0]
    store.set_label(first, "include", reason="old")
    (tmp_path / "litscope.yml").write_text("title: t\n", encoding="utf-8")
    Store(tmp_path / "data")                            # now a project's store: its labels go to the files
    assert [(d["id"], d["label"], d["reason"]) for d in _decisions(tmp_path)] == [(first, "include", "old")]


@pytest.mark.slow
def test_rebuild_fetches_the_decided_papers_a_fresh_store_lacks(tmp_path, arxiv_server, monkeypatch, capsys):
    monkeypatch.setenv("LITSCOPE_REVIEWER", "Ada")
    monkeypatch.chdir(tmp_path)
    assert main(["init", "."]) == 0
    config = tmp_path / "litscope.yml"
    config.write_text(config.read_text() + f"\narxiv: {{base_url: '{arxiv_server.url}', delay_seconds: 0, "
                      f"retries: 0, backoff_seconds: 0}}\n", encoding="utf-8")
    log = DecisionLog(tmp_path)
    log.append([log.entry("2512.00004", "label", 2, label="include"), log.entry("2512.00009", "note", 1, text="n")])
    capsys.readouterr()
    assert main(["rebuild"]) == 0
    assert "2 decided papers are not in the store: 2512.00004, 2512.00009" in capsys.readouterr().out
    assert main(["rebuild", "--fetch"]) == 0
    out = capsys.readouterr().out
    assert "fetched 2 decided papers by id" in out and "2 of them in the store" in out
    store = open_project(tmp_path).store()
    assert dict(zip(store.labels()["id"], store.labels()["label"])) == {"2512.00004": "include"}
    assert dict(zip(store.notes()["id"], store.notes()["note"])) == {"2512.00009": "n"}


def test_reviewer_files_have_safe_names():
    assert reviewer_slug("Ada Lovelace") == "ada-lovelace"
    assert reviewer_slug("../../etc") == "etc"
    assert reviewer_slug("张三").startswith("reviewer-")


def test_library_import_keeps_the_library_in_the_project_and_remove_drops_it(review, capsys):
    assert main(["library", "import", str(FIXTURES / "my-library.bib"), "--name", "mine", "--no-fetch"]) == 0
    assert "kept in the review project as library/mine.jsonl" in capsys.readouterr().out
    kept = [json.loads(l) for l in (review / "library" / "mine.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(kept) == 7 and {k["collection"] for k in kept} == {"mine"} and all(k["added"] for k in kept)
    assert main(["library", "remove", "mine"]) == 0
    assert not (review / "library" / "mine.jsonl").exists()
    assert pd.DataFrame(open_project(review).store().library()).empty


def test_list_prints_ids_for_other_commands(review, capsys):
    capsys.readouterr()
    assert main(["list", "--top", "2", "--ids"]) == 0
    ids = capsys.readouterr().out.split()
    assert len(ids) == 2 and main(["label", *ids, "include"]) == 0
    assert sorted(open_project(review).store().labels()["id"]) == sorted(ids)
