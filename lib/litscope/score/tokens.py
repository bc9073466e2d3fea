"""Keywords and phrases matched as sequences of word tokens, with NumPy over UTF-8 bytes.

A token is a maximal run of word characters (Python's ``\\w``: letters, digits, ``_``)
inside one paper's text. A keyword or phrase written in word characters matches exactly
where its regular expression (`Term.regex`: whole words, plural endings, runs of
whitespace/hyphens between words, case-insensitive) matches, and that is a sequence of
whole tokens: ``fine-tuning`` is the tokens ``fine``, ``tuning`` with only separators
between them, or the one token ``finetuning``. So a block of papers is matched by

1. cutting it into tokens in one branch-free pass over the bytes (no per-match Python),
2. looking each token up among the profile words by its length and end bytes in a small
   table (most tokens stop there), then byte by byte or, where several words share the
   entry, by a hash of their case-folded bytes; only profile words are kept,
3. following each term's token sequences from their first word's hits along the next
   hits, which must be the next tokens with only separators between them.

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

import numba
import numpy as np
import scipy.sparse as sp

from ..compat import EXTRA_CASES, sre_parser as _parser, unicode_tolower
from .profile import Shape, Term

_WORD_RUN = re.compile(r"\w+")
#: Bytes that may be part of a word: ASCII letters, digits and '_', and every non-ASCII byte.
_ASCII_WORD = np.zeros(256, np.uint8)
_ASCII_WORD[[ord(c) for c in "0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"]] = 1
_ASCII_WORD[0x80:] = 1
_HASH = 0x100000001B3


class _Fold(dict):
    """Code point -> the code point `re.IGNORECASE` compares it as (built on demand)."""

    def __missing__(self, code: int) -> int:
        lower = unicode_tolower(code)
        folded = min((lower, *EXTRA_CASES.get(lower, ())))
        self[code] = folded
        return folded


_FOLD = _Fold()
#: Characters case-equal to others of a different kind (the combining mark U+0345 matches
#: the letter iota): a pattern holding one of them takes the regex path.
_CROSS_CLASS = {chr(c) for c, extra in EXTRA_CASES.items()
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
    """The hash `_probe` computes of a token of these ASCII bytes."""
    key = 0
    for byte in word:
        key = (key * _HASH + (byte | 0x20)) % (1 << 64)
    return key


def _slot(key: int, mask: int) -> int:
    return ((key >> 29) ^ key) & mask


def _cell(length: int, first: int, last: int) -> int:
    """The cell of `Vocabulary.ends` for a token: its length and the low five bits of its
    first and last bytes (case-folded ASCII letters differ there; a few other bytes share)."""
    return (length << 10) | ((first & 31) << 5) | (last & 31)


class Vocabulary:
    """The distinct folded words of a set of token sequences, with the tables `_lookup`
    looks ASCII tokens up in: a small filter by length and end bytes, and an open-addressing
    hash table for the cells that several words share."""

    def __init__(self, words: Sequence[str]):
        self.words = list(dict.fromkeys(words))
        self.index = {w: i for i, w in enumerate(self.words)}
        folded = [bytes(c | 0x20 for c in w.encode()) if w.isascii() else b"" for w in self.words]
        self.width = max(map(len, folded), default=0)
        self.word_bytes = np.frombuffer(b"".join(folded) or b"\0", np.uint8)
        self.word_offsets = np.cumsum([0, *map(len, folded)]).astype(np.int64)
        # cell (length, first, last byte) -> the one word that has it, -1: none, -2: several.
        # (width + 1) x 1024 cells of int32: a few tens of KiB, which stay in the CPU's cache.
        self.ends = np.full((self.width + 1) << 10, -1, np.int32)
        for i, word in enumerate(folded):
            if word:
                cell = _cell(len(word), word[0], word[-1])
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
def _probe(buf, start, end, slot_keys, slot_words, word_bytes, word_offsets):  # pragma: no cover - compiled
    """The profile word the ASCII token buf[start:end] is (-1: none), from the
    open-addressing table by the hash of its case-folded bytes, verified byte by byte."""
    key = np.uint64(0)
    for k in range(start, end):
        key = key * np.uint64(0x100000001B3) + np.uint64(buf[k] | 0x20)
    mask = np.uint64(len(slot_keys) - 1)
    slot = ((key >> np.uint64(29)) ^ key) & mask
    while slot_words[slot] >= 0:
        candidate = slot_words[slot]
        if slot_keys[slot] == key and _same(buf, start, end, word_bytes, word_offsets, candidate):
            return candidate
        slot = (slot + np.uint64(1)) & mask
    return -1


@numba.njit(cache=True, nogil=True, inline="always")
def _same(buf, start, end, word_bytes, word_offsets, word):  # pragma: no cover - compiled
    """Whether the ASCII token buf[start:end], case-folded, is profile word `word`."""
    lo = word_offsets[word]
    if word_offsets[word + 1] - lo != end - start:
        return False
    for k in range(end - start):
        if (buf[start + k] | 0x20) != word_bytes[lo + k]:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _tokens(buf, off, classes, ascii_word, starts, ends, ascii, first_token):  # pragma: no cover - compiled
    r"""Cut papers into tokens, the runs of word characters, in order: their byte spans,
    whether they are ASCII, and each paper's first token. Returns the number of tokens.

    Per paper a tight loop cuts runs of ASCII word bytes and non-ASCII bytes, noting where
    the (rare) non-ASCII bytes are; only runs holding one are then decoded and split where
    Python's ``\w`` ends, rather than scanning again every token of a paper with a
    non-ASCII byte: a third of arXiv-like abstracts have a dash or a quote mark outside
    ASCII (benchmarks/RESULTS.md, "Design figures")."""
    longest = 1
    for doc in range(len(off) - 1):
        longest = max(longest, off[doc + 1] - off[doc])
    bounds = np.empty(longest + 2, np.int32)
    highs = np.empty(longest + 1, np.int32)       # where a paper's non-ASCII bytes are
    n = 0
    for doc in range(len(off) - 1):
        first_token[doc] = n
        lo, hi = off[doc], off[doc + 1]
        m, inside, n_high = 0, np.uint8(0), 0
        for pos in range(lo, hi):
            byte = buf[pos]
            word = ascii_word[byte]
            bounds[m] = pos
            m += word ^ inside
            inside = word
            if byte >= 0x80:                      # rare: the branch is predicted
                highs[n_high] = pos
                n_high += 1
        if inside:
            bounds[m] = hi
            m += 1
        h = 0
        for k in range(0, m, 2):
            start, end = bounds[k], bounds[k + 1]
            while h < n_high and highs[h] < start:
                h += 1
            wide = h < n_high and highs[h] < end
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
            word_bytes, word_offsets, width, hits, hit_sep, wide, wide_sep):  # pragma: no cover - compiled
    """Which tokens are profile words: those go to `hits` as (token, word, paper) with
    `hit_sep` (only separators part it from the paper's previous token); tokens holding
    non-ASCII characters go to `wide` as (token, paper) with `wide_sep`, for the caller to
    fold and look up. Returns both counts.

    An ASCII token is looked up by its length and end bytes in `word_ends` (the cell of
    `_cell`; most tokens stop there), then its bytes are compared with the one candidate, or
    hashed into the table where several words share the cell. The filter is written out
    here rather than called: a call per token costs more than the check."""
    n_hits, n_wide = 0, 0
    for doc in range(len(first_token) - 1):
        for t in range(first_token[doc], first_token[doc + 1]):
            start, end = starts[t], ends[t]
            word = -2
            if ascii[t]:
                length = end - start
                if length > width:
                    continue
                word = word_ends[(length << 10) | ((buf[start] & 31) << 5) | (buf[end - 1] & 31)]
                if word == -1:
                    continue
                if word == -2:
                    word = _probe(buf, start, end, slot_keys, slot_words, word_bytes, word_offsets)
                    if word == -1:
                        continue
                elif not _same(buf, start, end, word_bytes, word_offsets, word):
                    continue
            separated = False
            if t > first_token[doc]:
                gap = ends[t - 1]
                kind, step = _char(buf, gap, classes)
                separated = kind == 2 and (gap + step == start or _separated(buf, gap, start, classes))
            if word >= 0:
                hits[n_hits, 0], hits[n_hits, 1], hits[n_hits, 2] = t, word, doc
                hit_sep[n_hits] = separated
                n_hits += 1
            else:
                wide[n_wide, 0], wide[n_wide, 1] = t, doc
                wide_sep[n_wide] = separated
                n_wide += 1
    return n_hits, n_wide


@dataclass
class Hits:
    """The tokens of a block that are profile words, in text order: token number (counted
    across the block), word id, paper, and whether only separators part it from the
    previous token of its paper; `n_tokens` counts every token of the block."""
    token: np.ndarray
    word: np.ndarray
    doc: np.ndarray
    separated: np.ndarray
    n_tokens: int


def find_words(buf: np.ndarray, off: np.ndarray, vocabulary: Vocabulary) -> Hits:
    """The profile words among the tokens of papers whose UTF-8 bytes are `buf` (paper i:
    ``buf[off[i]:off[i + 1]]``)."""
    room = len(buf) // 2 + len(off)    # a token takes a byte, and a separator or a paper's end
    starts, ends = np.empty(room, np.int32), np.empty(room, np.int32)
    ascii, first_token = np.empty(room, np.bool_), np.empty(len(off), np.int64)
    n_tokens = _tokens(buf, off, _classes(), _ASCII_WORD, starts, ends, ascii, first_token)
    hits, hit_sep = np.empty((n_tokens, 3), np.int64), np.empty(n_tokens, np.bool_)
    wide, wide_sep = np.empty((n_tokens, 2), np.int64), np.empty(n_tokens, np.bool_)
    v = vocabulary
    n_hits, n_wide = _lookup(buf, _classes(), starts, ends, ascii, first_token, v.ends,
                             v.slot_keys, v.slot_words, v.word_bytes, v.word_offsets, v.width,
                             hits, hit_sep, wide, wide_sep)
    hits, hit_sep, wide, wide_sep = hits[:n_hits], hit_sep[:n_hits], wide[:n_wide], wide_sep[:n_wide]
    if n_wide:
        words = np.array([v.index.get(fold(bytes(buf[starts[t]:ends[t]]).decode("utf-8")), -1)
                          for t in wide[:, 0].tolist()], np.int64)
        found = words >= 0
        if found.any():
            hits = np.concatenate([hits, np.column_stack([wide[found, 0], words[found], wide[found, 1]])])
            hit_sep = np.concatenate([hit_sep, wide_sep[found]])
            order = np.argsort(hits[:, 0], kind="stable")
            hits, hit_sep = hits[order], hit_sep[order]
    return Hits(hits[:, 0], hits[:, 1], hits[:, 2], hit_sep, n_tokens)


# -- matching --------------------------------------------------------------------------------
@numba.njit(cache=True, nogil=True)
def _match(token, word, doc, separated, first_ptr, first_seq, seq_ptr, seq_words, seq_term,
           n_terms, n_docs, fanout):  # pragma: no cover - compiled
    """Every match of every term in a block, as ``term * n_docs + paper``: from each hit,
    the token sequences that start with its word (a term's in its order) are followed
    along the next hits, which must be the next tokens, separated only by separators.
    Like ``re.finditer``, a term's matches in a paper do not overlap: a match starting
    inside the term's previous match is dropped."""
    last_doc = np.full(n_terms, -1, np.int64)
    last_end = np.zeros(n_terms, np.int64)
    out = np.empty(len(token) * fanout, np.int64)
    n = 0
    for i in range(len(token)):
        w, t, d = word[i], token[i], doc[i]
        for s in range(first_ptr[w], first_ptr[w + 1]):
            sequence = first_seq[s]
            lo, hi = seq_ptr[sequence], seq_ptr[sequence + 1]
            j = seq_term[sequence]
            if last_doc[j] == d and t < last_end[j]:
                continue
            ok = i + hi - lo <= len(token)
            for k in range(1, hi - lo):
                if not ok:
                    break
                ok = token[i + k] == t + k and word[i + k] == seq_words[lo + k] and separated[i + k]
            if ok:
                last_doc[j], last_end[j] = d, t + hi - lo
                out[n] = j * n_docs + d
                n += 1
    return out[:n]


class Matcher:
    """Counts terms given as token sequences (`token_sequences`) in blocks of papers."""

    def __init__(self, sequences: Sequence[Sequence[tuple[str, ...]]]):
        """`sequences`: per term, the token sequences it matches (`token_sequences`)."""
        self.vocabulary = Vocabulary([w for vs in sequences for v in vs for w in v])
        index = self.vocabulary.index
        self.n_terms = len(sequences)
        flat = [(j, [index[w] for w in v]) for j, vs in enumerate(sequences) for v in vs]
        self.seq_term = np.array([j for j, _ in flat], np.int64)
        self.seq_words = np.array([w for _, v in flat for w in v], np.int64)
        self.seq_ptr = np.cumsum([0, *(len(v) for _, v in flat)]).astype(np.int64)
        # the sequences by first word, each word's in term order (a term's variants in order)
        first = np.array([v[0] for _, v in flat], np.int64)
        self.first_seq = np.argsort(first, kind="stable").astype(np.int64)
        self.first_ptr = np.searchsorted(first[self.first_seq],
                                         np.arange(len(self.vocabulary.words) + 1)).astype(np.int64)
        self.fanout = int(np.diff(self.first_ptr).max(initial=1))

    def count(self, buf: np.ndarray, off: np.ndarray) -> sp.csc_matrix:
        """Papers x terms: how often each term matches in each paper."""
        hits = find_words(buf, off, self.vocabulary)
        n_docs = len(off) - 1
        codes = _match(hits.token, hits.word, hits.doc, hits.separated, self.first_ptr,
                       self.first_seq, self.seq_ptr, self.seq_words, self.seq_term, self.n_terms,
                       n_docs, self.fanout)
        codes, counts = np.unique(codes, return_counts=True)
        indptr = np.searchsorted(codes, np.arange(self.n_terms + 1, dtype=np.int64) * n_docs)
        return sp.csc_matrix((counts.astype(np.int32), (codes % n_docs).astype(np.int32), indptr),
                             shape=(n_docs, self.n_terms))
