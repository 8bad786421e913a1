"""A columnar path for CloudTrail (DuckDB reads the gzip NDJSON and writes Parquet) against Onca's pipeline, on
one core, in the same run.

No Python object is built per event on the columnar path, so it shows what skipping them would buy. Two forms:

- lossy: `read_json` with CloudTrail's declared columns. Keys the schema does not declare are dropped, which Onca
  never does (they go to `p_extra`).
- closer to what Onca keeps: each line read as JSON, the declared fields taken out with `json_transform`, the
  undeclared top-level keys kept as `p_extra`, and every declared scalar outside arrays checked per row (its value
  as text against its value as the declared type), so that a value of the wrong type flags its row, as Onca
  rejects such a record with a reason, instead of silently becoming NULL.

Neither computes indicators, keeps undeclared nested keys, matches keys ignoring case or makes row ids, so both
are upper bounds for a columnar path.

    python benchmarks/columnar.py [--events 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import duckdb
import orjson

sys.path.insert(0, str(Path(__file__).parent))
from cloudtrail_gen import write_file  # noqa: E402
from ingest import pin_one_core, run_onca, timed  # noqa: E402

from onca.schema import Registry  # noqa: E402
from onca.schema.model import Field  # noqa: E402

SCALARS = {"string": "VARCHAR", "smallint": "SMALLINT", "int": "INTEGER", "bigint": "BIGINT", "float": "DOUBLE",
           "boolean": "BOOLEAN", "timestamp": "TIMESTAMPTZ", "json": "JSON"}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_type(f: Field) -> str:
    if f.type == "object":
        return "STRUCT(" + ", ".join(f"{_quote(c.name)} {sql_type(c)}" for c in f.fields) + ")"
    if f.type == "array":
        return sql_type(f.element) + "[]"  # type: ignore[arg-type]
    return SCALARS[f.type]


def structure(f: Field, *, as_text: bool = False) -> object:
    """The shape json_transform takes: nested objects and lists of type names (every scalar VARCHAR as_text)."""
    if f.type == "object":
        return {c.name: structure(c, as_text=as_text) for c in f.fields}
    if f.type == "array":
        return [structure(f.element, as_text=as_text)]  # type: ignore[arg-type]
    return "VARCHAR" if as_text and f.type != "json" else SCALARS[f.type]


def scalar_paths(fields: tuple[Field, ...], path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for f in fields:
        if f.type == "object":
            out += scalar_paths(f.fields, (*path, f.name))
        elif f.type not in ("array", "json"):
            out.append((*path, f.name))
    return out


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lossy_sql(fields: tuple[Field, ...], source: Path, target: Path) -> str:
    columns = "{" + ", ".join(f"{_literal(f.name)}: {_literal(sql_type(f))}" for f in fields) + "}"
    return (f"COPY (SELECT *, 'AWS.CloudTrail' AS p_log_type, now() AS p_parse_time "
            f"FROM read_json({_literal(str(source))}, format='newline_delimited', columns={columns})) "
            f"TO {_literal(str(target))} (FORMAT parquet, COMPRESSION zstd)")


def keeping_sql(fields: tuple[Field, ...], source: Path, target: Path) -> str:
    shape = orjson.dumps({f.name: structure(f) for f in fields}).decode()
    text_shape = orjson.dumps({f.name: structure(f, as_text=True) for f in fields}).decode()
    declared = "[" + ", ".join(_literal(f.name) for f in fields) + "]"
    # a value that is there as text but not as its declared type did not fit
    checks = " OR ".join(f"(s.{p} IS NOT NULL AND r.{p} IS NULL)"
                         for p in (".".join(_quote(n) for n in path) for path in scalar_paths(fields)))
    return f"""COPY (
        WITH t AS (
            SELECT j, json_transform(j, {_literal(shape)}) AS r, json_transform(j, {_literal(text_shape)}) AS s,
                   list_filter(json_keys(j), lambda k: NOT list_contains({declared}, k)) AS unknown
            FROM (SELECT json AS j FROM read_ndjson_objects({_literal(str(source))})))
        SELECT unnest(r), 'AWS.CloudTrail' AS p_log_type, now() AS p_parse_time,
               CASE WHEN len(unknown) > 0 THEN to_json(map_from_entries(list_transform(unknown,
                   lambda k: struct_pack(k := k, v := j -> ('$."' || k || '"'))))) END AS p_extra,
               ({checks}) AS p_type_mismatch
        FROM t) TO {_literal(str(target))} (FORMAT parquet, COMPRESSION zstd)"""


def run_sql(sql: str) -> int:
    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.execute(sql)
    return con.fetchone()[0]  # COPY returns the number of rows written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    pin_one_core()
    fields = Registry.builtin().get("AWS.CloudTrail").fields
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        data = tmp_path / "cloudtrail.json.gz"
        write_file(data, args.events)
        n_onca, t_onca = timed(run_onca, data, tmp_path / "onca")
        n_lossy, t_lossy = timed(run_sql, lossy_sql(fields, data, tmp_path / "lossy.parquet"))
        n_keep, t_keep = timed(run_sql, keeping_sql(fields, data, tmp_path / "keeping.parquet"))
        assert n_onca == n_lossy == n_keep == args.events, (n_onca, n_lossy, n_keep)
        rate_onca = n_onca / t_onca
        print(f"{args.events:,} CloudTrail events, one core")
        print(f"onca pipeline (baseline):                          {rate_onca:>10,.0f} events per CPU-second")
        for label, rate in (("columnar, lossy (undeclared keys dropped):       ", n_lossy / t_lossy),
                            ("columnar, keeping p_extra, checking types:      ", n_keep / t_keep)):
            print(f"{label}  {rate:>10,.0f} events per CPU-second ({rate / rate_onca:.1f}x)")


if __name__ == "__main__":
    main()
