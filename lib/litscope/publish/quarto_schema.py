"""Check Quarto project files and page front matter without Quarto, against its own schema.

`templates/quarto/schema-1.10.18.json` is the option schema Quarto 1.10.18 ships
(``src/resources/schema/json-schemas.json``, MIT). It describes the ``project:``,
``website:`` and ``listing:`` subtrees but not the document options around them
(``title``, ``format``, ``execute``, ...); `DOCUMENT_OPTIONS` adds those litscope writes,
in the same dialect, transcribed from Quarto's ``document-*.yml`` schema files.

The dialect is JSON-Schema-like, except that an object's properties sit under an
``"object"`` key. The checker is strict: an object with listed properties is closed
(an unknown key is an error, as a typo would be), one with no listed properties is an
open map (``field-types: {score: number}``).
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from ruamel.yaml import YAML, YAMLError

from ..errors import PublishError

SCHEMA_FILE = "schema-1.10.18.json"

_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_NUM = {"type": "number"}
_STRINGS = {"anyOf": [{"type": "array", "items": _STR}, _STR]}

#: Document options Quarto knows that its JSON export leaves out (document-attributes.yml,
#: document-layout.yml, document-toc.yml, document-options.yml, document-listing.yml,
#: document-website.yml, document-execute.yml, format-execute-*.yml, document-citation.yml
#: of Quarto 1.10).
DOCUMENT_OPTIONS: dict[str, Any] = {
    "title": _STR,
    "subtitle": _STR,
    "date": {"$ref": "#/$defs/Date"},
    "date-format": _STR,
    "author": {"anyOf": [{"type": "array", "items": {"anyOf": [{"type": "object"}, _STR]}},
                         {"type": "object"}, _STR]},
    "abstract": _STR,
    "description": _STR,
    "categories": _STRINGS,
    "keywords": _STRINGS,
    "image": {"anyOf": [_STR, _BOOL]},
    "image-alt": _STR,
    "search": _BOOL,
    "page-layout": {"enum": ["article", "full", "custom"]},
    "title-block-banner": {"anyOf": [_BOOL, _STR]},
    "toc": _BOOL,
    "toc-depth": _NUM,
    "toc-location": {"enum": ["body", "left", "right", "left-body", "right-body"]},
    "toc-title": _STR,
    "number-sections": _BOOL,
    "lang": _STR,
    "theme": {"anyOf": [_STR, {"type": "array", "items": _STR},
                        {"object": {"properties": {"light": _STRINGS, "dark": _STRINGS}}}]},
    "css": _STRINGS,
    "smooth-scroll": _BOOL,
    "anchor-sections": _BOOL,
    "code-fold": {"anyOf": [_BOOL, {"enum": ["show"]}]},
    "code-tools": _BOOL,
    "fig-align": {"enum": ["default", "left", "right", "center"]},
    "listing": {"anyOf": [_BOOL, {"$ref": "#/$defs/WebsiteListing"},
                          {"type": "array", "items": {"anyOf": [_STR, {"$ref": "#/$defs/WebsiteListing"}]}},
                          _STR]},
    "jupyter": {"anyOf": [_BOOL, _STR, {"type": "object"}]},
    "execute": {"$ref": "#/$defs/LitscopeExecute"},
    "freeze": {"anyOf": [_BOOL, {"enum": ["auto"]}]},
    "metadata-files": {"type": "array", "items": _STR},
    "order": _NUM,
    "ipynb-filters": {"type": "array", "items": _STR},
    "bibliography": _STRINGS,
    "csl": _STR,
    "citations-hover": _BOOL,
}

_EXTRA_DEFS: dict[str, Any] = {
    "LitscopeExecute": {"object": {"properties": {
        "enabled": _BOOL,
        "freeze": {"anyOf": [_BOOL, {"enum": ["auto"]}]},
        "cache": {"anyOf": [_BOOL, {"enum": ["refresh"]}]},
        "daemon": {"anyOf": [_NUM, _BOOL]},
        "echo": {"anyOf": [_BOOL, {"enum": ["fenced"]}]},
        "eval": _BOOL,
        "warning": _BOOL,
        "error": _BOOL,
        "output": {"anyOf": [_BOOL, {"enum": ["asis"]}]},
    }}},
    "LitscopeDocument": {"object": {"properties": DOCUMENT_OPTIONS}},
    "LitscopeFormats": {"object": {"properties": {
        "html": {"anyOf": [{"enum": ["default"]}, {"$ref": "#/$defs/LitscopeDocument"}]},
    }}},
    "LitscopeProjectFile": {"object": {"properties": {
        **DOCUMENT_OPTIONS,
        "project": {"$ref": "#/$defs/ProjectConfig"},
        "website": {"$ref": "#/$defs/BaseWebsite"},
        "format": {"$ref": "#/$defs/LitscopeFormats"},
    }}},
}

_NODE_KEYS = {"$ref", "anyOf", "allOf", "enum", "type", "items", "object", "description"}
_TYPES = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


@lru_cache(maxsize=None)
def schema_defs() -> dict[str, Any]:
    """Quarto's `$defs` plus litscope's document-level additions."""
    path = resources.files("litscope") / "templates" / "quarto" / SCHEMA_FILE
    defs = dict(json.loads(path.read_text(encoding="utf-8"))["$defs"])
    defs.update(_EXTRA_DEFS)
    return defs


def _where(path: str) -> str:
    return path or "(top level)"


class SchemaChecker:
    """Validate YAML data against a node of the schema; errors are ``path: message`` strings."""

    def __init__(self, defs: dict[str, Any] | None = None):
        self.defs = defs if defs is not None else schema_defs()

    def check(self, value: Any, node: dict[str, Any] | str, path: str = "") -> list[str]:
        """All problems of `value` against `node` (a node or the name of a `$defs` entry)."""
        if isinstance(node, str):
            node = {"$ref": f"#/$defs/{node}"}
        unknown = set(node) - _NODE_KEYS
        if unknown:
            raise ValueError(f"schema node at {_where(path)} uses unsupported keys {sorted(unknown)}")
        errors: list[str] = []
        if "$ref" in node:
            errors += self.check(value, self._resolve(node["$ref"]), path)
        if "anyOf" in node:
            errors += self._any_of(value, node["anyOf"], path)
        for sub in node.get("allOf", ()):
            errors += self.check(value, sub, path)
        if "enum" in node and value not in node["enum"]:
            errors.append(f"{_where(path)}: {value!r} is not one of {node['enum']}")
        if "type" in node:
            errors += self._type(value, node, path)
        if "object" in node:
            errors += self._object(value, node["object"], path)
        return errors

    def _resolve(self, ref: str) -> dict[str, Any]:
        prefix = "#/$defs/"
        if not ref.startswith(prefix) or ref[len(prefix):] not in self.defs:
            raise ValueError(f"unresolvable schema reference {ref!r}")
        return self.defs[ref[len(prefix):]]

    def _any_of(self, value: Any, options: list[dict[str, Any]], path: str) -> list[str]:
        results = [self.check(value, option, path) for option in options]
        if any(not errors for errors in results):
            return []
        # Report the alternative that got furthest into the value (its errors are deepest).
        return max(results, key=lambda errors: max(len(e.split(":")[0]) for e in errors))

    def _type(self, value: Any, node: dict[str, Any], path: str) -> list[str]:
        kind = node["type"]
        if not _TYPES[kind](value):
            return [f"{_where(path)}: expected {kind}, got {type(value).__name__} {value!r}"]
        if kind == "array" and "items" in node:
            return [e for i, item in enumerate(value) for e in self.check(item, node["items"], f"{path}[{i}]")]
        return []

    def _object(self, value: Any, spec: dict[str, Any], path: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{_where(path)}: expected a mapping, got {type(value).__name__} {value!r}"]
        properties = spec.get("properties", {})
        errors = [f"{_where(path)}: missing required key {key!r}"
                  for key in spec.get("required", ()) if key not in value]
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key in properties:
                errors += self.check(item, properties[key], where)
            elif properties or spec.get("additionalProperties") is False:
                errors.append(f"{where}: unknown key (Quarto 1.10 knows {', '.join(sorted(properties))})")
        return errors


def check_project_file(data: Any) -> list[str]:
    """Problems of a parsed `_quarto.yml`."""
    return SchemaChecker().check(data, "LitscopeProjectFile")


def check_front_matter(data: Any, custom_fields: Iterable[str] = ()) -> list[str]:
    """Problems of a page's parsed front matter; `custom_fields` are keys a listing declares."""
    if not isinstance(data, dict):
        return [f"(top level): expected a mapping, got {type(data).__name__}"]
    custom = set(custom_fields)
    known = {k: v for k, v in data.items() if k not in custom}
    return SchemaChecker().check(known, "LitscopeDocument")


_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*$\r?\n?", re.S | re.M)


def load_yaml(text: str) -> Any:
    """Parse YAML as Quarto and Pandoc do: YAML 1.2 (where ``1e3`` is a number, ``yes`` a string)."""
    return YAML(typ="safe", pure=True).load(text)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """A page's YAML front matter (parsed as YAML 1.2) and its body."""
    match = _FRONT.match(text)
    if not match:
        return {}, text
    return load_yaml(match.group(1)) or {}, text[match.end():]


def _listing_fields(data: dict[str, Any]) -> set[str]:
    listing = data.get("listing")
    listings = listing if isinstance(listing, list) else [listing]
    return {f for item in listings if isinstance(item, dict) for f in item.get("fields", ())}


def _inputs(folder: Path, pattern: str) -> list[Path]:
    """Files under `folder` matching `pattern` that Quarto reads: none below a folder whose
    name starts with ``_`` or ``.`` (Quarto's outputs, freezer, caches)."""
    return [p for p in sorted(folder.rglob(pattern))
            if not any(part.startswith(("_", ".")) for part in p.relative_to(folder).parent.parts)]


def check_site(folder: str | Path) -> list[str]:
    """Check a Quarto website, or a folder of its pages: its ``_quarto.yml`` when it has one,
    every page's front matter and every metadata file (``_listing.yml``, ``_metadata.yml``).

    Keys outside Quarto's schema are allowed in front matter only when some listing of
    the folder declares them in its ``fields`` (custom listing fields such as ``score``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PublishError(f"{folder}: no such folder; run 'litscope publish' to write the pages")
    problems: list[str] = []

    def load(path: Path) -> Any:
        try:
            if path.suffix == ".yml":
                return load_yaml(path.read_text(encoding="utf-8"))
            return split_front_matter(path.read_text(encoding="utf-8"))[0]
        except YAMLError as exc:
            problems.append(f"{path.relative_to(folder)}: invalid YAML ({exc})")
            return None

    config = folder / "_quarto.yml"
    if config.is_file():
        problems += [f"_quarto.yml: {e}" for e in check_project_file(load(config))]
    pages = {p: load(p) for p in [*_inputs(folder, "*.qmd"), *_inputs(folder, "_*.yml")]
             if p.name != "_quarto.yml"}
    custom = {f for data in pages.values() if isinstance(data, dict) for f in _listing_fields(data)}
    custom -= set(DOCUMENT_OPTIONS)
    for page, data in pages.items():
        if data is not None:
            problems += [f"{page.relative_to(folder)}: {e}" for e in check_front_matter(data, custom)]
    return problems
