"""Where a configuration key may go, for the sentence that refuses one: the keys a TOML table takes (to
suggest the one a typo meant) and whether a key misplaced under a section belongs at the top of the file."""

from __future__ import annotations

import difflib
import types
from collections.abc import Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel


def _inner(annotation: Any) -> Any:
    """The type inside an optional one (`X | None` -> X)."""
    if get_origin(annotation) in (Union, types.UnionType):
        kept = [a for a in get_args(annotation) if a is not type(None)]
        return kept[0] if len(kept) == 1 else annotation
    return annotation


def keys_at(model: type[BaseModel], path: Sequence[Any]) -> list[str] | None:
    """The keys the table at `path` (the keys leading to it) takes, or None where it is no fixed model
    (a table of names the user chooses, such as [columns])."""
    current: Any = model
    parts = list(path)
    while parts:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(parts.pop(0)))
        if field is None:
            return None
        current = _inner(field.annotation)
        if get_origin(current) is dict:
            if not parts:
                return None
            parts.pop(0)  # the name the user chose
            current = _inner(get_args(current)[1])
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return None


def misplaced_key_hint(model: type[BaseModel] | None, loc: Sequence[Any]) -> str:
    """For a key refused under a section though the top of the file takes it (TOML files a key under the
    section above it): where it belongs; else ""."""
    if model is None or len(loc) < 2:
        return ""
    name = str(loc[-1])
    if name in model.model_fields and name not in (keys_at(model, loc[:-1]) or []):
        return (
            f"; '{name}' belongs at the top of the file, above the first [section] (TOML files a key under "
            "the section above it)"
        )
    return ""


def unknown_key_hint(model: type[BaseModel] | None, loc: Sequence[Any]) -> str:
    """What to write instead of an unknown key: where it belongs, the key its spelling is closest to, or
    the keys that table takes."""
    if model is None:
        return "; check its spelling against `cxgap init`'s starter file"
    if misplaced := misplaced_key_hint(model, loc):
        return misplaced
    allowed = keys_at(model, loc[:-1])
    if not allowed:
        return "; check its spelling against `cxgap init`'s starter file"
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.75)
    if close:
        return f"; did you mean '{close[0]}'?"
    where = "the file's top" if len(loc) == 1 else f"[{'.'.join(str(p) for p in loc[:-1])}]"
    return f"; {where} takes {', '.join(allowed)}"
