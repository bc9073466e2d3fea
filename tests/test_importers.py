"""The digest importers on the five real seed digests, plus small digests built in the tests."""
from __future__ import annotations

import pandas as pd
import pytest
from cuts import cut_positions, entry_ends, seed_texts, undetectable

from litscope.errors import ImportFormatError
from litscope.sources.digests import FORMATS, describe_cut_off, detect_format, read_digest, repair_mojibake
from litscope.sources.digests.topics import derive_title, section_counts
from litscope.schema import content_id, validate_papers

DAILY_A, DAILY_B = "000_ecb2433472e73668.txt", "001_bba050d9d3787bb2.txt"
BOT, BILINGUAL, TOPICS = "002_baecffce6b9bd657.txt", "003_ff23a70d5ce3452c.txt", "004_a3708f861c8db2d6.txt"

SUBTOPICS = {"指令微调与对齐": 186, "推理与思维链": 169, "效率与压缩": 131, "Agent 与工具使用": 100,
             "多模态基础模型": 74, "模型架构": 74, "LLM 预训练": 69}


@pytest.fixture(scope="module")
def digests(seeds_dir):
    """Each seed digest read once: file name -> papers."""
    return {name: read_digest(seeds_dir / name) for name in (DAILY_A, DAILY_B, BOT, BILINGUAL, TOPICS)}


def paper(papers: pd.DataFrame, paper_id: str) -> pd.Series:
    return papers.set_index("id").loc[paper_id]


@pytest.mark.parametrize("name, fmt, count", [
    (DAILY_A, "daily", 6), (DAILY_B, "daily", 7), (BOT, "bot", 30), (BILINGUAL, "bilingual", 64),
    (TOPICS, "topics", 803),
])
@pytest.mark.slow
def test_each_seed_is_detected_and_read_whole(digests, seeds_dir, name, fmt, count):
    papers = digests[name]
    validate_papers(papers)
    assert papers.attrs["format"] == fmt
    assert detect_format(repair_mojibake((seeds_dir / name).read_text(encoding="utf-8"))) == fmt
    assert len(papers) == count
    assert set(papers["source"]) == {f"{fmt}:{name}"}
    assert papers["title"].str.len().min() > 0 and papers["abstract"].notna().all()


def test_daily_digest_fields(digests):
    papers = digests[DAILY_A]
    first = paper(papers, "2511.10618")
    assert first["title"] == "Know Your Limits: Entropy Estimation Modeling for Compression and Generalization"
    assert pd.isna(first["version"])
    assert first["authors"] == ["Benjamin L. Badger", "Matthew Neligeorge"]
    assert first["primary_category"] == "cs.CL" and first["categories"] == ["cs.CL"]
    assert first["abs_url"] == "https://arxiv.org/abs/2511.10618"
    assert first["tldr"].startswith("本文介绍了一种新型编码器增强的因果解码器模型架构")
    assert first["motivation"].startswith("当前因果大型语言模型在估算语言熵方面计算上不可行")
    assert first["conclusion"].endswith("为语言模型训练提供了新的优化方向。")
    assert first["abstract"].startswith("Language prediction is constrained by informational entropy")
    assert first["summary_source"] == "imported"
    # the last paper sits under the cs.AI section
    assert paper(papers, "2511.10627")["categories"] == ["cs.AI"]
    assert papers[["tldr", "motivation", "method", "result", "conclusion"]].notna().all().all()
    assert paper(digests[DAILY_B], "2511.10615")["primary_category"] == "cs.CV"
    assert len(paper(digests[DAILY_B], "2511.10628")["authors"]) == 13


def test_bot_readme_is_repaired_and_read(digests):
    papers = digests[BOT]
    assert papers["external_score"].notna().sum() == 30
    assert papers["summary"].notna().sum() == 15
    first = paper(papers, "2512.04752")
    assert first["title"] == "RLHFSpec: Breaking the Efficiency Bottleneck in RLHF Training via Adaptive Drafting"
    assert first["version"] == 1
    assert first["external_score"] == 13.0
    assert first["primary_category"] == "cs.LG"
    assert first["published"] == pd.Timestamp("2025-12-05", tz="UTC")
    assert first["authors"][:2] == ["Siqi Wang", "Hailong Yang"] and len(first["authors"]) == 6
    assert first["abstract"].endswith("We observe ...")   # truncated in the README, kept as is
    summary = first["summary"]
    assert summary.startswith("# 论文总结：RLHFSpec: Breaking the Efficiency Bottleneck")
    assert "## 1. 论文的主要贡献和创新点" in summary
    assert "系统吞吐量下降" in summary and "### ⚠️ 局限性" in summary
    assert "</details>" not in summary
    # no mojibake is left in any text field
    text = " ".join(papers[["title", "abstract", "summary"]].fillna("").to_numpy().ravel())
    assert not any(marker in text for marker in ("ä¸", "æ", "Ã", "â€", "ï¼"))
    last = paper(papers, "2512.03607")
    assert last["external_score"] == 4.0 and pd.isna(last["summary"])


@pytest.mark.slow
def test_bot_readme_title_repaired(seeds_dir):
    raw = (seeds_dir / BOT).read_text(encoding="utf-8")
    assert raw.startswith("# arXiv Papers Bot ğŸ¤–")
    assert repair_mojibake(raw).startswith("# arXiv Papers Bot 🤖\n")


def test_bilingual_list_fields(digests):
    papers = digests[BILINGUAL]
    first = paper(papers, "2502.03429")
    assert first["title"] == "On Fairness of Unified Multimodal Large Language Model for Image Generation"
    assert first["title_zh"] == "统一多模态大语言模型的图像生成公平性研究"
    assert first["authors"][0] == "Ming Liu" and first["authors"][-1] == "Wensheng Zhang"
    assert first["pdf_url"] == "https://arxiv.org/pdf/2502.03429"
    assert first["abs_url"] == "https://arxiv.org/abs/2502.03429"
    assert first["abstract_zh"].startswith("统一多模态大语言模型（U-MLLMs）已经在端到端管道中")
    thesis = paper(papers, "2502.02722")   # abstracts of three paragraphs keep their breaks
    assert thesis["authors"] == ["Iker García-Ferrero"]
    assert thesis["abstract"].count("\n") == 2 and thesis["abstract_zh"].count("\n") == 2
    # machine-translator notes after the Chinese abstract are dropped
    assert not papers["abstract_zh"].str.contains("注：").any()
    assert papers["title_zh"].notna().all() and papers["summary_source"].isna().all()


def test_topic_digest_counts_and_fields(digests, seeds_dir):
    papers = digests[TOPICS]
    assert papers["subtopic"].value_counts().to_dict() == SUBTOPICS
    assert section_counts((seeds_dir / TOPICS).read_text(encoding="utf-8")) == SUBTOPICS
    assert (papers["topic"] == "基础/前沿模型 (含LLM)").all()
    assert papers["title_derived"].all() and papers["id"].str.startswith("h:").all()
    assert papers["tldr"].notna().sum() == 441
    assert papers[["motivation", "problem", "analysis", "method", "result", "contribution"]].notna().all().all()
    assert papers["abs_url"].isna().all()
    first = papers.iloc[0]
    assert first["title"] == "GuardSpace: A guardrail framework for preserving safety alignment throughout fine-tuning"
    assert first["tags"] == ["safety alignment", "safety preservation", "low-rank adaptation",
                             "parameter-efficient fine-tuning"]
    assert first["motivation"] == "虽然大语言模型在多项任务中表现卓越,但其安全对齐在微调过程中易受损,需要稳定的安全机制。"
    assert first["result"].startswith("在多个下游任务和预训练模型上验证,包括Llama-2-7B-Chat")
    assert first["contribution"].startswith("提出了一种创新性框架")
    assert first["abstract"].startswith("Large language models (LLMs) have achieved remarkable success "
                                        "in diverse tasks, yet their safety alignment remains fragile "
                                        "during adaptation. Even when fine-tuning")
    assert first["id"] == content_id(None, first["abstract"])   # the derived title is not hashed
    with_tldr = papers[papers["tldr"].notna()].iloc[0]
    assert with_tldr["tldr"].startswith("We study the synergy between SFT and RL")
    assert with_tldr["tags"][:2] == ["LLM", "Reasoning"]
    assert papers.iloc[-1]["subtopic"] == "LLM 预训练"
    assert papers.iloc[-1]["abstract"].endswith("for the same compute budget.")


@pytest.mark.parametrize("texts, title", [
    (("To this end, we propose GuardSpace, a guardrail framework for preserving safety. More.",),
     "GuardSpace: A guardrail framework for preserving safety"),
    (("We introduce a new benchmark, called MathX, for testing proofs.",), "MathX: A new benchmark"),
    (("LLMs are large. We present a simple method for pruning them.",), "A simple method for pruning them"),
    (("Large language models are widely used in many applications across science and industry today. "
      "They fail.",), "Large language models are widely used in many applications across science and…"),
    ((None, "We propose Foo, a tool."), "Foo: A tool"),
])
def test_derived_titles(texts, title):
    assert derive_title(*texts) == title


TOPIC_PAPER = """基础/前沿模型 (含LLM)
{subtopic}
#tag one #tag{n}
🎯 研究动机动机{n}
查看完整摘要 (Abstract)
We propose Thing{n}, a method.
It works.
"""


def test_duplicate_papers_within_a_digest_become_one(tmp_path):
    """An exact duplicate (same abstract) hashes to the same id: it is kept once, under its
    first listing, with tags united."""
    text = ("对齐2 篇\n" + TOPIC_PAPER.format(subtopic="对齐", n=1) + TOPIC_PAPER.format(subtopic="对齐", n=2)
            + "推理1 篇\n" + TOPIC_PAPER.format(subtopic="推理", n=1).replace("#tag1", "#extra"))
    path = tmp_path / "topics.txt"
    path.write_text(text, encoding="utf-8")
    papers = read_digest(path)
    assert papers.attrs["format"] == "topics"
    assert list(papers["title"]) == ["Thing1: A method", "Thing2: A method"]
    assert list(papers["subtopic"]) == ["对齐", "对齐"]
    assert papers.iloc[0]["tags"] == ["tag one", "tag1", "extra"]
    assert papers.iloc[0]["abstract"] == "We propose Thing1, a method. It works."


def test_paper_under_two_daily_sections_keeps_both_categories(tmp_path):
    entry = ("### [{n}] [A Paper](https://arxiv.org/abs/2511.00001v2)\n*A. Author,B. Author*\n\n"
             "Main category: cs.CL\n\nTL;DR: 中文摘要。\n\nAbstract: First line.\ncontinued here.\n\n")
    path = tmp_path / "daily.md"
    path.write_text("# cs.CL [[Back]](#toc)\n\n" + entry.format(n=1) + "# cs.LG [[Back]](#toc)\n\n"
                    + entry.format(n=2), encoding="utf-8")
    papers = read_digest(path)
    assert len(papers) == 1
    row = papers.iloc[0]
    assert (row["id"], row["version"], row["categories"]) == ("2511.00001", 2, ["cs.CL", "cs.LG"])
    assert row["abstract"] == "First line. continued here."
    assert row["source"] == "daily:daily.md"


def test_unknown_file_names_the_file_and_the_formats_tried(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("# My notes\n\nNothing to import here.\n", encoding="utf-8")
    with pytest.raises(ImportFormatError) as err:
        read_digest(path)
    message = str(err.value)
    assert str(path) in message and ", ".join(FORMATS) in message
    assert "\n" not in message


def test_forced_format_that_does_not_fit(seeds_dir):
    with pytest.raises(ImportFormatError, match=rf"{BILINGUAL}.*no papers found.*'daily'"):
        read_digest(seeds_dir / BILINGUAL, format="daily")
    with pytest.raises(ImportFormatError, match="unknown digest format 'csv'"):
        read_digest(seeds_dir / BILINGUAL, format="csv")


@pytest.mark.parametrize("content, expected", [
    (None, "cannot read the digest"),                   # missing file
    (b"\xff\xfe\x00binary\x00", "not UTF-8 text"),
])
def test_unreadable_file_names_the_file(tmp_path, content, expected):
    path = tmp_path / "digest.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImportFormatError, match=expected) as err:
        read_digest(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("original", [
    "生成阶段是训练的性能瓶颈，系统吞吐量下降",
    "## 3. 主要实验结果和性能指标",
    "提出了一种新方法来改进基于数据的迁移学习",
    "### ⚠️ 局限性 ❌ ✅ ⚡️",
])
def test_mojibake_with_dropped_bytes_is_repaired(original):
    """cp1252 has no character for bytes 0x81, 0x8D, 0x8F, 0x90, 0x9D and 0xAD is invisible:
    tools drop them, and the repair must put them back."""
    broken = original.encode("utf-8").decode("cp1252", errors="ignore").replace("\xad", "")
    assert broken != original
    assert repair_mojibake(broken) == original


@pytest.mark.slow
def test_mojibake_repair_restores_most_characters_of_real_chinese_text(digests):
    """Damage the real Chinese abstracts of the bilingual list the way the bot README was
    damaged (UTF-8 read as cp1254, undefined bytes and soft hyphens dropped) and count the
    damaged characters the repair gets right."""
    lost = {0x81, 0x8D, 0x8E, 0x8F, 0x90, 0x9D, 0x9E, 0xAD}
    text = "\n".join(digests[BILINGUAL]["abstract_zh"])
    broken = bytes(b for b in text.encode("utf-8") if b not in lost).decode("cp1254")
    repaired = repair_mojibake(broken)
    assert len(repaired) == len(text)
    damaged = {i for i, char in enumerate(text) if lost & set(char.encode("utf-8"))}
    right = sum(repaired[i] == text[i] for i in damaged)
    assert len(damaged) > 4000 and right / len(damaged) > 0.9
    assert all(repaired[i] == text[i] for i in range(len(text)) if i not in damaged)


@pytest.mark.parametrize("text", ["中文摘要，没有问题。", "café and naïve résumé", "plain ASCII"])
def test_correct_text_is_left_alone(text):
    assert repair_mojibake(text) == text


# -- cut-off digests ------------------------------------------------------------------------
@pytest.mark.parametrize("name", [DAILY_A, DAILY_B, BOT, BILINGUAL, TOPICS])
@pytest.mark.slow
def test_a_digest_cut_anywhere_yields_only_whole_entries(seeds_dir, name):
    """Cut each seed at many offsets: every entry read is the seed's entry, unchanged, and
    every entry the cut left whole is read; the rest is marked cut off."""
    seen = {"cuts": 0, "cut off": 0, "undetectable": 0}
    for text, limit in seed_texts(seeds_dir, name):
        fmt = detect_format(text)
        parse = FORMATS[fmt].parse
        whole = parse(text)
        assert not [r for r in whole if r.get("cut_off")]
        ends = entry_ends(text, fmt)
        assert len(ends) == len(whole)
        for cut in cut_positions(text, limit):
            records = parse(text[:cut])
            complete = [r for r in records if not r.get("cut_off")]
            done = sum(end <= cut for end in ends)
            assert done <= len(complete) <= done + 1, (cut, text[cut - 40:cut])
            for i, record in enumerate(complete):
                if record != whole[i]:
                    assert i == len(complete) - 1 and undetectable(record, whole[i], fmt), (cut, i)
                    seen["undetectable"] += 1
            seen["cuts"] += 1
            seen["cut off"] += len(records) - len(complete)
    assert seen["cuts"] > 250 and seen["cut off"] > seen["cuts"] / 2
    assert seen["undetectable"] < seen["cuts"] / 20


@pytest.mark.slow
def test_a_cut_raw_digest_repairs_like_the_whole(seeds_dir):
    """The sweeps cut repaired text; a cut of the raw mojibake repairs to the same entries."""
    raw = (seeds_dir / BOT).read_text(encoding="utf-8")
    whole = FORMATS["bot"].parse(repair_mojibake(raw))
    for cut in (19_177, 64_380, 126_270):
        complete = [r for r in FORMATS["bot"].parse(repair_mojibake(raw[:cut])) if not r.get("cut_off")]
        assert complete and complete == whole[:len(complete)]


def test_a_digest_cut_inside_a_character_reads_its_whole_entries(seeds_dir, tmp_path):
    """A download cut inside a multi-byte character is a cut digest, not a file in another
    encoding: its whole entries are read and the cut one is named."""
    data = (seeds_dir / DAILY_A).read_bytes()
    whole = read_digest(seeds_dir / DAILY_A)
    cut = next(i for i in range(len(data) // 2, len(data)) if data[i] >= 0xC0) + 1   # inside one
    path = tmp_path / "cut.md"
    path.write_bytes(data[:cut])
    papers = read_digest(path)
    assert 0 < len(papers) < len(whole) and papers.attrs["cut_off"]
    assert papers["abstract"].tolist() == whole["abstract"].tolist()[:len(papers)]
    path.write_bytes(data[:cut - 1] + b"\xff" + data[cut:])      # a stray byte mid-file: refused
    with pytest.raises(ImportFormatError, match="not UTF-8 text"):
        read_digest(path)


def test_cut_off_entries_are_named_and_left_out(tmp_path):
    entry = ("### [{n}] [Paper {n}](https://arxiv.org/abs/2511.0000{n})\n*A. Author*\n\nMain category: cs.CL\n\n"
             "<details>\n  <summary>Details</summary>\nAbstract: Whole abstract {n}.\n\n</details>\n\n")
    text = "# cs.CL [[Back]](#toc)\n\n" + entry.format(n=1) + entry.format(n=2)[:-40] + "\n### [3] [Paper thr"
    path = tmp_path / "cut.md"
    path.write_text(text, encoding="utf-8")
    papers = read_digest(path)
    assert papers["id"].tolist() == ["2511.00001"]
    assert papers.attrs["cut_off"] == [("Paper 2", "no closing </details>"),
                                       ("Paper thr", "its heading is cut off")]
    assert describe_cut_off(papers.attrs["cut_off"]) == (
        "2 entries cut off and skipped: 'Paper 2' (no closing </details>); 'Paper thr' (its heading is cut off)")
    path.write_text(text[:text.index("### [2]") - 30], encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"cut\.md: no complete papers found when read as a 'daily' "
                                                r"digest: 1 entry cut off and skipped: 'Paper 1' \(no closing"):
        read_digest(path)


@pytest.mark.parametrize("tail, reason", [
    ("查看完整摘要 (Abstract)\nWe propose Thing9, a method.\nIt works on", "its abstract stops mid-sentence"),
    ("🎯 研究动机动机9\n", "it ends before its abstract"),
    ("查看完整摘要 (Abstract)\nWe propose Thing9, a method.\n基础/前沿模型 (含LLM)",
     "it runs into the next entry"),
])
def test_the_last_entry_of_a_topic_digest_must_look_whole(tmp_path, tail, reason):
    whole = TOPIC_PAPER.format(subtopic="对齐", n=1)
    path = tmp_path / "topics.txt"
    path.write_text("对齐2 篇\n" + whole + "基础/前沿模型 (含LLM)\n对齐\n#tag9\n" + tail, encoding="utf-8")
    papers = read_digest(path)
    assert papers["abstract"].tolist() == ["We propose Thing1, a method. It works."]
    assert papers.attrs["cut_off"][0][1] == reason
    path.write_text("对齐3 篇\n" + whole + TOPIC_PAPER.format(subtopic="对齐", n=2), encoding="utf-8")
    assert read_digest(path).attrs["cut_off"][0][1] == (
        "the text ends in it, paper 2 of the 3 its section announces")


# -- one importer shape for digests, library exports and the snapshot ---------------------------
def test_every_importer_has_one_shape_and_a_unique_name_in_its_registry():
    from litscope.sources import digests, library, snapshot
    from litscope.sources.importers import Importer
    registries = {"digest": digests.IMPORTERS, "library": library.IMPORTERS, "snapshot": (snapshot.IMPORTER,)}
    for kind, importers in registries.items():
        assert all(isinstance(i, Importer) and i.kind == kind and callable(i.parse) for i in importers)
        assert len({i.name for i in importers}) == len(importers)
    assert list(digests.FORMATS) == ["daily", "bot", "bilingual", "topics"]
    assert library.FORMATS == ("bibtex", "ris", "csl-json", "ids", "zotero")


def test_importers_are_told_by_name_ending_then_content_and_picked_by_name(tmp_path):
    from litscope.sources import library, snapshot
    from litscope.sources.importers import detect, pick
    assert detect(library.IMPORTERS, "@article{k, title={T}}", ".ris").name == "ris"   # the ending settles it
    assert detect(library.IMPORTERS, "@article{k, title={T}}", ".export").name == "bibtex"
    assert detect(library.IMPORTERS, "TY  - JOUR\nER  -").name == "ris"
    assert detect(library.IMPORTERS, '[{"id": "a"}]').name == "csl-json"
    assert detect(library.IMPORTERS, "2401.00001\n").name == "ids"
    assert library.detect_library_format(tmp_path / "z.bib", None) == "zotero"   # a database is Zotero's
    line = '{"id": "2401.00001", "versions": [], "categories": "cs.CL"}\n'
    assert snapshot.IMPORTER.looks_like(line) and not snapshot.IMPORTER.looks_like('{"id": "x"}')
    with pytest.raises(ImportFormatError) as raised:
        pick(library.IMPORTERS, "endnote")
    assert str(raised.value) == "unknown library format 'endnote'; use one of bibtex, ris, csl-json, ids, zotero"
