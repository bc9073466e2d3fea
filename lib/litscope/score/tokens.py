"""Keywords and phrases matched as sequences of word tokens, with NumPy over UTF-8 bytes.

A token is a maximal run of word characters (Python's ``\\w``: letters, digits, ``_``)
inside one paper's text. A keyword or phrase written in word characters matches exactly
where its regular expression (`Term.regex`: whole words, plural endings, runs of
whitespace/hyphens between words, case-insensitive) matches, and that is a sequence of
whole tokens: ``fine-tuning`` is the tokens ``fine``, ``tuning`` with only separators
between them, or the one token ``finetuning``. So a block of papers is matched by

1. finding every token with a few vectorised byte comparisons (no per-match Python),
2. looking up only the tokens whose length and first letter some profile word has, by a
   hash of their case-folded bytes (verified byte by byte where it hits),
3. following phrases from their first word's hits to the next tokens and the gaps.

The cost is one pass over the bytes plus work per *profile word hit*, never per substring
hit: "RL" costs nothing in "world". Tokens holding non-ASCII characters are rare in arXiv
text; they are decoded and split with Python's own ``\\w`` and case folding (`fold`), which
reproduces how `re.IGNORECASE` compares characters (simple lower case plus the few extra
equivalences such as ``ſ``/``s`` and ``ς``/``σ``).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from itertools import product
from typing import Any, Sequence

import _sre
import numba
import numpy as np
import scipy.sparse as sp

try:
    from re._casefix import _EXTRA_CASES         # Python >= 3.11
except ImportError:                              # pragma: no cover - Python 3.10
    from sre_compile import _ignorecase_fixes as _EXTRA_CASES  # type: ignore[attr-defined,no-redef]

from .profile import Shape, Term

try:
    from re import _parser                       # Python >= 3.11
except ImportError:                              # pragma: no cover - Python 3.10
    import sre_parse as _parser  # type: ignore[no-redef]

_WORD_RUN = re.compile(r"\w+")
#: Bytes that may be part of a word: ASCII letters, digits and '_', and every non-ASCII byte.
_ASCII_WORD = np.zeros(256, np.uint8)
_ASCII_WORD[[ord(c) for c in "0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"]] = 1
_ASCII_WORD[0x80:] = 1
_HASH = 0x100000001B3


class _Fold(dict):
    """Code point -> the code point `re.IGNORECASE` compares it as (built on demand)."""

    def __missing__(self, code: int) -> int:
        lower = _sre.unicode_tolower(code)
        folded = min((lower, *_EXTRA_CASES.get(lower, ())))
        self[code] = folded
        return folded


_FOLD = _Fold()
#: Characters case-equal to others of a different kind (the combining mark U+0345 matches
#: the letter iota): a pattern holding one of them takes the regex path.
_CROSS_CLASS = {chr(c) for c, extra in _EXTRA_CASES.items()
                if len({chr(x).isalnum() for x in (c, *extra)}) > 1}


def fold(text: str) -> str:
    """`text` as `re.IGNORECASE` compares it: two strings match case-insensitively exactly
    when their folds are equal."""
    return text.translate(_FOLD)


def _is_words(text: str) -> bool:
    return bool(text) and _WORD_RUN.fullmatch(text) is not None


def _tokenizable(words: Sequence[str]) -> bool:
    """Whether (folded) words are made of word characters, none of them case-equal to a
    character of another kind."""
    return all(_is_words(w) and not set(w) & _CROSS_CLASS for w in words)


def variants(shape: Shape) -> list[tuple[str, ...]]:
    """The token sequences (folded) a shape matches: a gap that may be empty gives the
    words written apart and written together; the last token takes each ending."""
    words = [fold(w) for w in shape.words]
    optional = [i for i, required in enumerate(shape.required) if not required]
    out = []
    for joined in product((False, True), repeat=len(optional)):
        glue = {i for i, j in zip(optional, joined) if j}
        tokens = [words[0]]
        for i, word in enumerate(words[1:]):
            if i in glue:
                tokens[-1] += word
            else:
                tokens.append(word)
        out += [(*tokens[:-1], fold(tokens[-1] + suffix)) for suffix in shape.suffixes]
    return out


_WORD_CLASS = [(_parser.IN, [(_parser.CATEGORY, _parser.CATEGORY_WORD)])]
_SMALL = 512


def _language(items: Sequence[tuple[Any, Any]]) -> list[str] | None:
    """The strings a sequence of parsed regex items matches, when they are few; else None."""
    out = [""]
    for op, arg in items:
        if op == _parser.LITERAL:
            part = [chr(arg)]
        elif op == _parser.SUBPATTERN and not arg[1] and not arg[2]:
            part = _language(arg[3])
        elif op == _parser.BRANCH:
            options = [_language(branch) for branch in arg[1]]
            part = None if None in options else [x for o in options for x in o]
        elif op == _parser.IN and all(o in (_parser.LITERAL, _parser.RANGE) for o, _ in arg):
            part = [chr(c) for o, a in arg for c in ([a] if o == _parser.LITERAL else range(a[0], a[1] + 1))]
        elif op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT) and arg[1] <= 4:
            inner = _language(arg[2])
            part = None if inner is None else \
                ["".join(p) for k in range(arg[0], arg[1] + 1) for p in product(inner, repeat=k)]
        else:
            return None
        if part is None or len(out) * len(part) > _SMALL:
            return None
        out = [a + b for a in out for b in part]
    return out


def _boundary(item: tuple[Any, Any], side: int) -> bool:
    """Whether a parsed regex item is ``\\b`` or, on that side, ``(?<!\\w)`` / ``(?!\\w)``."""
    op, arg = item
    return (op == _parser.AT and arg == _parser.AT_BOUNDARY) or \
        (op == _parser.ASSERT_NOT and arg[0] == side and list(arg[1]) == _WORD_CLASS)


def _regex_words(pattern: str) -> list[str] | None:
    """The words a regular expression matches when it matches whole tokens of a small set:
    ``\\b`` or ``(?<!\\w)``, then a finite choice of word-character strings, then ``\\b`` or
    ``(?!\\w)``; such as ``\\befficien(t|cy|cies)\\b``. None for any other regex."""
    try:
        parsed = _parser.parse(pattern, re.IGNORECASE)
    except (re.error, RecursionError):
        return None
    items = list(parsed)
    if parsed.state.flags & (re.ASCII | re.LOCALE) or len(items) < 3:
        return None
    words = _language(items[1:-1]) if _boundary(items[0], -1) and _boundary(items[-1], 1) else None
    words = None if words is None else sorted({fold(w) for w in words})
    return words if words and _tokenizable(words) else None


def token_sequences(term: Term) -> list[tuple[str, ...]] | None:
    """The token sequences (folded) a term matches exactly, or None when it must run as a
    regular expression (words with other characters inside, most regexes)."""
    if term.kind == "regex":
        words = _regex_words(term.pattern)
        return None if words is None else [(w,) for w in words]
    shape = term.shape
    words = [fold(w) for w in shape.words] + [fold(shape.words[-1] + s) for s in shape.suffixes]
    return variants(shape) if _tokenizable(words) else None


# -- the vocabulary of a profile -------------------------------------------------------------
def _ascii_hash(word: bytes) -> int:
    """The hash `_lookup` computes of a token of these ASCII bytes."""
    key = 0
    for byte in word:
        key = (key * _HASH + (byte | 0x20)) % (1 << 64)
    return key


def _slot(key: int, mask: int) -> int:
    return ((key >> 29) ^ key) & mask


class Vocabulary:
    """The distinct folded words of a set of token sequences, with the open-addressing hash
    table (over ASCII words) that `_lookup` looks tokens up in."""

    def __init__(self, words: Sequence[str]):
        self.words = list(dict.fromkeys(words))
        self.index = {w: i for i, w in enumerate(self.words)}
        folded = [bytes(c | 0x20 for c in w.encode()) if w.isascii() else b"" for w in self.words]
        self.width = max(map(len, folded), default=0)
        self.word_bytes = np.frombuffer(b"".join(folded) or b"\0", np.uint8)
        self.word_offsets = np.cumsum([0, *map(len, folded)]).astype(np.int64)
        # (length, first, last byte) -> the one word that has them, -1: none, -2: several
        self.ends = np.full((self.width + 1) << 16, -1, np.int32)
        for i, word in enumerate(folded):
            if word:
                cell = (len(word) << 16) | (word[0] << 8) | word[-1]
                self.ends[cell] = i if self.ends[cell] == -1 else -2
        size = 1 << max(4, (4 * len(self.words)).bit_length())
        self.slot_keys = np.zeros(size, np.uint64)
        self.slot_words = np.full(size, -1, np.int32)
        for i, word in enumerate(self.words):
            if word.isascii():
                key = _ascii_hash(word.encode())
                slot = _slot(key, size - 1)
                while self.slot_words[slot] >= 0:
                    slot = (slot + 1) & (size - 1)
                self.slot_keys[slot], self.slot_words[slot] = key, i


# -- tokens of a block of papers -------------------------------------------------------------
@functools.cache
def _classes() -> np.ndarray:
    """Per code point: 1 for a word character (Python's ``\\w``), 2 for a phrase separator
    (whitespace or a hyphen), 0 otherwise."""
    chars = np.arange(0x110000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    classes = np.zeros(0x110000, np.uint8)
    classes[[m.start() for m in re.finditer(r"\w", chars)]] = 1
    classes[[m.start() for m in re.finditer(r"[\s\-\u2010\u2011]", chars)]] = 2
    return classes


@numba.njit(cache=True, nogil=True, inline="always")
def _char(buf, pos, classes):  # pragma: no cover - compiled
    """The class of the UTF-8 character at `pos` (see `_classes`) and its width in bytes."""
    byte = buf[pos]
    if byte < 0x80:
        return classes[byte], 1
    if byte >= 0xF0:
        code = ((byte & 0x07) << 18) | ((buf[pos + 1] & 0x3F) << 12) | \
            ((buf[pos + 2] & 0x3F) << 6) | (buf[pos + 3] & 0x3F)
        return classes[code], 4
    if byte >= 0xE0:
        return classes[((byte & 0x0F) << 12) | ((buf[pos + 1] & 0x3F) << 6) | (buf[pos + 2] & 0x3F)], 3
    return classes[((byte & 0x1F) << 6) | (buf[pos + 1] & 0x3F)], 2


@numba.njit(cache=True, nogil=True)
def _separated(buf, lo, hi, classes):  # pragma: no cover - compiled
    """Whether buf[lo:hi] is a non-empty run of separators."""
    if hi <= lo:
        return False
    pos = lo
    while pos < hi:
        kind, step = _char(buf, pos, classes)
        if kind != 2:
            return False
        pos += step
    return True


@numba.njit(cache=True, nogil=True)
def _tokens(buf, off, classes, ascii_word, starts, ends, ascii, first_token):  # pragma: no cover - compiled
    r"""Cut papers into tokens, the runs of word characters, in order: their byte spans,
    whether they are ASCII, and each paper's first token. Returns the number of tokens.

    Per paper a tight loop cuts runs of ASCII word bytes and non-ASCII bytes; only runs
    holding non-ASCII bytes are then decoded and split where Python's ``\w`` ends."""
    longest = 1
    for doc in range(len(off) - 1):
        longest = max(longest, off[doc + 1] - off[doc])
    bounds = np.empty(longest + 2, np.int32)
    n = 0
    for doc in range(len(off) - 1):
        first_token[doc] = n
        lo, hi = off[doc], off[doc + 1]
        m, inside, high = 0, np.uint8(0), np.uint8(0)
        for pos in range(lo, hi):
            byte = buf[pos]
            word = ascii_word[byte]
            bounds[m] = pos
            m += word ^ inside
            inside = word
            high |= byte
        if inside:
            bounds[m] = hi
            m += 1
        for k in range(0, m, 2):
            start, end = bounds[k], bounds[k + 1]
            wide = False
            if high >= 0x80:
                for pos in range(start, end):
                    wide |= buf[pos] >= 0x80
            if not wide:
                starts[n], ends[n], ascii[n] = start, end, True
                n += 1
                continue
            pos = start
            while pos < end:
                kind, step = _char(buf, pos, classes)
                if kind != 1:
                    pos += step
                    continue
                starts[n], ascii[n] = pos, True
                while pos < end:
                    kind, step = _char(buf, pos, classes)
                    if kind != 1:
                        break
                    ascii[n] &= step == 1
                    pos += step
                ends[n] = pos
                n += 1
    first_token[len(off) - 1] = n
    return n


@numba.njit(cache=True, nogil=True)
def _lookup(buf, classes, starts, ends, ascii, first_token, word_ends, slot_keys, slot_words,
            word_bytes, word_offsets, width, word_of, separated, hits, wide):  # pragma: no cover - compiled
    """Which tokens are profile words. `word_of[t]`: the word token t is (-1: none; -2: not
    ASCII, for the caller to look up); for those, `separated[t]`: whether only separators
    part it from the paper's previous token. Profile words also go to `hits` as (token,
    word, paper), non-ASCII tokens to `wide` as (token, paper). Returns both counts."""
    mask = np.uint64(len(slot_keys) - 1)
    n_hits, n_wide = 0, 0
    for doc in range(len(first_token) - 1):
        for t in range(first_token[doc], first_token[doc + 1]):
            start, end = starts[t], ends[t]
            length, word = end - start, -1
            cell = -1
            if ascii[t] and length <= width:
                cell = word_ends[(length << 16) | ((buf[start] | 0x20) << 8) | (buf[end - 1] | 0x20)]
            if not ascii[t]:
                word = -2
            elif cell >= 0:                             # one candidate: compare the bytes
                lo = word_offsets[cell]
                same = True
                for k in range(length):
                    same &= (buf[start + k] | 0x20) == word_bytes[lo + k]
                word = cell if same else -1
            elif cell == -2:
                key = np.uint64(0)                      # several: hash, then probe the table
                for k in range(start, end):
                    key = key * np.uint64(0x100000001B3) + np.uint64(buf[k] | 0x20)
                slot = ((key >> np.uint64(29)) ^ key) & mask
                while slot_words[slot] >= 0:
                    candidate = slot_words[slot]
                    lo = word_offsets[candidate]
                    if slot_keys[slot] == key and word_offsets[candidate + 1] - lo == length:
                        same = True
                        for k in range(length):
                            same &= (buf[start + k] | 0x20) == word_bytes[lo + k]
                        if same:
                            word = candidate
                            break
                    slot = (slot + np.uint64(1)) & mask
            word_of[t] = word
            if word == -1:
                continue
            gap = ends[t - 1] if t > first_token[doc] else -1
            separated[t] = gap >= 0 and ((gap == start - 1 and classes[buf[gap]] == 2)
                                         or (gap < start - 1 and _separated(buf, gap, start, classes)))
            if word >= 0:
                hits[n_hits, 0], hits[n_hits, 1], hits[n_hits, 2] = t, word, doc
                n_hits += 1
            else:
                wide[n_wide, 0], wide[n_wide, 1] = t, doc
                n_wide += 1
    return n_hits, n_wide


@dataclass
class Hits:
    """The tokens of a block that are profile words, in text order (token number, word
    id, paper), and per token of the block its word id (-1: none) and, for profile words,
    whether only separators part it from the previous token of its paper."""
    token: np.ndarray
    word: np.ndarray
    doc: np.ndarray
    word_of: np.ndarray
    separated: np.ndarray


def find_words(buf: np.ndarray, off: np.ndarray, vocabulary: Vocabulary) -> Hits:
    """The profile words among the tokens of papers whose UTF-8 bytes are `buf` (paper i:
    ``buf[off[i]:off[i + 1]]``)."""
    room = len(buf) // 2 + len(off)
    starts, ends = np.empty(room, np.int32), np.empty(room, np.int32)
    ascii, first_token = np.empty(room, np.bool_), np.empty(len(off), np.int64)
    n = _tokens(buf, off, _classes(), _ASCII_WORD, starts, ends, ascii, first_token)
    word_of, separated = np.empty(n, np.int32), np.empty(n, np.bool_)
    hits, wide = np.empty((n, 3), np.int64), np.empty((n, 2), np.int64)
    n_hits, n_wide = _lookup(buf, _classes(), starts, ends, ascii, first_token, vocabulary.ends,
                             vocabulary.slot_keys, vocabulary.slot_words, vocabulary.word_bytes,
                             vocabulary.word_offsets, vocabulary.width, word_of, separated,
                             hits, wide)
    hits, wide = hits[:n_hits], wide[:n_wide]
    index = vocabulary.index
    words = np.array([index.get(fold(bytes(buf[starts[t]:ends[t]]).decode("utf-8")), -1)
                      for t in wide[:, 0].tolist()], np.int64)
    word_of[wide[:, 0]] = words
    if (words >= 0).any():
        found = np.column_stack([wide[:, 0], words, wide[:, 1]])[words >= 0]
        hits = np.concatenate([hits, found])
        hits = hits[np.argsort(hits[:, 0], kind="stable")]
    return Hits(hits[:, 0], hits[:, 1], hits[:, 2], word_of, separated)


# -- matching --------------------------------------------------------------------------------
def _first_match_only(doc: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Keep matches that do not overlap an earlier kept one in the same paper (like re.finditer)."""
    keep = np.ones(len(doc), bool)
    clash = np.flatnonzero((doc[1:] == doc[:-1]) & (start[1:] < end[:-1]))
    for paper in np.unique(doc[clash + 1]):
        last_end = -1
        for k in np.flatnonzero(doc == paper):
            keep[k] = start[k] >= last_end
            last_end = end[k] if keep[k] else last_end
    return keep


class Matcher:
    """Counts terms given as token sequences (`token_sequences`) in blocks of papers."""

    def __init__(self, sequences: Sequence[Sequence[tuple[str, ...]]]):
        """`sequences`: per term, the token sequences it matches (`token_sequences`)."""
        self.vocabulary = Vocabulary([w for vs in sequences for v in vs for w in v])
        index = self.vocabulary.index
        self.sequences = [[[index[w] for w in v] for v in vs] for vs in sequences]
        self.phrases = [j for j, vs in enumerate(self.sequences) if any(len(v) > 1 for v in vs)]
        single = [(index[v[0]], j) for j, vs in enumerate(sequences) for v in vs
                  if len(v) == 1 and j not in self.phrases]
        words, terms = zip(*single) if single else ((), ())
        self.keywords = sp.csr_matrix((np.ones(len(single), np.int32), (words, terms)),
                                      shape=(len(self.vocabulary.words), len(sequences)))

    def count(self, buf: np.ndarray, off: np.ndarray) -> sp.csc_matrix:
        """Papers x shapes: how often each shape matches in each paper."""
        hits = find_words(buf, off, self.vocabulary)
        n_docs = len(off) - 1
        per_word = sp.csr_matrix((np.ones(len(hits.doc), np.int32), (hits.doc, hits.word)),
                                 shape=(n_docs, len(self.vocabulary.words)))
        counts = (per_word @ self.keywords).tocsc()
        if not self.phrases:
            return counts
        by_word: dict[int, np.ndarray] = {}
        docs = [self._phrase(hits, by_word, self.sequences[j]) for j in self.phrases]
        columns = np.repeat(self.phrases, [len(d) for d in docs])
        phrases = sp.csc_matrix((np.ones(len(columns), np.int32),
                                 (np.concatenate([np.zeros(0, np.int64), *docs]), columns)),
                                shape=counts.shape)
        return (counts + phrases).tocsc()

    @staticmethod
    def _phrase(hits: Hits, by_word: dict[int, np.ndarray], sequences: list[list[int]]) -> np.ndarray:
        """The paper of every match of one term (any of its token sequences); `by_word`
        caches the hits of each first word."""
        starts, ends, docs = [], [], []
        last = len(hits.word_of) - 1
        for sequence in sequences:
            if sequence[0] not in by_word:
                by_word[sequence[0]] = np.flatnonzero(hits.word == sequence[0])
            first = by_word[sequence[0]]
            token = hits.token[first]
            for k, word in enumerate(sequence[1:], 1):
                at = np.minimum(token + k, last)
                ok = (token + k <= last) & (hits.word_of[at] == word) & hits.separated[at]
                first, token = first[ok], token[ok]
            starts.append(token)
            ends.append(token + len(sequence))
            docs.append(hits.doc[first])
        start = np.concatenate(starts)
        order = np.argsort(start, kind="stable")
        doc = np.concatenate(docs)[order]
        return doc[_first_match_only(doc, start[order], np.concatenate(ends)[order])]
