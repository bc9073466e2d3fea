"""One family of errors for everything a user can fix.

The CLI prints a `LitscopeError` as one line (no traceback) and exits 2; every message
names the file, field, argument or URL involved and, where it helps, what to do.
"""
from __future__ import annotations


class LitscopeError(Exception):
    """Base class of the errors litscope reports to users."""


class ConfigError(LitscopeError):
    """A review project or its `litscope.yml` is missing or invalid."""


class SchemaError(LitscopeError):
    """A DataFrame does not follow the paper schema."""


class StoreError(LitscopeError):
    """The local store cannot be opened or written."""


class ImportFormatError(LitscopeError):
    """A digest file is not in any format litscope can import."""


class ProfileError(LitscopeError):
    """A scoring profile is invalid (names the field and, where known, the line)."""


class ScoreError(LitscopeError):
    """Scoring was asked for something the scored papers cannot give (e.g. an unknown id)."""


class LearnError(LitscopeError):
    """The labels cannot train a model (e.g. no include yet), or a metric's input is invalid."""


class FetchError(LitscopeError):
    """The arXiv API failed; carries the URL and how many attempts were made."""

    def __init__(self, message: str, url: str | None = None, attempts: int = 0):
        super().__init__(message)
        self.url = url
        self.attempts = attempts


class LLMError(LitscopeError):
    """An LLM endpoint is misconfigured or failed."""


class CurateError(LitscopeError):
    """A taxonomy, topic model, duplicate merge or export cannot be done as asked."""


class PublishError(LitscopeError):
    """The review website or digest cannot be built."""


class DecisionError(LitscopeError):
    """The review's decisions files (``decisions/*.jsonl``) cannot be read or written."""
