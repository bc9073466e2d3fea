"""Repair UTF-8 text that was decoded with a Windows code page ("ä¸­æ–‡" for "中文").

ftfy undoes such mojibake only where every byte survived. Code pages leave some bytes
undefined (cp1252: 0x81 0x8D 0x8F 0x90 0x9D; cp1254 also 0x8E 0x9E) or invisible (0xAD,
the soft hyphen), and the tools that pass the text on drop them, so many Chinese characters
lose one of their three bytes. We re-encode with the code page, list the characters each short UTF-8 sequence can
be with the dropped byte(s) put back, and let Chinese word frequencies (jieba's dictionary)
choose among them, as a reader would from context.
"""
from __future__ import annotations

import itertools
import math
import re
import unicodedata
from functools import cache

import ftfy
from ftfy.badness import is_bad

#: Code pages UTF-8 text is commonly mis-decoded with, tried in order.
CODE_PAGES = ("cp1252", "cp1254", "latin-1")
#: An ASCII run, or a UTF-8 lead byte with the continuation bytes that follow it, or a stray byte.
_TOKEN = re.compile(rb"[\x00-\x7f]+|[\xc0-\xff][\x80-\xbf]*|[\x80-\xbf]")
_LONGEST_WORD = 8
#: Miscellaneous Symbols, Dingbats, arrows and stars, and the emoji planes' pictographs.
_EMOJI_BLOCKS = ((0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F300, 0x1FAFF))


def repair_mojibake(text: str) -> str:
    """`text` with mojibake undone; text that does not look mis-decoded comes back as is."""
    if not is_bad(text):
        return text
    pages = [page for page in CODE_PAGES if _encodes(text, page)]
    if not pages:
        return ftfy.fix_text(text)
    raw = text.encode(pages[0])
    # the bytes any fitting code page would have lost, less those the text still shows
    dropped = sorted(set().union(*map(_dropped_bytes, pages)) - set(raw))
    return _read(_slots(raw, pages[0], tuple(dropped)))


def _encodes(text: str, code_page: str) -> bool:
    try:
        text.encode(code_page)
        return True
    except UnicodeEncodeError:
        return False


def _slots(raw: bytes, code_page: str, dropped: tuple[int, ...]) -> list[tuple[str, ...]]:
    """The decoded text as slots: each the readings it can have, most likely first."""
    slots = []
    for token in _TOKEN.findall(raw):
        try:
            slots.append((token.decode("utf-8"),))
        except UnicodeDecodeError:
            slots.append(_completions(token, dropped) or (token.decode(code_page, errors="replace"),))
    return slots


@cache
def _dropped_bytes(code_page: str) -> tuple[int, ...]:
    """Continuation bytes `code_page` leaves undefined or invisible: the ones that get lost."""
    def invisible(byte: int) -> bool:
        try:
            return unicodedata.category(bytes([byte]).decode(code_page)) in ("Cc", "Cf")
        except UnicodeDecodeError:
            return True
    return tuple(b for b in range(0x80, 0xC0) if invisible(b))


@cache
def _completions(short: bytes, dropped: tuple[int, ...]) -> tuple[str, ...]:
    """The characters `short` (a lead byte with too few continuation bytes) can be with
    dropped bytes put back at any position, most common first."""
    lead = short[0]
    length = 2 if 0xC2 <= lead < 0xE0 else 3 if 0xE0 <= lead < 0xF0 else 4 if 0xF0 <= lead < 0xF5 else 0
    missing = length - len(short)
    found = set()
    for fill in itertools.product(dropped, repeat=max(missing, 0)):
        for places in itertools.combinations(range(1, length), missing):
            given, put = iter(short[1:]), iter(fill)
            sequence = bytes([lead, *(next(put) if i in places else next(given) for i in range(1, length))])
            try:
                found.add(sequence.decode("utf-8"))
            except UnicodeDecodeError:
                pass
    return tuple(sorted(found, key=lambda char: (-_commonness(char), char)))


def _commonness(char: str) -> int:
    """2 for common characters (emoji, their variation selector, GB2312 level 1 and its
    symbols), 1 for other assigned ones, 0 for private-use and unassigned code points."""
    if char == "\ufe0f" or any(low <= ord(char) <= high for low, high in _EMOJI_BLOCKS):
        return 2
    try:
        return 2 if char.encode("gb2312")[0] < 0xD8 else 1
    except UnicodeEncodeError:
        return 0 if unicodedata.category(char) in ("Co", "Cn") else 1


def _is_han(option: str) -> bool:
    return len(option) == 1 and unicodedata.name(option, "").startswith("CJK UNIFIED")


def _read(slots: list[tuple[str, ...]]) -> str:
    """Choose one reading per slot: runs of Chinese characters by word frequencies, other
    slots by commonness."""
    out: list[str] = []
    for han, run in itertools.groupby(slots, key=lambda options: all(map(_is_han, options))):
        run = list(run)
        if han and any(len(options) > 1 for options in run):
            out.append(_best_reading(run))
        else:
            out.extend(options[0] for options in run)
    return "".join(out)


def _best_reading(run: list[tuple[str, ...]]) -> str:
    """The most probable reading of a run of Chinese characters, some uncertain: the best
    segmentation into dictionary words over all choices (jieba's model, on a lattice)."""
    freq, log_total = _word_frequencies()
    best = [(0.0, "")] + [(-math.inf, "")] * len(run)   # best (log-probability, text) up to i
    for start in range(len(run)):
        score, text = best[start]
        prefixes = [""]
        for end in range(start, min(start + _LONGEST_WORD, len(run))):
            prefixes = [p + c for p in prefixes for c in run[end] if p + c in freq]
            # one character may stand alone, dictionary word or not; longer words must be words
            for word in prefixes if end > start else run[end]:
                count = freq.get(word, 0)
                if (count or end == start) and score + math.log(count or 1) - log_total > best[end + 1][0]:
                    best[end + 1] = (score + math.log(count or 1) - log_total, text + word)
            if not prefixes:
                break
    return best[-1][1]


@cache
def _word_frequencies() -> tuple[dict[str, int], float]:
    """jieba's word counts (prefixes of words count 0) and the log of their total."""
    import logging

    import jieba
    jieba.setLogLevel(logging.WARNING)
    jieba.dt.initialize()
    return jieba.dt.FREQ, math.log(jieba.dt.total)
