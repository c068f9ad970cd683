#!/usr/bin/env python3
"""Checks that SQL statements parse in their engine's dialect with sqlglot (an independent check of the SQL kith
emits, ../shared/spec/warehouses.md). Run with the project's environment: `.venv/bin/python scripts/sqlglot_check.py`.

Reads JSON lines on stdin, one statement each:
    {"dialect": "spark", "sql": "SELECT `a` FROM `t`", "where": "src/x.cpp:12 or any label"}
("where" is optional; dialect is a sqlglot dialect name: spark, databricks, redshift, snowflake, bigquery,
postgres, duckdb, ...). Each statement is parsed with sqlglot.parse(sql, read=dialect, error_level=RAISE); a
statement is rejected when sqlglot raises, when it yields no statement, or when sqlglot could only keep it as an
opaque command (exp.Command: text it did not understand, kept as is). Prints one line per rejected statement on
stdout, `WHERE: [dialect] message`, then `sqlglot_check: N statements checked, M rejected (sqlglot X)`.
Exit status: 0 when every statement parsed, 1 when one was rejected, 2 on unusable input.
"""
import json
import re
import sys

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect


def plain(e):
    """An error's text on one line, without the terminal underlining sqlglot puts around the culprit."""
    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", str(e)).split())


def check(dialect, sql):
    """None when sql parses in dialect, else sqlglot's message."""
    try:
        Dialect.get_or_raise(dialect)
    except Exception as e:  # an unknown dialect name
        return "unknown dialect: %s" % e
    try:
        trees = sqlglot.parse(sql, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.ParseError as e:
        parts = []
        for err in e.errors or []:
            near = err.get("highlight")
            parts.append("line %s col %s: %s%s" % (err.get("line"), err.get("col"), err.get("description"),
                                                   " (at %r)" % near if near else ""))
        return "; ".join(parts) if parts else plain(e)
    except sqlglot.errors.SqlglotError as e:
        return plain(e)
    trees = [t for t in trees if t is not None]
    if not trees:
        return "no statement"
    for t in trees:
        if isinstance(t, exp.Command):
            return "not understood, kept as an opaque command: %s" % " ".join(t.sql(dialect=dialect).split())[:200]
    return None


def main():
    checked = rejected = 0
    for n, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            dialect, sql = item["dialect"], item["sql"]
            if not isinstance(dialect, str) or not isinstance(sql, str):
                raise ValueError("dialect and sql must be strings")
        except (ValueError, KeyError, TypeError) as e:
            print("sqlglot_check: stdin line %d: not a {\"dialect\", \"sql\", \"where\"} JSON object: %s" % (n, e),
                  file=sys.stderr)
            return 2
        where = str(item.get("where") or "stdin line %d" % n)
        checked += 1
        message = check(dialect, sql)
        if message is not None:
            rejected += 1
            print("%s: [%s] %s" % (where, dialect, message))
    print("sqlglot_check: %d statements checked, %d rejected (sqlglot %s)" % (checked, rejected, sqlglot.__version__))
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())
