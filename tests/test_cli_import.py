"""`litscope import` through the real console script, on real seed digests and a bogus file."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from litscope.store import Store

SCRIPT = Path(sys.executable).with_name("litscope")
DAILY, BILINGUAL = "000_ecb2433472e73668.txt", "003_ff23a70d5ce3452c.txt"


def litscope(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITSCOPE_")}
    return subprocess.run([str(SCRIPT), *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


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
