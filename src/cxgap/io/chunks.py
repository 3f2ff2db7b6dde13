"""Validate and load one chunk of raw rows (the row path): convert each mapped value, check keys, redact
free text, insert what is valid and quarantine the rest with every reason.

`Plan` resolves a mapping against a file's header; `Batch` holds one import's running state. The vectorised
path (io/vectorised.py) uses the same pieces for the rows it cannot judge in SQL, so both give the same
values, keys and reasons.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from cxgap.errors import ConfigError, InputFileError
from cxgap.io.convert import Converted, apply_meaning, blank_mask, convert_column, to_arrow
from cxgap.io.mapping import Mapping
from cxgap.io.personal import all_names_redactor, redactor_for
from cxgap.io.readers import RawChunk, SourceOptions, suggest_delimiter
from cxgap.io.redact import Redacted, Redactor
from cxgap.io.summary import Problem
from cxgap.store import delete_replaced, insert_new, insert_owned
from cxgap.store.models import table_of


class Plan:
    """The mapping resolved against one file's header: which source column feeds which schema column."""

    def __init__(self, mapping: Mapping, header: list[str], path: Path, options: SourceOptions) -> None:
        self.mapping = mapping
        self.table = table_of(mapping.table)
        self.sources: dict[str, str] = {}
        for column, spec in mapping.columns.items():
            source = mapping.source_for(column, header)
            if source is None:
                raise InputFileError(_missing_column(path, header, column, spec, mapping, options))
            self.sources[column] = source
        for column in mapping.optional_columns:
            if column not in self.sources and (source := mapping.source_for(column, header)):
                self.sources[column] = source
        for source in mapping.items:
            if source not in header:
                raise InputFileError(
                    _missing_column(path, header, "an item rating", source, mapping, options)
                )
        keys = [c.name for c in self.table.primary_key.columns]
        self.hash_key = keys[0] if len(keys) == 1 and keys[0] not in self.sources else None
        self.key_columns = keys
        for col in self.table.columns:
            provided = col.name in self.sources or col.name in mapping.constants or col.name == self.hash_key
            if not col.nullable and not provided and col.default is None and col.name != "batch_id":
                raise ConfigError(
                    f"The mapping gives no source for {mapping.table}.{col.name}, which every row needs; "
                    f"add it under [columns] (source column) or [constants] (one value for all rows)."
                )
        self.unused = [h for h in header if h not in self.sources.values() and h not in mapping.items]
        self.used = list(dict.fromkeys([*self.sources.values(), *mapping.items]))

    def needs_value(self, name: str) -> bool:
        """Whether a row left blank in the mapped column `name` is refused: every column the schema
        requires, except the key cxgap hashes itself and customers.churned, which a blank leaves to be
        derived from ended_at (as for a file without the column)."""
        column = self.table.columns[name]
        derived = self.mapping.table == "customers" and name == "churned"
        return not column.nullable and name != self.hash_key and not derived


def _missing_column(
    path: Path,
    header: list[str],
    column: str,
    spec: str | list[str],
    mapping: Mapping,
    options: SourceOptions,
) -> str:
    wanted = f"'{spec}'" if isinstance(spec, str) else " or ".join(f"'{s}'" for s in spec)
    if options.format == "csv" and (delimiter := suggest_delimiter(header, options.delimiter)):
        return (
            f"{path}: the header has a single column, so the file does not look '{options.delimiter}'-separated; "
            f"it seems to use '{delimiter}': set delimiter = \"{delimiter}\" in the mapping."
        )
    shown = ", ".join(header[:12]) + (" ..." if len(header) > 12 else "")
    target = f"{mapping.table}.{column}" if column != "an item rating" else column
    return f"{path} has no column {wanted} (mapped to {target}); its columns are: {shown}."


class Batch:
    """State of one import: running counts, keys seen, quarantine records."""

    def __init__(self, plan: Plan, unit: str, track_rows: bool = False) -> None:
        self.plan, self.unit, self.track_rows = plan, unit, track_rows
        self.loaded_keys: set[str] = set()  # with track_rows: what RowOutcomes reports
        self.item_keys: Counter[str] = Counter()
        self.quarantined: list[Problem] = []
        self.batch_id = uuid.uuid4().hex
        self.seen: dict[str, int] = {}
        self.hash_seen: dict[str, int] = {}
        self.summary_counts = {
            "read": 0,
            "loaded": 0,
            "replaced": 0,
            "existing": 0,
            "differing": 0,  # of the existing rows, those whose stored values differ
            "quarantined": 0,
            "items": 0,
            "lines_read": 0,
            "lines_skipped": 0,
            "lines_in_rows": 0,
        }
        self.problems: list[Problem] = []
        self.redactor = Redactor()  # patterns only, until a chunk brings the names it needs
        self.full_names = False  # whether the redactor knows every customer's name
        self.chunks_seen = 0
        self.authors: dict[str, str] = {}
        self.redacted: Counter[str] = Counter()

    def redact_raw(self, raw: str) -> str:
        """A quarantined row's raw text or reason, redacted too: refused rows are stored as well."""
        result = self.redactor.redact(raw)
        self.redacted.update(result.counts)
        return result.text

    def redact(self, frame: pd.DataFrame) -> None:
        """Replace PII in the frame's free-text columns, in place, counting what was redacted."""
        ids = frame["customer_id"].tolist() if "customer_id" in frame.columns else [None] * len(frame)
        for column in TEXT_COLUMNS.get(self.plan.mapping.table, ()):
            if column in frame.columns:
                redacted: list[Any] = self.redact_texts(frame[column].tolist(), ids)
                frame[column] = redacted

    def redact_texts(self, texts: list[object], ids: list[object]) -> list[Any]:
        """One free-text column redacted (values that are not text pass through); a text repeated by the
        same author (a contact reason, a stock phrase) is redacted once, and counted for every row."""
        authors = [self.authors.get(i) if isinstance(i, str) else None for i in ids]
        keys = [(t, a) for t, a in zip(texts, authors, strict=True)] if self.authors else texts
        codes, uniques = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
        pairs = [u if self.authors else (u, None) for u in uniques]
        occurrences = np.bincount(codes[codes >= 0], minlength=len(uniques))
        wanted = [n for n, (text, _) in enumerate(pairs) if isinstance(text, str)]
        redacted = self.redact_distinct(
            [pairs[n][0] for n in wanted],
            [pairs[n][1] for n in wanted],
            [int(occurrences[n]) for n in wanted],
        )
        results: list[object] = [text for text, _ in pairs]
        for n, text in zip(wanted, redacted, strict=True):
            results[n] = text
        return [results[code] if code >= 0 else texts[pos] for pos, code in enumerate(codes)]

    def redact_distinct(self, texts: list[str], authors: list[str | None], times: list[int]) -> list[str]:
        """Distinct (text, author) pairs redacted once each, their redactions counted `times` times."""
        out = []
        for text, author, count in zip(texts, authors, times, strict=True):
            result: Redacted = self.redactor.redact(text, author)
            self.redacted.update({kind: n * count for kind, n in result.counts.items()})
            out.append(result.text)
        return out

    def quarantine(self, conn: Connection, rows: list[Problem]) -> None:
        if not rows:
            return
        frame = pd.DataFrame(
            {
                "batch_id": self.batch_id,
                "source_row": [p.row for p in rows],
                "source_row_end": [p.end or p.row for p in rows],
                "column_name": [printable(p.column) for p in rows],
                "reason": [printable(p.reason) for p in rows],
                "raw": [printable(p.raw) for p in rows],
            }
        )
        insert_new(conn, "quarantine", to_arrow(frame, table_of("quarantine")))
        self.summary_counts["quarantined"] += len(rows)
        if self.track_rows:
            self.quarantined.extend(rows)
        self.problems.extend(rows[: max(0, 20 - len(self.problems))])


def printable(text: str | None) -> str | None:
    """Text the store can hold on every backend: a NUL byte is shown as \\0 (PostgreSQL refuses it)."""
    return text.replace("\x00", "\\0") if text else text


def unreadable_cells(plan: Plan, chunk: RawChunk, problems: dict[int, list[tuple[str | None, str]]]) -> None:
    """Values of mapped columns that are not text (nested JSON, bad bytes) or hold a NUL byte are problems."""
    for source in plan.used:
        for pos, reason in chunk.cell_problems.get(source, {}).items():
            problems.setdefault(pos, []).append((source, reason))
        for pos, value in enumerate(chunk.values[source]):
            if value and "\x00" in value:
                problems.setdefault(pos, []).append(
                    (source, "contains a NUL byte (\\0), which text in the store cannot hold")
                )  # the row is quarantined; its raw copy keeps the value, the NUL escaped by JSON


def convert_chunk(
    plan: Plan, chunk: RawChunk
) -> tuple[pd.DataFrame, dict[int, list[tuple[str | None, str]]]]:
    """Typed frame of the chunk's readable rows, and the problems of each row position."""
    mapping = plan.mapping
    problems: dict[int, list[tuple[str | None, str]]] = {}
    unreadable_cells(plan, chunk, problems)
    frame = pd.DataFrame(index=range(len(chunk.rows)))

    def note(source: str | None, converted: Converted) -> None:
        for pos, reason in converted.problems.items():
            problems.setdefault(pos, []).append((source, reason))

    for name, source in plan.sources.items():
        column = plan.table.columns[name]
        pre = Converted(values=pd.Series(chunk.values[source], dtype=object))
        raw = apply_meaning(mapping, name, pre)
        note(source, pre)
        converted = convert_column(
            raw,
            column,
            fmt=mapping.dates.get(name),
            scale=mapping.scales.get(name),
            factor=mapping.factors.get(name),
        )
        note(source, converted)
        frame[name] = converted.values.reset_index(drop=True)
        if plan.needs_value(name):
            for pos in blank_mask(raw).to_numpy().nonzero()[0]:
                if int(pos) not in converted.problems and int(pos) not in pre.problems:
                    problems.setdefault(int(pos), []).append(
                        (source, f"is empty; {mapping.table}.{name} needs a value")
                    )
    for name, values in constant_columns(plan, len(chunk.rows)).items():
        frame[name] = values
    if mapping.table == "customers":
        ended = frame["ended_at"].notna() if "ended_at" in frame else pd.Series(False, index=frame.index)
        frame["churned"] = frame["churned"].fillna(ended).astype(bool) if "churned" in frame else ended
    return frame, problems


def constant_columns(plan: Plan, rows: int) -> dict[str, pd.Series]:
    """The mapping's [constants] that no source column feeds, `rows` times each, in their columns' types; a
    constant that does not fit its column is one sentence naming it (ConfigError)."""
    mapping = plan.mapping
    columns: dict[str, pd.Series] = {}
    for name, value in mapping.constants.items():
        if name not in plan.sources:
            raw = pd.Series(
                [str(value).lower() if isinstance(value, bool) else str(value)] * rows, dtype=object
            )
            converted = convert_column(raw, plan.table.columns[name])
            if converted.problems:
                raise ConfigError(
                    f"constants.{name} = {value!r} does not fit {mapping.table}.{name}: {next(iter(converted.problems.values()))}."
                )
            columns[name] = converted.values.reset_index(drop=True)
    return columns


def item_frame(
    plan: Plan, chunk: RawChunk, problems: dict[int, list[tuple[str | None, str]]]
) -> pd.DataFrame:
    """Long-form item ratings (response position, item, measure value) of the chunk."""
    mapping = plan.mapping
    rating = table_of("response_items").columns["perception"]
    parts = []
    for source, spec in mapping.items.items():
        pre = Converted(values=pd.Series(chunk.values[source], dtype=object))
        raw = apply_meaning(mapping, source, pre, item=True)
        scale = mapping.item_scales.get(source, mapping.item_scale)
        converted = convert_column(raw, rating, scale=scale)
        for pos, reason in [*pre.problems.items(), *converted.problems.items()]:
            problems.setdefault(pos, []).append((source, reason))
        values = converted.values.reset_index(drop=True)
        keep = values.notna()
        parts.append(
            pd.DataFrame(
                {"pos": values.index[keep], "item": spec.item, "measure": spec.measure, "value": values[keep]}
            )
        )
    if not parts:
        return pd.DataFrame(columns=["pos", "item", "measure", "value"])
    return pd.concat(parts, ignore_index=True)


# responses.csat and responses.ces were whole numbers until migration 0013 made them exact (DOUBLE): a whole
# score is hashed as it was then ("4", not "4.0"), so a file imported before the upgrade is still recognised
WHOLE_BEFORE_0013 = frozenset({"csat", "ces"})


def as_whole_before(value: object) -> object:
    """A whole-number score as the integer it was hashed as before migration 0013; anything else as it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def content_keys(frame: pd.DataFrame, items: pd.DataFrame, batch: Batch) -> list[str]:
    """Stable content-hash keys; the n-th identical row in the file gets '#n'."""
    values = frame.drop(columns=[c for c in frame.columns if c == batch.plan.hash_key]).astype(object)
    for column in WHOLE_BEFORE_0013.intersection(values.columns):  # keys as they were hashed before
        values[column] = values[column].map(as_whole_before)
    rows = [["" if pd.isna(v) else str(v) for v in row] for row in values.to_numpy().tolist()]
    extra: dict[int, str] = {}
    if len(items):
        for pos, group in items.groupby("pos"):
            extra[int(str(pos))] = json.dumps(
                group[["item", "measure", "value"]].astype(str).to_numpy().tolist()
            )
    keys = []
    for pos, row in enumerate(rows):
        digest = hashlib.blake2b("\x1f".join(row + [extra.get(pos, "")]).encode(), digest_size=12).hexdigest()
        count = batch.hash_seen.get(digest, 0) + 1
        batch.hash_seen[digest] = count
        keys.append(f"h{digest}" if count == 1 else f"h{digest}#{count}")
    return keys


def duplicate_keys(
    frame: pd.DataFrame, rows: list[int], batch: Batch, problems: dict[int, list[tuple[str | None, str]]]
) -> None:
    """Rows whose source key repeats an earlier row of the same file are problems (which one is right?)."""
    names = batch.plan.key_columns
    keys = (
        frame[names].astype(str).agg("\x1f".join, axis=1) if len(names) > 1 else frame[names[0]].astype(str)
    )
    keys = keys.reset_index(drop=True)
    usable = ~keys.index.isin(list(problems))
    candidates = keys[usable]
    numbers = pd.Series(rows, dtype="int64")[usable]
    earlier = np.fromiter((key in batch.seen for key in candidates), dtype=bool, count=len(candidates))
    repeated = earlier | candidates.duplicated(keep="first").to_numpy()
    fresh = ~repeated
    batch.seen.update(zip(candidates[fresh], numbers[fresh], strict=True))
    label = ", ".join(names)
    for pos in np.flatnonzero(repeated):
        index = int(candidates.index[int(pos)])
        key = candidates.iloc[pos]
        first = batch.seen[key]
        shown = key.replace(chr(31), ", ")
        problems.setdefault(index, []).append(
            (None, f"repeats the {label} {shown!r} of {batch.unit} {first}")
        )


TEXT_COLUMNS = {"feedback": ("text", "title"), "responses": ("comment",), "interactions": ("reason",)}
"""Free text a customer or an agent wrote: redacted before it is stored."""


SMALL_CHUNK = 1_000  # rows; a chunk this small looks up the names it mentions instead of loading all


def prepare_redactor(conn: Connection, batch: Batch, chunk: RawChunk, refused: Iterable[int]) -> None:
    """Give the batch the redactor this chunk needs (nothing for tables without free text): for a file
    without free text, the names this chunk's `refused` rows (stored raw in quarantine) could contain; for a
    small chunk, the names its free text and refused rows could contain; else every customer's name."""
    plan = batch.plan
    if plan.mapping.table not in TEXT_COLUMNS or batch.full_names:
        return
    texts = [plan.sources[c] for c in TEXT_COLUMNS[plan.mapping.table] if c in plan.sources]
    if not texts:  # no free text is loaded: only this chunk's refused rows (kept raw) could hold a name
        if strings := _kept_raw(chunk, refused):
            batch.redactor, batch.authors = redactor_for(conn, strings)
        batch.chunks_seen += 1
        return
    if chunk.size <= SMALL_CHUNK and batch.chunks_seen == 0:
        strings = [v for source in texts for v in chunk.values[source] if isinstance(v, str)]
        strings += _kept_raw(chunk, refused)
        ids = chunk.values[plan.sources["customer_id"]] if "customer_id" in plan.sources else []
        if strings:  # else no text to hold a name: the patterns alone
            batch.redactor, batch.authors = redactor_for(
                conn, strings, [i for i in ids if isinstance(i, str)]
            )
    else:
        batch.redactor, batch.authors = all_names_redactor(conn)
        batch.full_names = True
    batch.chunks_seen += 1


def _kept_raw(chunk: RawChunk, refused: Iterable[int]) -> list[str]:
    """The texts of this chunk that quarantine keeps raw: its `refused` rows' values and the rows the
    reader already refused."""
    strings = [v for pos in refused for column in chunk.values.values() if isinstance(v := column[pos], str)]
    return strings + [p.raw for p in chunk.problems if p.raw]


def load_chunk(conn: Connection, batch: Batch, chunk: RawChunk) -> None:
    plan = batch.plan
    frame, problems = convert_chunk(plan, chunk)
    items = item_frame(plan, chunk, problems) if plan.mapping.items else pd.DataFrame()
    if plan.hash_key:
        frame[plan.hash_key] = content_keys(frame, items, batch)
    duplicate_keys(frame, chunk.rows, batch, problems)
    prepare_redactor(conn, batch, chunk, problems)
    bad = sorted(problems)
    quarantined = [
        Problem(
            row=chunk.rows[pos],
            end=chunk.ends[pos] if pos < len(chunk.ends) else chunk.rows[pos],
            column=problems[pos][0][0],
            reason=batch.redact_raw("; ".join(f"column '{c}': {r}" if c else r for c, r in problems[pos])),
            raw=batch.redact_raw(
                json.dumps({k: v[pos] for k, v in chunk.values.items()}, ensure_ascii=False, default=str)
            )[:100_000],
        )
        for pos in bad
    ]
    quarantined += [
        Problem(
            row=p.row,
            end=p.last,
            column=None,
            reason=batch.redact_raw(p.reason),
            raw=batch.redact_raw(p.raw)[:100_000] if p.raw else None,
        )
        for p in chunk.problems
    ]
    quarantined.sort(key=lambda p: p.row)
    good = frame.drop(index=bad)
    batch.redact(good)
    good["batch_id"] = batch.batch_id
    counts = insert_new(
        conn,
        plan.mapping.table,
        to_arrow(good, plan.table),
        replace_existing=plan.mapping.on_existing == "replace",
        keys=batch.track_rows,
        compare=True,
    )
    batch.loaded_keys.update(str(key[0]) for key in counts.keys)
    batch.summary_counts["loaded"] += counts.new + counts.replaced
    batch.summary_counts["replaced"] += counts.replaced
    batch.summary_counts["existing"] += counts.existing - counts.replaced
    batch.summary_counts["differing"] += counts.differing
    if counts.replaced and plan.mapping.items:  # a replaced response's ratings go with it
        delete_replaced(conn, "response_items", owner="responses", key="response_id", batch_id=batch.batch_id)
    if len(items):
        items = items[~items["pos"].isin(bad)]
        long = items.pivot_table(
            index=["pos", "item"], columns="measure", values="value", aggfunc="first"
        ).reset_index()
        long.insert(0, "response_id", frame[plan.key_columns[0]].to_numpy()[long["pos"].to_numpy()])
        long = long.drop(columns="pos")
        long.columns.name = None
        long["batch_id"] = batch.batch_id
        item_counts = insert_owned(
            conn,
            "response_items",
            to_arrow(long, table_of("response_items")),
            owner="responses",
            key="response_id",
            batch_id=batch.batch_id,
            keys=batch.track_rows,
        )
        batch.summary_counts["items"] += item_counts.new
        batch.item_keys.update(str(key[0]) for key in item_counts.keys)
    batch.quarantine(conn, quarantined)
    batch.summary_counts["read"] += chunk.size
    batch.summary_counts["lines_read"] = chunk.lines_read
    batch.summary_counts["lines_skipped"] += chunk.skipped_lines
    batch.summary_counts["lines_in_rows"] += chunk.lines_in_rows
