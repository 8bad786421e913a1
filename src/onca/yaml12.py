"""YAML with YAML 1.2 core-schema semantics, on PyYAML's C parser (shared by schemas and detection content).

Only ``true``/``false`` (in their three spellings) are booleans, so a key named ``On`` or a value
``yes`` stays a string; timestamps stay strings; ``0123`` is decimal and ``0o17`` octal;
``1:30`` is a string. Numbers may use ``_`` separators and ``0b`` binary, as ruamel.yaml and
Panther's CLI both accept. ruamel.yaml in 1.2 mode gives the same answers (but turns dates into
date objects), and its pure-Python parser is about ten times slower on a full content tree, which
matters for ``onca test``.

Documents are built straight from the C parser's events, which halves the time again; a document
using anchors, aliases, merge keys or explicit tags goes through the complete (slower) loader.
"""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar

import yaml
from yaml import events

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$")
_FLOAT = re.compile(
    r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


class Yaml12Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """A safe loader whose implicit types are those of the YAML 1.2 core schema."""

    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {}


def _int_value(text: str) -> int:
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    for prefix, base in (("0b", 2), ("0o", 8), ("0x", 16)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits, 10)


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    return _int_value(loader.construct_scalar(node))


def _float_value(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(text.replace("_", ""))


def _construct_float(loader: Any, node: yaml.ScalarNode) -> float:
    return _float_value(loader.construct_scalar(node))


def _construct_bool(loader: Any, node: yaml.ScalarNode) -> bool:
    return loader.construct_scalar(node).lower() == "true"


Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""])
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])
Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
Yaml12Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
# An explicit !!timestamp still means text here: a timestamp is never turned into a datetime.
Yaml12Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


class _NeedsFullLoader(Exception):
    """The document uses a feature the event builder leaves to the complete loader."""


_NULLS = {"~", "null", "Null", "NULL", ""}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


def _plain_scalar(text: str) -> Any:
    """Resolve an untagged, unquoted scalar by the YAML 1.2 core schema."""
    if not text:
        return None
    first = text[0]
    if first in "-+0123456789.":
        if _INT.match(text):
            return _int_value(text)
        return _float_value(text) if _FLOAT.match(text) else text
    if first in "nN~" and text in _NULLS:
        return None
    if first in "tTfF":
        flag = _BOOLS.get(text)
        if flag is not None:
            return flag
    if text == "<<":
        raise _NeedsFullLoader
    return text


def _documents_from_events(text: str | bytes, *, single: bool) -> list[Any]:
    """Every document of the text, built from the C parser's events. With ``single``, a second document is left
    to the complete loader, which reports it as an error."""
    loader = yaml.CSafeLoader(text) if hasattr(yaml, "CSafeLoader") else None
    if loader is None:
        raise _NeedsFullLoader
    stack: list[Any] = []
    pending_keys: list[Any] = []
    documents: list[Any] = []
    no_key = pending_keys  # a sentinel no real key can be
    try:
        next_event = loader.get_event
        while True:
            event = next_event()
            kind = event.__class__
            if kind is events.ScalarEvent:
                if event.anchor is not None:
                    raise _NeedsFullLoader
                if event.tag is None and event.implicit[0]:
                    value = _plain_scalar(event.value)
                elif event.tag is None or event.tag == "!":
                    value = event.value
                else:
                    raise _NeedsFullLoader
            elif kind is events.MappingStartEvent or kind is events.SequenceStartEvent:
                if event.anchor is not None or (event.tag is not None and not event.implicit):
                    raise _NeedsFullLoader
                stack.append({} if kind is events.MappingStartEvent else [])
                pending_keys.append(no_key)
                continue
            elif kind is events.MappingEndEvent or kind is events.SequenceEndEvent:
                value = stack.pop()
                pending_keys.pop()
            elif kind is events.AliasEvent:
                raise _NeedsFullLoader
            elif kind is events.StreamEndEvent:
                return documents
            elif kind is events.DocumentStartEvent:
                if single and documents:
                    raise _NeedsFullLoader
                continue
            else:
                continue
            if not stack:
                documents.append(value)
                continue
            container = stack[-1]
            if container.__class__ is list:
                container.append(value)
            elif pending_keys[-1] is no_key:
                pending_keys[-1] = value
            else:
                container[pending_keys[-1]] = value  # TypeError for an unhashable key
                pending_keys[-1] = no_key
    except TypeError as exc:
        raise _NeedsFullLoader from exc
    finally:
        loader.dispose()


def load_yaml(text: str | bytes) -> Any:
    """Parse one YAML document; raises ``yaml.YAMLError`` (with a line mark) when it is not valid."""
    try:
        documents = _documents_from_events(text, single=True)
    except _NeedsFullLoader:
        return yaml.load(text, Loader=Yaml12Loader)
    return documents[0] if documents else None


def describe_yaml_error(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return problem


def load_yaml_documents(text: str | bytes) -> list[Any]:
    """Every document of a multi-document YAML text (`---` separated), with the same semantics."""
    try:
        return _documents_from_events(text, single=False)
    except _NeedsFullLoader:
        return list(yaml.load_all(text, Loader=Yaml12Loader))
