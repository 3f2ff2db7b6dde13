"""Write a proposal for review: one commented mapping per file, each line with the evidence it was proposed
on, and a cxgap.toml (the neutral starter) naming the touchpoints and items found."""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from cxgap.config import CONFIG_FILE, settings_from_dict, starter_config
from cxgap.errors import ConfigError, CxgapError
from cxgap.io.mapping import mapping_from_dict
from cxgap.io.proposal.roles import FileProposal, Role, Scalar

BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def key(name: str) -> str:
    """A TOML key: bare where it can be, else quoted."""
    return name if BARE_KEY.match(name) else _quoted(name)


def _quoted(text: str) -> str:
    """A TOML basic string (JSON's escapes, and DEL escaped too, which TOML refuses raw)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def value(v: Scalar | Sequence[Scalar] | None) -> str:
    """A TOML value: whole numbers without '.0', strings quoted, lists in brackets."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(int(v)) if float(v).is_integer() else repr(float(v))
    if isinstance(v, str):
        return _quoted(v)
    if v is None:
        return '""'
    return "[" + ", ".join(value(x) for x in v) + "]"


def comment(text: str) -> str:
    """Text a TOML comment can hold: one line, no control characters."""
    return " ".join(CONTROL.sub(" ", text).split())


def _line(k: str, v: str, why: str) -> str:
    return f"{k} = {v}  # {comment(why)}"


def mapping_text(fp: FileProposal, shown: str, mapping_name: str) -> str:
    """The commented mapping for one file; `shown` is how the data file is named in the commands."""
    items = [r for r in fp.roles if r.target == "item"]
    used = [r for r in fp.roles if r.target and r.target != "item"]
    unused = [r for r in fp.roles if r.target is None]
    out = _top(fp, shown, mapping_name, items) + _schema_sections(fp, used)
    out += _na_section(used, items) + _item_sections(items)
    if unused:
        out += ["", "# Not used (nothing is left out without a word):"]
        out += [f"# {key(r.column)}: {comment(r.evidence)}" for r in unused]
    return "\n".join(out) + "\n"


def _top(fp: FileProposal, shown: str, mapping_name: str, items: list[Role]) -> list[str]:
    """The header comments and the top-level keys (before any [section])."""
    sample = fp.sample
    out = [
        f"# Mapping proposed by `cxgap init --from` for {shown} ({sample.rows:,} rows read).",
        f"# {fp.why} -> {fp.table}.",
        "# Each line says what it was proposed on: review them, then see what would load and what not:",
        f"#   cxgap import {shown} --mapping {mapping_name} --dry-run",
        *(f"# NOTE: {comment(note)}" for note in fp.notes),
        "",
        _line("table", value(fp.table), fp.why),
    ]
    if sample.header_rows != 1:
        out.append(_line("header_rows", str(sample.header_rows), sample.export_evidence))
    if sample.delimiter != ",":
        why = "the delimiter that splits every line read into the same columns"
        out.append(_line("delimiter", value(sample.delimiter), why))
    if sample.encoding != "utf-8":
        out.append(_line("encoding", value(sample.encoding), "the file is not UTF-8; this encoding reads it"))
    common, common_na = _item_scale(items)
    if common:
        out.append(
            _line("item_scale", value(common), "the source scale of every item rating (converted to 1-7)")
        )
    if common_na:
        out.append(_line("item_na", value(common_na), "codes that mean not applicable in the item ratings"))
    return out


def _target(role: Role) -> str:
    assert role.target is not None
    return role.target


def _schema_sections(fp: FileProposal, used: list[Role]) -> list[str]:
    """[columns], [constants], [dates], [scales], [factors], value maps and N/A codes of schema columns."""
    out = _section("columns", [(_target(r), value(r.column), r.evidence) for r in used])
    constants = [(name, value(v), why) for name, (v, why) in fp.constants.items()]
    if fp.table == "responses" and not fp.role("responded_at") and "responded_at" not in fp.constants:
        constants.append(
            ("# responded_at", '"YYYY-MM-DD"', "REQUIRED: no date column; the day the survey ran")
        )
    out += _section("constants", constants)
    out += _section(
        "dates", [(_target(r), value(r.date_format), "strptime format") for r in used if r.date_format]
    )
    scales = [(_target(r), value(r.scale), "source scale, converted linearly") for r in used if r.scale]
    out += _section("scales", scales)
    out += _section("factors", [(_target(r), value(r.factor), "unit multiplier") for r in used if r.factor])
    for r in used:
        out += _value_map(_target(r), r)
    return out


def _item_sections(items: list[Role]) -> list[str]:
    """Value maps, N/A codes and scales of item columns where they differ, then [items]."""
    common, _ = _item_scale(items)
    out: list[str] = []
    for r in items:
        out += _value_map(r.column, r)
    if not common:
        out += _section(
            "item_scales", [(key(r.column), value(r.scale), "source scale") for r in items if r.scale]
        )
    return out + _section("items", [(key(r.column), _item(r), r.evidence) for r in items])


def _na_section(used: list[Role], items: list[Role]) -> list[str]:
    """[na]: the N/A codes of schema columns, and of item columns where item_na does not say them."""
    _, common_na = _item_scale(items)
    why = "not applicable: stored empty, left out of every mean and count"
    na = [(key(_target(r)), value(r.na), why) for r in used if r.na]
    na += [(key(r.column), value(r.na), why) for r in items if r.na and not common_na]
    return _section("na", na)


def _value_map(column: str, role: Role) -> list[str]:
    if not role.values:
        return []
    return _section(
        f"values.{key(column)}", [(key(k), value(v), _label_why(v)) for k, v in role.values.items()]
    )


def _label_why(v: Scalar) -> str:
    return "no answer: stored empty" if v == "" else "answer label"


def _item(r: Role) -> str:
    return f"{{ item = {value(r.item)}, measure = {value(r.measure)} }}"


def _section(name: str, lines: Iterable[tuple[str, str, str]]) -> list[str]:
    rows = list(lines)
    return ["", f"[{name}]", *(_line(k, v, why) for k, v, why in rows)] if rows else []


def _item_scale(items: list[Role]) -> tuple[tuple[float, float] | None, tuple[Scalar, ...]]:
    """One scale for every item rating (and their N/A codes, where none falls inside it), or none."""
    scales = {r.scale for r in items}
    if len(scales) != 1 or None in scales:
        return None, ()
    scale = scales.pop()
    assert scale is not None
    codes = list(dict.fromkeys(c for r in items for c in r.na))
    inside = [c for c in codes if not isinstance(c, str) and scale[0] <= c <= scale[1]]
    return scale, () if inside else tuple(codes)


def validate_mapping(text: str, source: str) -> None:
    """Refuse a proposed mapping cxgap import would refuse (a bug here, said in one sentence)."""
    try:
        mapping_from_dict(tomllib.loads(text), source)
    except (ConfigError, tomllib.TOMLDecodeError) as error:
        raise CxgapError(
            f"the mapping proposed for {source} does not validate ({error}); please report it."
        ) from None


def settings_text(
    touchpoints: Sequence[str], items: dict[str, tuple[str | None, str]], sources: Sequence[str]
) -> str:
    """The neutral starter cxgap.toml with the touchpoints and items found (each item's dimension where
    its words point to one), validated."""
    text = starter_config()
    head = "# Proposed by `cxgap init --from`: the touchpoints and items below were found in these files;\n"
    head += "# everything else is the neutral starter.\n" + "".join(f"#   {source}\n" for source in sources)
    if touchpoints:
        line = f"touchpoints = {value(list(touchpoints))}  # found in your data; put them in journey order\n"
        text = _after(text, "# touchpoints = ", line) or line + text
    if any(dim for dim, _ in items.values()) and not all(dim for dim, _ in items.values()):
        items = _own_dimensions(items)  # an unlisted item would drop out of every gap: each gets its own
        text = _with_dimensions(text, sorted({dim for dim, _ in items.values() if dim}))
    if items:
        block = "\n[items]  # found in your files: item = its dimension\n" + "".join(
            _line(key(item), value(dim), why) + "\n" if dim else f'# {key(item)} = ""  # {why}\n'
            for item, (dim, why) in items.items()
        )
        text = _after_block(text, "# [items]", block) or text.rstrip("\n") + "\n\n" + block
    text = head + text
    settings_from_dict(tomllib.loads(text), "the proposed cxgap.toml")
    return text


def _own_dimensions(items: dict[str, tuple[str | None, str]]) -> dict[str, tuple[str | None, str]]:
    """Items whose words point to no dimension as dimensions of their own, beside those that do."""
    return {
        item: (dim, why) if dim else (item, f"{why}; a dimension of its own (rename or group it)")
        for item, (dim, why) in items.items()
    }


def _with_dimensions(text: str, used: list[str]) -> str:
    """The starter with a `dimensions` line naming SERVQUAL's five and every other dimension `used`."""
    servqual = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
    dimensions = servqual + [d for d in used if d not in servqual]
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("dimensions = "))
    lines[at] = f"dimensions = {value(dimensions)}  # SERVQUAL's five and the items of their own below\n"
    return "".join(lines)


def _after(text: str, marker: str, insert: str) -> str | None:
    """`text` with `insert` after the line starting with `marker`, or None where there is none."""
    at = text.find("\n" + marker)
    if at < 0:
        return None
    end = text.index("\n", at + 1) + 1
    return text[:end] + insert + text[end:]


def _after_block(text: str, marker: str, insert: str) -> str | None:
    """`text` with `insert` after the commented block that starts at `marker` (it ends at a blank line)."""
    at = text.find("\n" + marker)
    if at < 0:
        return None
    end = text.find("\n\n", at + 1)
    end = len(text) if end < 0 else end + 1
    return text[:end] + insert + text[end:]


def targets(proposals: Sequence[FileProposal], folder: Path) -> list[Path]:
    """Where each file's mapping goes: <stem>.mapping.toml in `folder` (numbered where stems repeat)."""
    used: Counter[str] = Counter()
    paths = []
    for fp in proposals:
        stem = fp.sample.path.name.split(".")[0] or "data"
        used[stem] += 1
        paths.append(
            folder / (f"{stem}.mapping.toml" if used[stem] == 1 else f"{stem}-{used[stem]}.mapping.toml")
        )
    return paths


def shown(path: Path, folder: Path) -> str:
    """A data file's path as the commands in the written files name it: relative to the folder where it
    lies inside it, else in full."""
    full, base = path.resolve(), folder.resolve()
    return os.path.relpath(full, base) if full.is_relative_to(base) else str(full)


def write(files: dict[Path, str], force: bool) -> None:
    """Write every file, refusing (before writing any) to overwrite one unless `force`."""
    existing = [path for path in files if path.exists()]
    if existing and not force:
        raise CxgapError(f"{existing[0]} already exists; use --force to overwrite it.")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


CONFIG_NAME = CONFIG_FILE
