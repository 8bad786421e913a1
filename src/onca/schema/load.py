"""Reading log schema YAML into `LogSchema` models, reporting every problem with its path.

Validation collects all problems of a document instead of stopping at the first, so that `onca schema validate`
can show a schema author everything to fix in one go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from onca.yaml12 import describe_yaml_error, load_yaml_documents

from onca.schema.model import (
    CONTAINER_TYPES,
    PARSER_KINDS,
    VALUE_TYPES,
    Field,
    LogSchema,
    ParserSpec,
    Transform,
    Validation,
)

NAME_PATTERN = re.compile(r"^[A-Z][A-Za-z0-9_]*(\.[A-Z0-9][A-Za-z0-9_]*)+$")
TOP_KEYS = {"schema", "version", "description", "referenceURL", "parser", "fields", "definitions"}
FIELD_KEYS = {
    "name", "type", "required", "description", "fields", "element", "indicators", "timeFormat", "timeFormats",
    "isEventTime", "isExpiration", "isEmbeddedJSON", "validate", "target",
    "rename", "copy", "concat", "split", "mask",
}
ELEMENT_KEYS = FIELD_KEYS - {"name", "required", "isEventTime", "isExpiration", "rename", "copy", "concat",
                             "split", "mask"}
TRANSFORM_KEYS = ("rename", "copy", "concat", "split", "mask")
MASK_KINDS = {"redact", "md5", "sha1", "sha256"}
IP_KINDS = {"ipv4", "ipv6", "any"}
KNOWN_INDICATORS = frozenset({
    "ip", "domain", "hostname", "url", "net_addr", "md5", "sha1", "sha256", "trace_id", "username", "email",
    "aws_arn", "aws_arn_only", "aws_account_id", "aws_instance_id", "aws_tag", "mac", "actor_id",
})


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SchemaError(ValueError):
    """A schema document that cannot be used; `problems` lists every issue found, each with its path."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"invalid schema {source}:\n{lines}")


def read_documents(text: str, source: str = "<string>") -> list[dict[str, Any]]:
    """The YAML documents of a schema file (several may be separated by `---`)."""
    try:
        docs = [d for d in load_yaml_documents(text) if d is not None]
    except yaml.YAMLError as exc:
        raise SchemaError(source, [Problem("", f"not valid YAML: {describe_yaml_error(exc)}")]) from None
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict):
            raise SchemaError(source, [Problem(f"document {i}", "a schema must be a mapping")])
    return docs


def load_schemas(text: str, source: str = "<string>") -> list[LogSchema]:
    """Every schema in a YAML text; raises SchemaError listing all problems of the first bad document."""
    schemas = []
    for doc in read_documents(text, source):
        builder = _Builder(doc.get("definitions") or {})
        schema = builder.schema(doc, source)
        if builder.problems:
            raise SchemaError(source, builder.problems)
        schemas.append(schema)
    return schemas


def load_schema_file(path: Path | str) -> list[LogSchema]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(str(path), [Problem("", f"cannot read: {exc}")]) from None
    return load_schemas(text, str(path))


def validate_text(text: str, source: str = "<string>") -> list[Problem]:
    """All problems in a schema text (empty when it is valid)."""
    try:
        docs = read_documents(text, source)
    except SchemaError as exc:
        return exc.problems
    problems: list[Problem] = []
    for i, doc in enumerate(docs):
        builder = _Builder(doc.get("definitions") or {})
        builder.schema(doc, source)
        prefix = f"document {i}: " if len(docs) > 1 else ""
        problems.extend(Problem(prefix + p.path, p.message) for p in builder.problems)
    return problems


class _Builder:
    """Turns one YAML document into a LogSchema, collecting problems rather than raising."""

    def __init__(self, definitions: Any):
        self.problems: list[Problem] = []
        self.definitions = definitions if isinstance(definitions, dict) else {}
        if not isinstance(definitions, dict):
            self.problem("definitions", "must be a mapping of names to type specs")
        self._resolving: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def schema(self, doc: dict[str, Any], source: str) -> LogSchema:
        for key in doc:
            if key not in TOP_KEYS:
                self.problem(str(key), f"unknown key (expected one of {', '.join(sorted(TOP_KEYS))})")
        name = doc.get("schema")
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            self.problem("schema", f"must be a dotted name like Custom.MyLogs, got {name!r}")
            name = str(name)
        fields = self.field_list(doc.get("fields"), "fields", top_level=True)
        parser = self.parser(doc.get("parser"))
        if parser is not None and parser.kind == "csv" and not parser.config.get("columns") \
                and not parser.config.get("hasHeader"):
            self.problem("parser.csv", "needs either `columns` or `hasHeader: true`")
        return LogSchema(
            name=name,
            fields=tuple(fields),
            description=str(doc.get("description") or ""),
            reference_url=str(doc.get("referenceURL") or ""),
            parser=parser,
            source=source,
        )

    def parser(self, spec: Any) -> ParserSpec | None:
        if spec is None:
            return None
        if not isinstance(spec, dict) or len(spec) != 1:
            self.problem("parser", f"must hold exactly one of {', '.join(PARSER_KINDS)}")
            return None
        kind, config = next(iter(spec.items()))
        if kind == "native":
            self.problem("parser.native", "native parsers are not part of the schema language; use "
                                          "fastmatch, regex, csv or script")
            return None
        if kind not in PARSER_KINDS:
            self.problem(f"parser.{kind}", f"unknown parser (expected one of {', '.join(PARSER_KINDS)})")
            return None
        if not isinstance(config, dict):
            self.problem(f"parser.{kind}", "must be a mapping of options")
            return None
        if kind in ("fastmatch", "regex") and not config.get("match"):
            self.problem(f"parser.{kind}.match", "at least one pattern is required")
        if kind == "script" and not isinstance(config.get("function"), str):
            self.problem("parser.script.function", "must be the Starlark source of a parse(log) function")
        return ParserSpec(kind=kind, config=dict(config))

    def field_list(self, items: Any, path: str, *, top_level: bool = False) -> list[Field]:
        if not isinstance(items, list) or not items:
            self.problem(path, "must be a non-empty list of fields")
            return []
        fields, seen = [], set()
        for i, item in enumerate(items):
            where = f"{path}[{i}]"
            if not isinstance(item, dict):
                self.problem(where, "a field must be a mapping")
                continue
            name = item.get("name")
            if not isinstance(name, str) or not name:
                self.problem(f"{where}.name", "is required and must be a non-empty string")
                continue
            where = f"{path}.{name}" if top_level or path else name
            if name in seen:
                self.problem(where, "duplicate field name")
            seen.add(name)
            f = self.field(item, where, name=name, keys=FIELD_KEYS)
            if f is not None:
                fields.append(f)
        return fields

    def field(self, spec: dict[str, Any], path: str, *, name: str, keys: set[str]) -> Field | None:
        for key in spec:
            if key not in keys:
                self.problem(f"{path}.{key}", "unknown key")
        ftype = spec.get("type")
        if ftype is None and any(k in spec for k in TRANSFORM_KEYS):
            ftype = "string"
        if ftype == "ref":
            ftype = spec.get("target")
        if not isinstance(ftype, str):
            self.problem(f"{path}.type", f"is required (one of {', '.join(sorted(VALUE_TYPES))})")
            return None
        if ftype not in VALUE_TYPES:
            return self.reference(ftype, spec, path, name)
        children: tuple[Field, ...] = ()
        element = None
        if ftype == "object":
            children = tuple(self.field_list(spec.get("fields"), f"{path}.fields"))
        elif "fields" in spec:
            self.problem(f"{path}.fields", f"only objects have fields, this is {ftype}")
        if ftype == "array":
            element = self.element(spec.get("element"), f"{path}.element")
        elif "element" in spec:
            self.problem(f"{path}.element", f"only arrays have an element, this is {ftype}")
        return Field(
            name=name,
            type=ftype,
            required=self.flag(spec, "required", path),
            description=str(spec.get("description") or ""),
            fields=children,
            element=element,
            indicators=self.indicators(spec.get("indicators"), path, ftype),
            time_formats=self.time_formats(spec, path, ftype),
            is_event_time=self.flag(spec, "isEventTime", path, only_for="timestamp", ftype=ftype),
            is_expiration=self.flag(spec, "isExpiration", path, only_for="timestamp", ftype=ftype),
            is_embedded_json=self.flag(spec, "isEmbeddedJSON", path),
            validate=self.validation(spec.get("validate"), path),
            transform=self.transform(spec, path),
        )

    def reference(self, target: str, spec: dict[str, Any], path: str, name: str) -> Field | None:
        if target not in self.definitions:
            self.problem(f"{path}.type", f"unknown type {target!r} (not a type and not in definitions)")
            return None
        if target in self._resolving:
            self.problem(f"{path}.type", f"definition {target!r} refers to itself")
            return None
        self._resolving.append(target)
        try:
            definition = self.definitions[target]
            if isinstance(definition, list):  # a bare list of fields is an object definition
                definition = {"type": "object", "fields": definition}
            if not isinstance(definition, dict):
                self.problem(f"definitions.{target}", "must be a type spec or a list of fields")
                return None
            merged = {**definition, **{k: v for k, v in spec.items() if k not in ("type", "target")}}
            return self.field(merged, path, name=name, keys=FIELD_KEYS)
        finally:
            self._resolving.pop()

    def element(self, spec: Any, path: str) -> Field | None:
        if isinstance(spec, str):
            spec = {"type": spec}
        if not isinstance(spec, dict):
            self.problem(path, "an array needs an element type spec")
            return None
        return self.field(spec, path, name="", keys=ELEMENT_KEYS)

    def flag(self, spec: dict[str, Any], key: str, path: str, *, only_for: str = "", ftype: str = "") -> bool:
        value = spec.get(key, False)
        if not isinstance(value, bool):
            self.problem(f"{path}.{key}", f"must be true or false, got {value!r}")
            return False
        if value and only_for and ftype != only_for:
            self.problem(f"{path}.{key}", f"only applies to {only_for} fields, this is {ftype}")
        return value

    def indicators(self, value: Any, path: str, ftype: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(f"{path}.indicators", "must be a list of indicator names")
            return ()
        for v in value:
            if v not in KNOWN_INDICATORS:
                self.problem(f"{path}.indicators", f"unknown indicator {v!r} "
                                                   f"(known: {', '.join(sorted(KNOWN_INDICATORS))})")
        if ftype in CONTAINER_TYPES - {"array"} or ftype in ("boolean", "timestamp"):
            self.problem(f"{path}.indicators", f"indicators apply to string values, this is {ftype}")
        return tuple(value)

    def time_formats(self, spec: dict[str, Any], path: str, ftype: str) -> tuple[str, ...]:
        formats: list[Any] = []
        if "timeFormat" in spec:
            formats.append(spec["timeFormat"])
        if "timeFormats" in spec:
            more = spec["timeFormats"]
            if not isinstance(more, list):
                self.problem(f"{path}.timeFormats", "must be a list")
            else:
                formats.extend(more)
        if formats and ftype != "timestamp":
            self.problem(f"{path}.timeFormat", f"only timestamps have a time format, this is {ftype}")
        for fmt in formats:
            if not isinstance(fmt, str) or not fmt:
                self.problem(f"{path}.timeFormat", f"must be a non-empty string, got {fmt!r}")
        return tuple(f for f in formats if isinstance(f, str) and f)

    def validation(self, spec: Any, path: str) -> Validation | None:
        if spec is None:
            return None
        if not isinstance(spec, dict):
            self.problem(f"{path}.validate", "must be a mapping")
            return None
        for key in spec:
            if key not in ("allow", "deny", "ip", "cidr"):
                self.problem(f"{path}.validate.{key}", "unknown rule (allow, deny, ip, cidr)")
        lists = {}
        for key in ("allow", "deny"):
            values = spec.get(key, [])
            if not isinstance(values, list):
                self.problem(f"{path}.validate.{key}", "must be a list of values")
                values = []
            lists[key] = tuple(str(v) for v in values)
        kinds = {}
        for key in ("ip", "cidr"):
            kind = spec.get(key)
            if kind is True:
                kind = "any"
            if kind is not None and kind not in IP_KINDS:
                self.problem(f"{path}.validate.{key}", f"must be one of ipv4, ipv6, any; got {kind!r}")
                kind = None
            kinds[key] = kind
        return Validation(allow=lists["allow"], deny=lists["deny"], ip=kinds["ip"], cidr=kinds["cidr"])

    def transform(self, spec: dict[str, Any], path: str) -> Transform | None:
        present = [k for k in TRANSFORM_KEYS if k in spec]
        if not present:
            return None
        if len(present) > 1:
            self.problem(path, f"at most one transformation per field, got {', '.join(present)}")
        kind = present[0]
        body = spec[kind]
        where = f"{path}.{kind}"
        if not isinstance(body, dict):
            self.problem(where, "must be a mapping")
            return None
        if kind == "concat":
            paths = body.get("paths")
            if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
                self.problem(f"{where}.paths", "must be a non-empty list of field paths")
                return None
            return Transform(kind, tuple(paths), separator=str(body.get("separator", "")))
        source = body.get("from")
        if kind == "mask":
            mask = body.get("type", "redact")
            if mask not in MASK_KINDS:
                self.problem(f"{where}.type", f"must be one of {', '.join(sorted(MASK_KINDS))}")
            return Transform(kind, (source,) if isinstance(source, str) else (), mask=str(mask),
                             salt=str(body.get("salt", "")))
        if not isinstance(source, str) or not source:
            self.problem(f"{where}.from", "is required: the key or path to read")
            return None
        if kind == "split":
            sep = body.get("separator")
            index = body.get("index", 0)
            if not isinstance(sep, str) or not sep:
                self.problem(f"{where}.separator", "is required")
                sep = ","
            if not isinstance(index, int) or isinstance(index, bool):
                self.problem(f"{where}.index", "must be an integer")
                index = 0
            return Transform(kind, (source,), separator=sep, index=index)
        return Transform(kind, (source,))
