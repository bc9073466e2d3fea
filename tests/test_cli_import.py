"""`litscope import` through the real console script, on real seed digests and a bogus file."""
from __future__ import annotations

import pytest

from cli import litscope
from litscope.store import Store

pytestmark = pytest.mark.slow

DAILY, BILINGUAL = "000_ecb2433472e73668.txt", "003_ff23a70d5ce3452c.txt"


def test_import_two_digests_then_a_bogus_file(seeds_dir, tmp_path):
    data = tmp_path / "data"
    done = litscope("import", seeds_dir / DAILY, seeds_dir / BILINGUAL, "--data", data, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{seeds_dir / DAILY}: daily, 6 papers (6 new, 0 updated, 0 unchanged)" in done.stdout
    assert f"{seeds_dir / BILINGUAL}: bilingual, 64 papers (64 new" in done.stdout
    assert "now holds 70 papers" in done.stdout
    before = Store(data).papers()
    assert set(before["source"]) == {f"daily:{DAILY}", f"bilingual:{BILINGUAL}"}

    bogus = tmp_path / "bogus.txt"
    bogus.write_text("just some notes\n", encoding="utf-8")
    failed = litscope("import", seeds_dir / DAILY, bogus, "--data", data, cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stdout == ""
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bogus) in lines[0] and "Traceback" not in failed.stderr
    assert lines[0].startswith("litscope: error: ")
    after = Store(data).papers()
    assert after.equals(before)


def test_forced_format_and_missing_file(seeds_dir, tmp_path):
    data = tmp_path / "data"
    done = litscope("import", "--format", "daily", seeds_dir / DAILY, "--data", data, cwd=tmp_path)
    assert done.returncode == 0 and "daily, 6 papers" in done.stdout
    missing = litscope("import", tmp_path / "nope.md", "--data", tmp_path / "fresh", cwd=tmp_path)
    assert missing.returncode == 2 and str(tmp_path / "nope.md") in missing.stderr
    assert not (tmp_path / "fresh").exists()   # a failed import does not even create a store


def test_a_cut_off_copy_of_a_digest_degrades_nothing(seeds_dir, tmp_path):
    """The digest is in the store; a copy cut in the middle of 2511.10628's abstract, then one
    cut in the next entry's heading, are imported: the cut entry is named and skipped, the
    store keeps every whole abstract."""
    data, text = tmp_path / "data", (seeds_dir / DAILY).read_text(encoding="utf-8")
    assert litscope("import", seeds_dir / DAILY, "--data", data, cwd=tmp_path).returncode == 0
    before = Store(data).papers()
    copy = tmp_path / "copy" / DAILY
    copy.parent.mkdir()
    cut_abstract = text.index("Large language models (LLMs) have demonstrated rem") + 50
    cut_heading = text.index("### [4] [Black-Box") + len("### [4] [Black-Box On-Policy")
    for cut, kept, why in ((cut_abstract, 2, "'Instella: Fully Open Language Models with Stellar "
                                             "Performance' (no closing </details>)"),
                           (cut_heading, 3, "'Black-Box On-Policy' (its heading is cut off)")):
        copy.write_text(text[:cut], encoding="utf-8")
        done = litscope("import", copy, "--data", data, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert f"{copy}: daily, {kept} papers (0 new, 0 updated, {kept} unchanged)" in done.stdout
        assert done.stderr == f"litscope: warning: {copy}: 1 entry cut off and skipped: {why}\n"
        assert Store(data).papers().equals(before)
    assert len(before.set_index("id").loc["2511.10628", "abstract"]) == 1212
    copy.write_text(text[:text.index("### [2]") - 100], encoding="utf-8")
    failed = litscope("import", copy, "--data", data, cwd=tmp_path)
    assert failed.returncode == 2 and "no complete papers found" in failed.stderr
    assert Store(data).papers().equals(before)


STRUCTURED = """# cs.CL [[Back]](#toc)

### [1] [A Trial of Structured Abstracts](https://arxiv.org/abs/2501.00010)
*Ann Alpha,Bob Beta*

Main category: cs.CL

TL;DR: 摘要。


<details>
  <summary>Details</summary>
Motivation: 动机。

Method: 方法。

Result: 结果。

Conclusion: 结论。

Abstract: Background: trials need structure.
  Methods: We randomised 200 people.
  Results: Half improved.
  Conclusion: Structure helps.

</details>
"""


def test_a_structured_abstract_is_kept_whole(tmp_path):
    """Its indented 'Conclusion:' paragraph used to be read as the summary's label: the
    abstract lost its last paragraph."""
    (tmp_path / "digest.md").write_text(STRUCTURED, encoding="utf-8")
    done = litscope("import", "digest.md", "--data", tmp_path / "data", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    paper = Store(tmp_path / "data").papers().iloc[0]
    assert paper["abstract"] == ("Background: trials need structure. Methods: We randomised 200 people. "
                                 "Results: Half improved. Conclusion: Structure helps.")
    assert paper["conclusion"] == "结论。"


def test_a_gigabyte_without_newlines_is_refused_at_once(tmp_path):
    """It took 5 min 21 s to say "not a digest" (the mojibake check read all of it)."""
    with open(tmp_path / "blob.txt", "wb") as blob:
        blob.truncate(1 << 30)                   # 1 GiB of zero bytes, no newline
    done = litscope("import", "blob.txt", "--data", tmp_path / "data", cwd=tmp_path)
    assert done.returncode == 2 and done.seconds < 30 and done.peak_mib < 768
    assert done.stderr.startswith("litscope: error: blob.txt: not a digest litscope can import")
    with open(tmp_path / "blob.txt", "r+b") as blob:       # one that looks like a digest at its head
        blob.write(STRUCTURED.encode())
    done = litscope("import", "blob.txt", "--data", tmp_path / "data", cwd=tmp_path)
    assert done.returncode == 2 and done.seconds < 30 and done.peak_mib < 768
    assert done.stderr == ("litscope: error: blob.txt: 1,024 MiB, more than the 256 MiB litscope reads from "
                           "one file (is it the right file?)\n")
    with open(tmp_path / "blob.txt", "r+b") as blob:
        blob.truncate(100 << 20)
    done = litscope("import", "blob.txt", "--data", tmp_path / "data", cwd=tmp_path)
    assert done.returncode == 2 and done.peak_mib < 768
    assert done.stderr == ("litscope: error: blob.txt: line 27 is longer than 4 MiB, which litscope does not "
                           "read (is it the right file?)\n")


def test_a_field_of_a_million_characters_is_refused_with_its_line(tmp_path):
    text = STRUCTURED.replace("Conclusion: Structure helps.", "Conclusion: " + "long " * 200_000)
    (tmp_path / "digest.md").write_text(text, encoding="utf-8")
    done = litscope("import", "digest.md", "--data", tmp_path / "data", cwd=tmp_path)
    assert done.failed_cleanly()
    assert done.error == ("litscope: error: digest.md: line 3: the entry 'A Trial of Structured Abstracts': "
                          "its abstract has 1,000,105 characters, more than the 100,000 litscope keeps")
