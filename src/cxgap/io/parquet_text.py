"""Parquet columns as text, one validation path for every format: what cannot be text is a per-value
problem (bytes that are not UTF-8, a list or a structure where one value belongs), never a crash."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def _nested_kind(kind: pa.DataType) -> str | None:
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return "a list"
    if pa.types.is_struct(kind) or pa.types.is_map(kind) or pa.types.is_union(kind):
        return "a structure"
    return None


def _flag(column: pa.Array, problems: dict[int, str], reason: str) -> list[str | None]:
    """Every non-null value is a problem; the column reads as empty."""
    for pos, valid in enumerate(column.is_valid().to_pylist()):
        if valid:
            problems[pos] = reason
    return [None] * len(column)


def _decoded(column: pa.Array, problems: dict[int, str]) -> list[str | None]:
    """Binary values decoded as UTF-8; bytes that are not UTF-8 are problems."""
    out: list[str | None] = []
    for pos, value in enumerate(column.to_pylist()):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(bytes(value).decode("utf-8"))
        except UnicodeDecodeError as error:
            problems[pos] = (
                f"is not valid UTF-8 text (byte 0x{bytes(value)[error.start : error.start + 1].hex()})"
            )
            out.append(None)
    return out


def parquet_text(column: pa.Array | pa.ChunkedArray, problems: dict[int, str]) -> list[str | None]:
    """The column's values as text (None when absent), noting in `problems` (by position) what is not text."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.dictionary_decode(), kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return list(column.to_pylist())
    if pa.types.is_boolean(kind):
        return list(pc.if_else(column, "true", "false").to_pylist())
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return _decoded(column, problems)
    if nested := _nested_kind(kind):
        return _flag(column, problems, f"holds {nested} where a single value is expected")
    try:
        return list(pc.cast(column, pa.string()).to_pylist())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _flag(column, problems, f"holds a value of type {kind} that cannot be read as text")
