"""Compiling a log schema into a function that turns one parsed record into a normalized event.

Compilation happens once per log type: every field becomes a small closure that coerces its value, validates it,
scans it for indicators and notes the event time, so the per-record work is just calling those closures.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from onca.ingest import indicators as ind
from onca.ingest.indicators.nested import json_scanner
from onca.ingest.timestamps import TimeFormatError, build_time_parser
from onca.schema.model import Field, LogSchema, Transform
from onca.schema.names import column_name

_INT_RANGES = {"smallint": (-(2**15), 2**15 - 1), "int": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1)}
_TRUE = frozenset({"true", "t", "1", "yes"})
_FALSE = frozenset({"false", "f", "0", "no"})


MISSING_REQUIRED = "required field is missing"  # ends the message for an absent required field


class RecordError(ValueError):
    """A record that does not fit a schema; the message names the field path and what was wrong."""


class _Context:
    """Per-record state that field converters fill in as they go."""

    __slots__ = ("found", "event_time", "expiration", "extra", "root", "parse_time")

    def __init__(self, root: dict[str, Any], parse_time: datetime | None = None):
        self.parse_time = parse_time
        self.found: dict[str, set[str]] = {}
        self.event_time: datetime | None = None
        self.expiration: datetime | None = None
        self.extra: dict[str, Any] | None = None
        self.root = root

    def add_extra(self, path: tuple[str, ...], key: str, value: Any) -> None:
        if self.extra is None:
            self.extra = {}
        node = self.extra
        for part in path:
            node = node.setdefault(part, {})
        node[key] = value


Converter = Callable[[Any, _Context], Any]


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ---- scalar converters -------------------------------------------------------------------------------------


def _to_string(value: Any, ctx: _Context) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return orjson.dumps(value).decode()
    return orjson.dumps(value).decode()


def _int_converter(ftype: str, path: str) -> Converter:
    low, high = _INT_RANGES[ftype]

    def convert(value: Any, ctx: _Context) -> int | None:
        if isinstance(value, bool):
            raise RecordError(f"{path}: expected {ftype}, got a boolean")
        if isinstance(value, int):
            number = value
        elif isinstance(value, float):
            if not value.is_integer():
                raise RecordError(f"{path}: expected {ftype}, got {value!r}")
            number = int(value)
        elif isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            try:
                number = int(text)
            except ValueError:
                try:
                    as_float = float(text)
                except ValueError:
                    raise RecordError(f"{path}: expected {ftype}, got {_describe(value)}") from None
                if not as_float.is_integer():
                    raise RecordError(f"{path}: expected {ftype}, got {_describe(value)}") from None
                number = int(as_float)
        else:
            raise RecordError(f"{path}: expected {ftype}, got {type(value).__name__}")
        if not low <= number <= high:
            raise RecordError(f"{path}: {number} is out of range for {ftype}")
        return number

    return convert


def _float_converter(path: str) -> Converter:
    def convert(value: Any, ctx: _Context) -> float | None:
        if isinstance(value, bool):
            raise RecordError(f"{path}: expected float, got a boolean")
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            try:
                number = float(text)
            except ValueError:
                raise RecordError(f"{path}: expected float, got {_describe(value)}") from None
        else:
            raise RecordError(f"{path}: expected float, got {type(value).__name__}")
        if math.isnan(number) or math.isinf(number):
            return None
        return number

    return convert


def _bool_converter(path: str) -> Converter:
    def convert(value: Any, ctx: _Context) -> bool | None:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            if not text:
                return None
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        elif isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        raise RecordError(f"{path}: expected boolean, got {_describe(value)}")

    return convert


def _timestamp_converter(f: Field, path: str) -> Converter:
    parse = build_time_parser(f.time_formats)
    is_event_time, is_expiration = f.is_event_time, f.is_expiration

    def convert(value: Any, ctx: _Context) -> datetime | None:
        if value == "":
            return None
        try:
            dt = parse(value, ctx.parse_time)
        except TimeFormatError as exc:
            raise RecordError(f"{path}: {exc}") from None
        if is_event_time and ctx.event_time is None:
            ctx.event_time = dt
        if is_expiration and ctx.expiration is None:
            ctx.expiration = dt
        return dt

    return convert


def _json_converter(f: Field, path: str) -> Converter:
    embedded = f.is_embedded_json
    # Indicators on a json field apply to every string inside it (ARNs and addresses in CloudTrail's
    # requestParameters, for example), so the scanners used there should be ones that validate what they find.
    scan = json_scanner([ind.get_scanner(name) for name in f.indicators]) if f.indicators else None

    def convert(value: Any, ctx: _Context) -> Any:
        if embedded and isinstance(value, str):
            value = _decode_embedded(value, path)
        if scan is not None and value is not None:
            scan(value, ctx.found)
        return value

    return convert


def _decode_embedded(text: str, path: str) -> Any:
    if not text.strip():
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise RecordError(f"{path}: embedded JSON does not parse: {exc}") from None


# ---- checks applied after conversion -----------------------------------------------------------------------


def _validator(f: Field, path: str) -> Callable[[str], None] | None:
    rules = f.validate
    if rules is None:
        return None
    allow, deny = frozenset(rules.allow), frozenset(rules.deny)
    ip_versions = {"ipv4": (4,), "ipv6": (6,), "any": (4, 6)}

    def check(value: str) -> None:
        if allow and value not in allow:
            raise RecordError(f"{path}: {_describe(value)} is not one of the allowed values")
        if value in deny:
            raise RecordError(f"{path}: {_describe(value)} is a denied value")
        if rules.ip:
            try:
                if ipaddress.ip_address(value).version not in ip_versions[rules.ip]:
                    raise ValueError
            except ValueError:
                raise RecordError(f"{path}: {_describe(value)} is not an {rules.ip} address") from None
        if rules.cidr:
            try:
                if ipaddress.ip_network(value, strict=False).version not in ip_versions[rules.cidr]:
                    raise ValueError
            except ValueError:
                raise RecordError(f"{path}: {_describe(value)} is not an {rules.cidr} CIDR") from None

    return check


def _string_converter(f: Field, path: str) -> Converter:
    scanners = tuple(ind.get_scanner(name) for name in f.indicators)
    validate = _validator(f, path)
    if not scanners and validate is None:
        return _to_string

    def convert(value: Any, ctx: _Context) -> str:
        text = value if isinstance(value, str) else _to_string(value, ctx)
        if validate is not None:
            validate(text)
        if text:
            for scan in scanners:
                scan(text, ctx.found)
        return text

    return convert


# ---- containers ----------------------------------------------------------------------------------------------


def _path_getter(dotted: str) -> Callable[[dict[str, Any]], Any]:
    parts = tuple(dotted.split("."))

    def get(root: dict[str, Any]) -> Any:
        node: Any = root
        for part in parts:
            if not isinstance(node, dict):
                return None
            node = node.get(part)
        return node

    return get


def _transform_reader(t: Transform, name: str) -> Callable[[dict[str, Any], _Context], Any]:
    """Where a transformed field reads its raw value: its own object (rename, mask) or the record root."""
    if t.kind == "rename":
        key = t.source[0]
        return lambda obj, ctx: obj.get(key)
    if t.kind == "copy":
        get = _path_getter(t.source[0])
        return lambda obj, ctx: get(ctx.root)
    if t.kind == "concat":
        getters = [_path_getter(p) for p in t.source]
        sep = t.separator

        def concat(obj: dict[str, Any], ctx: _Context) -> Any:
            parts = [v for v in (g(ctx.root) for g in getters) if v is not None and v != ""]
            return sep.join(p if isinstance(p, str) else _to_string(p, ctx) for p in parts) if parts else None

        return concat
    if t.kind == "split":
        get = _path_getter(t.source[0])
        sep, index = t.separator, t.index

        def split(obj: dict[str, Any], ctx: _Context) -> Any:
            value = get(ctx.root)
            if not isinstance(value, str):
                return None
            parts = value.split(sep)
            return parts[index] if -len(parts) <= index < len(parts) else None

        return split
    # mask reads the field itself (or `from`) and hides it
    key = t.source[0] if t.source else name
    mask, salt = t.mask, t.salt.encode()

    def masked(obj: dict[str, Any], ctx: _Context) -> Any:
        value = obj.get(key)
        if value is None:
            return None
        text = value if isinstance(value, str) else _to_string(value, ctx)
        if mask == "redact":
            return "REDACTED"
        return hashlib.new(mask, salt + text.encode()).hexdigest()

    return masked


def _coerce_object(obj: Any, path: str) -> dict[str, Any]:
    """A value declared as an object that did not arrive as a dict: embedded JSON text, or an error."""
    if isinstance(obj, str) and obj.lstrip().startswith("{"):
        obj = _decode_embedded(obj, path or "record")
    if not isinstance(obj, dict):
        raise RecordError(f"{path or 'record'}: expected an object, got {type(obj).__name__}")
    return obj


def _add_extras(obj: dict[str, Any], declared: frozenset[str], ctx: _Context, rel: tuple[str, ...]) -> None:
    for key, value in obj.items():
        if key not in declared and value is not None:
            ctx.add_extra(rel, key, value)


def _rekey(obj: dict[str, Any], declared: frozenset[str], by_lower: dict[str, str]) -> dict[str, Any] | None:
    """The object with keys that differ from a declared field only in case renamed to the field's name (as
    Panther's JSON decoding matches them), or None when there is nothing to rename."""
    renamed = None
    for key in obj:
        if key not in declared:
            canonical = by_lower.get(key.lower())
            if canonical is not None and canonical not in obj:
                renamed = renamed or {}
                renamed[key] = canonical
    if renamed is None:
        return None
    return {renamed.get(key, key): value for key, value in obj.items()}


def _object_converter(fields: tuple[Field, ...], path: str, rel: tuple[str, ...]) -> Converter:
    """Generates straight-line Python for one object type: per record, each declared field costs a dict lookup
    and, for plain strings, a class check; only values that need work call a converter."""
    env: dict[str, Any] = {"_coerce_object": _coerce_object, "_add_extras": _add_extras, "_to_string": _to_string,
                           "_rekey": _rekey, "RecordError": RecordError}
    # A key that matches no field exactly may still match one ignoring case: only then (off the fast path) is
    # the object re-keyed and converted again.
    retry = "fixed = _rekey(obj, declared, by_lower)"
    declared: set[str] = set()
    body = ["def convert(obj, ctx):",
            "    if obj.__class__ is not dict:",
            f"        obj = _coerce_object(obj, {path!r})",
            "    out = {}",
            "    seen = 0"]
    for i, f in enumerate(fields):
        fpath = f"{path}.{f.name}" if path else f.name
        key = column_name(f.name)
        counts = f.transform is None or f.transform.kind in ("rename", "mask")  # reads a key of this object
        if f.transform is None or f.transform.kind == "mask":
            declared.add(f.name)
        if f.transform and f.transform.kind in ("rename", "mask") and f.transform.source:
            declared.add(f.transform.source[0])
        if f.transform is None:
            body.append(f"    v = obj.get({f.name!r})")
            if key != f.name:  # an already-normalized event (re-ingested, or a detection test) uses the column name
                declared.add(key)
                body.append(f"    if v is None: v = obj.get({key!r})")
        else:
            env[f"read{i}"] = _transform_reader(f.transform, f.name)
            body.append(f"    v = read{i}(obj, ctx)")
        env[f"missing{i}"] = f"{fpath}: {MISSING_REQUIRED}"
        body.append("    if v is not None:")
        if counts:
            body.append("        seen += 1")
        if f.type == "string" and f.validate is None:
            body.append("        if v.__class__ is not str:")
            body.append("            v = _to_string(v, ctx)")
            body.append(f"        out[{key!r}] = v")
            if f.indicators:  # scanners called inline: this runs for every indicator field of every event
                body.append("        if v:")
                for j, name in enumerate(f.indicators):
                    env[f"scan{i}_{j}"] = ind.get_scanner(name)
                    body.append(f"            scan{i}_{j}(v, ctx.found)")
        else:
            env[f"conv{i}"] = compile_field(f, fpath, rel + (f.name,))
            if f.type in ("json", "object", "array"):
                body.append('        v = None if v == "" else conv%d(v, ctx)' % i)
            else:
                body.append(f"        v = conv{i}(v, ctx)")
            body.append("        if v is not None:")
            body.append(f"            out[{key!r}] = v")
            if f.required:  # a wrong value, not a missing key: re-keying cannot help
                body.append("        else:")
                body.append(f"            raise RecordError(missing{i})")
        if f.required:
            body.append("    else:")
            body.append(f"        {retry}")
            body.append("        if fixed is not None: return convert(fixed, ctx)")
            body.append(f"        raise RecordError(missing{i})")
    env["declared"] = frozenset(declared)
    env["rel"] = rel
    env["by_lower"] = {name.lower(): name for name in sorted(declared, reverse=True)}
    body.append("    if len(obj) != seen:")
    body.append(f"        {retry}")
    body.append("        if fixed is not None: return convert(fixed, ctx)")
    body.append("        _add_extras(obj, declared, ctx, rel)")
    body.append("    return out" if not rel else "    return out or None  # an empty nested object is omitted")
    exec(compile("\n".join(body), f"<normalizer {path or 'record'}>", "exec"), env)  # noqa: S102
    return env["convert"]


def _array_converter(f: Field, path: str, rel: tuple[str, ...]) -> Converter:
    element = f.element or Field(name="", type="json")
    if f.indicators and not element.indicators:
        element = dataclasses.replace(element, indicators=f.indicators)
    convert_element = compile_field(element, f"{path}[]", rel)
    embedded = f.is_embedded_json or element.type != "string"

    def convert(value: Any, ctx: _Context) -> list[Any] | None:
        if isinstance(value, str) and embedded and value.lstrip().startswith("["):
            value = _decode_embedded(value, path)
        if not isinstance(value, list):
            value = [value]
        out = []
        for item in value:
            if item is None or (item == "" and element.type != "string"):
                continue
            converted = convert_element(item, ctx)
            if converted is not None:
                out.append(converted)
        return out or None

    return convert


def compile_field(f: Field, path: str, rel: tuple[str, ...] = ()) -> Converter:
    """The converter of one declared value."""
    convert = _compile_type(f, path, rel)
    if f.validate is None or f.type in ("string", "object", "array", "json"):
        return convert
    check = _validator(f, path)  # numbers and booleans are validated by their text ("3", "true")
    assert check is not None

    def validated(value: Any, ctx: _Context) -> Any:
        result = convert(value, ctx)
        if result is not None:
            check(_to_string(result, ctx))
        return result

    return validated


def _compile_type(f: Field, path: str, rel: tuple[str, ...]) -> Converter:
    if f.type == "string":
        return _string_converter(f, path)
    if f.type in _INT_RANGES:
        return _int_converter(f.type, path)
    if f.type == "float":
        return _float_converter(path)
    if f.type == "boolean":
        return _bool_converter(path)
    if f.type == "timestamp":
        return _timestamp_converter(f, path)
    if f.type == "json":
        return _json_converter(f, path)
    if f.type == "object":
        return _object_converter(f.fields, path, rel)
    if f.type == "array":
        return _array_converter(f, path, rel)
    raise ValueError(f"{path}: unsupported type {f.type}")


class Normalizer:
    """Turns parsed records of one log type into normalized events (plain dicts with the p_* fields)."""

    def __init__(self, schema: LogSchema):
        self.schema = schema
        self.log_type = schema.name
        self._convert = _object_converter(schema.fields, "", ())
        self.indicator_columns = ind.columns_for(schema.indicator_names())

    def normalize(self, record: dict[str, Any], *, parse_time: datetime, row_id: str,
                  source_id: str = "", source_label: str = "") -> dict[str, Any]:
        ctx = _Context(record, parse_time)
        event = self._convert(record, ctx)
        event["p_log_type"] = self.log_type
        event["p_row_id"] = row_id
        event["p_event_time"] = ctx.event_time or parse_time
        event["p_parse_time"] = parse_time
        if source_id:
            event["p_source_id"] = source_id
        if source_label:
            event["p_source_label"] = source_label
        if ctx.found:
            event.update(ind.finalize(ctx.found))
        if ctx.extra:
            event["p_extra"] = ctx.extra
        return event
