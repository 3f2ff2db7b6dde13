"""Small vectorised helpers: ids, labels, timestamps and texts as Arrow arrays without Python loops."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def ids(prefix: str, numbers: np.ndarray, width: int = 7) -> pa.Array:
    """'C0000042'-style ids."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def labels(codes: np.ndarray, names: Sequence[str]) -> pa.Array:
    """Category codes -> their names (a negative code gives null)."""
    codes = np.asarray(codes)
    valid = codes >= 0
    array = pa.array(np.where(valid, codes, 0), pa.int32())
    taken = pa.array(list(names), pa.string()).take(array)
    return pc.if_else(pa.array(valid), taken, pa.scalar(None, pa.string()))


def timestamps(origin: dt.date, days: np.ndarray) -> pa.Array:
    """Fractional days after `origin` -> timestamp[us] (to the second)."""
    base = np.datetime64(origin, "s")
    seconds = np.round(np.asarray(days, dtype=float) * 86_400).astype("int64")
    return pa.array(base + seconds.astype("timedelta64[s]"), pa.timestamp("us"))


def dates(origin: dt.date, days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Whole days after `origin` -> date32, null where `valid` is False."""
    base = np.datetime64(origin, "D")
    values = base + np.floor(np.asarray(days, dtype=float)).astype("int64").astype("timedelta64[D]")
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    return pa.array(values, pa.date32(), mask=mask)


def choice(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    """Category codes drawn with the given weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def join_texts(parts: Sequence[pa.Array]) -> pa.Array:
    """Element-wise concatenation of string arrays."""
    return pc.binary_join_element_wise(*parts, "")


def nullable(values: np.ndarray, valid: np.ndarray, kind: pa.DataType) -> pa.Array:
    """An Arrow array with nulls where `valid` is False."""
    return pa.array(values, kind, mask=~np.asarray(valid, dtype=bool))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function."""
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def logit(p: float) -> float:
    """Log-odds of a probability."""
    return float(np.log(p / (1 - p)))
