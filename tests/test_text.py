"""Paper text for readers: TeX as Unicode with math kept, in linear time; labels for papers
whose source gave no title."""
from __future__ import annotations

import time

import pytest

from litscope.publish.text import display_titles, tex_segments, tex_to_markdown, tex_to_text
from litscope.sample import load_sample
from litscope.schema import papers_frame


@pytest.mark.parametrize("tex, text", [
    (r'Bornd\"orfer', "Borndörfer"),
    (r"M\"{u}ller and {\'E}cole and Erd\H{o}s", "Müller and École and Erdős"),
    (r"50\% of cases", "50% of cases"),
    ("50% of cases & more", "50% of cases & more"),          # plain text, not a comment
    ("pages 3--5, and---so", "pages 3\u20135, and\u2014so"),
    (r"\emph{x} and \textbf{bold \textit{nested}}", "x and bold nested"),
    (r"{BERT} is {\em good}", "BERT is good"),
    ("``quoted''", "\u201cquoted\u201d"),
    (r"\LaTeX{} and \TeX", "LaTeX and TeX"),
    (r"see \url{http://a.org/~u_v?x=1%20} now", "see http://a.org/~u_v?x=1%20 now"),
    (r"see \href{http://a.org}{the site} and \cite{key}.", "see the site and ."),
    (r"costs \$5", "costs $5"),
    ("Fig.~3", "Fig.\u00a03"),
    ("no TeX here", "no TeX here"),
])
def test_tex_becomes_text(tex, text):
    assert tex_to_text(tex) == text


@pytest.mark.parametrize("tex, text", [
    (r"with $O(n^2)$ time and $\alpha = 50\%$", r"with $O(n^2)$ time and $\alpha = 50\%$"),
    (r"inline \(x_i\) and display \[ \sum_i x_i \] and $$y$$", r"inline $x_i$ and display $$\sum_i x_i$$ and $$y$$"),
    (r"$ spaced $ math", "$spaced$ math"),
    (r"an unclosed $ dollar and \emph{x}", "an unclosed $ dollar and x"),
    (r"a $$ never closed and $x$", "a $$ never closed and $x$"),
])
def test_math_stays_math(tex, text):
    assert tex_to_text(tex) == text


def test_markdown_escapes_prose_and_keeps_math_for_mathjax():
    markdown = tex_to_markdown(r"Cost *is* $O(n^2)$ for {{< env KEY >}} -- \emph{fast}")
    assert markdown == r"Cost \*is\* $O(n^2)$ for \< env KEY \> – fast"   # braces group, as in TeX
    assert tex_to_markdown(r"$a$ then text") == "$a$ then text"
    assert tex_to_markdown(r"{{<x}}$") == r"\<x\$"
    assert tex_to_markdown(r"$x {{< env K >}}$") == "$x {{ < env K >}}$"   # no shortcode in math


def test_segments_split_math_from_prose():
    assert tex_segments(r"a $x$ b \(y\) c") == [(False, "a "), (True, "$x$"), (False, " b "),
                                                 (True, r"\(y\)"), (False, " c")]


@pytest.mark.parametrize("make", [
    lambda n: r"We show Bornd\"orfer's $O(n^2)$ bound holds for 50\% -- \emph{fast}. " * (n // 70),
    lambda n: "$" * n, lambda n: "\\(" * (n // 2), lambda n: "{" * n, lambda n: "\\emph{" * (n // 6),
    lambda n: "$$ " * (n // 3),
])
@pytest.mark.slow
def test_linear_time_on_long_and_hostile_input(make):
    """Ten times the text takes about ten times as long (not a hundred): the ratio of the
    times for 400 kB and 40 kB stays far below the quadratic 100."""
    def seconds(n):
        text = make(n)
        start = time.perf_counter()
        tex_to_text(text)
        return time.perf_counter() - start
    seconds(4_000)
    small, large = min(seconds(40_000) for _ in range(2)), min(seconds(400_000) for _ in range(2))
    assert large < 30 * max(small, 1e-3)


def test_titles_given_are_text_and_untitled_papers_get_a_label_not_a_cut_sentence():
    papers = papers_frame([
        {"id": "2501.00001", "title": r"Fast \emph{decoding} for Bornd\"orfer", "source": "arxiv"},
        {"id": "h:1", "title": "Large language models (LLMs) have demonstrated strong persuasive…",
         "title_derived": True, "abstract": "Large language models (LLMs) have demonstrated strong "
         "persuasive capabilities. We study it.", "subtopic": "Alignment", "source": "digest"},
        {"id": "h:2", "title": "NExT-OMNI: An open-source omnimodal foundation model that…",
         "title_derived": True, "abstract": "We introduce NExT-OMNI, an open-source omnimodal "
         "foundation model that achieves unified modeling.", "source": "digest"},
        {"id": "h:3", "title": "Something cut…", "title_derived": True, "source": "digest"},
    ])
    assert display_titles(papers).tolist() == ["Fast decoding for Borndörfer", "Untitled (Alignment)",
                                               "Untitled (NExT-OMNI)", "Untitled paper"]


def test_no_untitled_digest_paper_of_the_sample_shows_its_cut_sentence():
    sample = load_sample()
    derived = sample["title_derived"].to_numpy(bool)
    titles = display_titles(sample)
    assert derived.sum() > 500
    assert titles[derived].str.startswith("Untitled").all()
    assert not titles[derived].str.endswith("…").any()
    assert (titles[~derived] == [" ".join(t.split()) for t in sample.loc[~derived, "title"]]).mean() > 0.9
