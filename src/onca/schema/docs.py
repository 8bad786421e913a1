"""The reference page of every registered log type (docs/logtypes.md), generated from the registry."""

from __future__ import annotations

from onca.schema.names import column_name
from onca.schema.registry import Registry, table_name


def _type_text(f) -> str:
    if f.type == "array" and f.element is not None:
        return f"array<{_type_text(f.element)}>"
    return f.type


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_markdown(registry: Registry) -> str:
    lines = ["# Built-in log types", "",
             "Generated from the registry by `onca logtypes --markdown`; do not edit by hand.", "",
             f"{len(registry)} log types.", ""]
    families: dict[str, list[str]] = {}
    for name in registry.names():
        families.setdefault(name.split(".")[0], []).append(name)
    lines.append(" · ".join(f"[{fam}](#{fam.lower()})" for fam in families))
    lines.append("")
    for family, names in families.items():
        lines += [f"## {family}", ""]
        for name in names:
            schema = registry.get(name)
            parser = schema.parser.kind if schema.parser else "json"
            lines += [f"### {name}", "", _cell(schema.description) or "", "",
                      f"Table `panther_logs.{table_name(name)}` · parser `{parser}`"
                      + (f" · [reference]({schema.reference_url})" if schema.reference_url else ""), "",
                      "| column | type | required | indicators | description |",
                      "|---|---|---|---|---|"]
            for path, f in schema.walk():
                column = ".".join(column_name(p) for p in path.split("."))
                flags = " (event time)" if f.is_event_time else ""
                lines.append(f"| `{column}` | {_type_text(f)}{flags} | {'yes' if f.required else ''} | "
                             f"{', '.join(f.indicators)} | {_cell(f.description)} |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
