"""Render docs/schema.md from the models, so the documented schema cannot drift from the real one.

Regenerate with `python -m cxgap.store.schema_doc > docs/schema.md`; a test fails when they differ.
"""

from __future__ import annotations

import sqlalchemy as sa

from cxgap.store.models import (
    DATA_TABLES,
    DERIVED_TABLES,
    LOOP_TABLES,
    META_TABLES,
    SURVEY_TABLES,
    table_of,
)

INTRO = """# cxgap data schema

Generated from `src/cxgap/store/models.py` by `python -m cxgap.store.schema_doc`; a test keeps it in step.
Every import lands in one of these tables (see the README for mapping files). *Key* columns identify a
row: re-importing a row with a key already stored loads nothing (a response already stored is kept with
its item ratings; a new rating for it in the file is skipped with it; `on_existing = "replace"` replaces
the response and all its ratings). Where a source has no id, cxgap uses a content hash (`h...`) as the
key. cxgap checks every key when it imports: PostgreSQL with each table's primary key, DuckDB with one
writer per table at a time (its imported tables keep no key index, which grew with the store). Times
are stored without a time zone; values with an offset are converted to UTC on import. Ratings use the
scales shown; mapping files convert other scales.
"""


def _type_name(column: sa.Column[object]) -> str:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return "boolean"
    if isinstance(kind, sa.Integer):
        return "integer"
    if isinstance(kind, sa.Float | sa.Numeric):
        return "number"
    if isinstance(kind, sa.DateTime):
        return "timestamp"
    if isinstance(kind, sa.Date):
        return "date"
    if isinstance(kind, sa.Text):
        return "text"
    if isinstance(kind, sa.String):
        return f"text (≤ {kind.length})" if kind.length else "text"
    return str(kind).lower()


def _valid(column: sa.Column[object]) -> str:
    info = column.info
    if "allowed" in info:
        return " / ".join(f"`{v}`" for v in info["allowed"])
    if "min" in info:
        return f"{info['min']:g} to {info['max']:g}"
    return ""


DERIVED_INTRO = """# Derived tables

cxgap keeps these from the tables above, in the same transaction as every import (and after every schema
upgrade), so analyses read small summaries instead of every row. Nothing imports into them; read them freely.
"""

LOOP_INTRO = """# Closed-loop tables

The case workflow, the systemic issues that group its cases, their audit logs and the API's users; written
by `cxgap cases`, `cxgap issues`, `cxgap users` and the API, never by imports. `case_events` and
`issue_events` only grow (on PostgreSQL a trigger refuses UPDATE and DELETE); API tokens are kept as hashes.
"""

SURVEY_INTRO = """# Survey tables

The surveys cxgap hosts (`cxgap surveys`, the survey editor, the respondent pages at `/s/<token>`): their
versions, the contact list and opt-outs, every invitation (and every one not sent, with why), and each answer
as given. Answers also land in `responses`, `response_items` and `beliefs` through the import's validation,
redaction and case rules, pointing to the survey and version that was asked.
"""


def render() -> str:
    """The whole schema document as Markdown."""
    lines = [INTRO]
    for model in DATA_TABLES + META_TABLES + DERIVED_TABLES + LOOP_TABLES + SURVEY_TABLES:
        table = table_of(model.__tablename__)
        if model is DERIVED_TABLES[0]:
            lines.append(DERIVED_INTRO)
        if model is LOOP_TABLES[0]:
            lines.append(LOOP_INTRO)
        if model is SURVEY_TABLES[0]:
            lines.append(SURVEY_INTRO)
        lines.append(f"## {table.name}\n")
        if model.__doc__:
            lines.append(f"{' '.join(model.__doc__.split())}\n")
        lines.append("| column | type | required | valid values | meaning |")
        lines.append("|---|---|---|---|---|")
        for column in table.columns:
            required = "key" if column.primary_key else ("yes" if not column.nullable else "")
            lines.append(
                f"| `{column.name}` | {_type_name(column)} | {required} | {_valid(column)} | {column.comment or ''} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    sys.stdout.write(render())
