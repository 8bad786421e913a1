"""The log schema language: models, loading with validation, and the registry of log types."""

from onca.schema.load import Problem, SchemaError, load_schema_file, load_schemas, validate_text
from onca.schema.model import Field, LogSchema, ParserSpec, Transform, Validation
from onca.schema.registry import Registry, UnknownLogType, builtin_schemas, table_name

__all__ = [
    "Field", "LogSchema", "ParserSpec", "Problem", "Registry", "SchemaError", "Transform", "UnknownLogType",
    "Validation", "builtin_schemas", "load_schema_file", "load_schemas", "table_name", "validate_text",
]
