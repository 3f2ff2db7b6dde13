"""The scale of a rating column and the values that mean "not applicable", from the values seen, the
question's wording and the other ratings of the same survey; answer labels ("Very satisfied") as value maps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cxgap.io.proposal.profile import NA_NUMBERS, Profile

Code = float | str
NA_WORDING = re.compile(r"\bn/?a\b|not applicable|does not apply|0\s*=")


@dataclass(frozen=True)
class Scale:
    """A rating column's source scale, its N/A codes, and why."""

    lo: float
    hi: float
    na: tuple[Code, ...]
    evidence: str


def rating_numbers(p: Profile) -> dict[float, int]:
    """The column's numbers that are answers on the scale (the usual N/A codes such as 99 or -1 left out)."""
    return {v: c for v, c in p.numbers.items() if v not in NA_NUMBERS}


def is_rating(p: Profile, least: int = 3) -> bool:
    """Whole numbers in a short range from 0 or 1 up to at most 11, at least `least` different: a rating."""
    numbers = rating_numbers(p)
    if not p.numeric or not p.whole or len(numbers) < least:
        return False
    return min(numbers) >= 0 and max(numbers) <= 11


STATED = re.compile(r"\b(0|1)\s*(?:-|–|to)\s*(5|7|10|11)\b")


def stated_scale(p: Profile) -> tuple[int, int] | None:
    """A scale the question states: 'on a scale from 1 to 7', '(0-10)'."""
    found = STATED.search(p.column.text.lower()) or STATED.search(p.name.lower())
    return (int(found.group(1)), int(found.group(2))) if found else None


def _na_codes(p: Profile) -> list[Code]:
    """N/A words and codes seen in the column, as the mapping lists them."""
    codes: list[Code] = list(p.na_texts)
    codes += sorted(v for v in p.numbers if v in NA_NUMBERS)
    return codes


def _said(codes: Sequence[Code], p: Profile) -> str:
    if not codes:
        return ""
    counts = [p.na_texts.get(c, 0) if isinstance(c, str) else p.numbers.get(c, 0) for c in codes]
    shown = ", ".join(f"{_show(c)} ({n})" for c, n in zip(codes, counts, strict=True))
    return f"; {shown} mean not applicable"


def _show(code: Code) -> str:
    return f"'{code}'" if isinstance(code, str) else f"{code:g}"


def nps_scale(p: Profile) -> Scale:
    """NPS on 0-10, or on 1-11 where 11 is seen (some tools code 0-10 as 1-11)."""
    numbers = rating_numbers(p)
    lo, hi, n = min(numbers), max(numbers), sum(numbers.values())
    codes = _na_codes(p)
    if hi == 11 or (lo >= 1 and stated_scale(p) == (1, 11)):
        why = f"values {lo:g}-{hi:g} in {n:,} answers: NPS coded 1-11 (11 = extremely likely)"
        return Scale(1, 11, tuple(codes), why + _said(codes, p))
    why = f"values {lo:g}-{hi:g} in {n:,} answers: NPS on 0-10"
    if lo >= 1:
        why += " (no 0 seen; 0-10 assumed)"
    return Scale(0, 10, tuple(codes), why + _said(codes, p))


def rating_scale(p: Profile, siblings: Sequence[Profile] = (), what: str = "rating") -> Scale:
    """A rating's source scale: the one its question states, else the smallest usual one holding the values
    seen in it and its siblings (the survey's other ratings). A 0 is "not applicable" where the question says
    so or where siblings on the same scale never use 0."""
    numbers = rating_numbers(p)
    codes = _na_codes(p)
    n = sum(numbers.values())
    seen_lo, seen_hi = min(numbers), max(numbers)
    zero_why = _zero_is_na(p, numbers, siblings)
    if zero_why:
        codes.insert(0, 0.0)
        numbers = {v: c for v, c in numbers.items() if v != 0}
    stated = stated_scale(p)
    lo, hi = min(numbers, default=1.0), max([*numbers, *(_hi(s) for s in siblings)], default=5.0)
    if stated and stated[0] <= lo and hi <= stated[1] and not (zero_why and stated[0] == 0):
        scale, how = stated, "the question says"
    else:
        start = 0 if lo == 0 else 1
        top = next(k for k in ((5, 10) if start == 0 else (5, 7, 10, 11)) if k >= hi)
        scale, how = (start, top), "assumed"
    why = f"values {seen_lo:g}-{seen_hi:g} in {n:,} answers: {what} on {scale[0]}-{scale[1]} ({how})"
    return Scale(
        scale[0], scale[1], tuple(codes), why + (zero_why or "") + _said(codes[1 if zero_why else 0 :], p)
    )


def _hi(p: Profile) -> float:
    return max(rating_numbers(p), default=0.0)


def _zero_is_na(p: Profile, numbers: dict[float, int], siblings: Sequence[Profile]) -> str:
    """Why 0 means "not applicable" in this column, or '' when nothing says so."""
    if 0 not in numbers or max(numbers) > 7:
        return ""
    zeros = numbers[0]
    if NA_WORDING.search(p.column.text.lower()):
        return f"; 0 ({zeros} answers) means not applicable, as the question says"
    same = [s for s in siblings if _hi(s) == max(numbers)]
    if any(min(rating_numbers(s)) >= 1 for s in same):
        return (
            f"; 0 ({zeros} answers) means not applicable: the survey's other ratings run "
            f"1-{max(numbers):g} and never use 0"
        )
    return ""


@dataclass(frozen=True)
class Labels:
    """Answer labels mapped to numbers: the value map to write, its scale, and why."""

    values: dict[str, float | str]
    lo: float
    hi: float
    evidence: str
    kind: str = "numbered"


LABEL_SETS: dict[str, dict[str, int]] = {
    "satisfaction": {
        "very dissatisfied": 1,
        "extremely dissatisfied": 1,
        "dissatisfied": 2,
        "somewhat dissatisfied": 2,
        "neither satisfied nor dissatisfied": 3,
        "neutral": 3,
        "satisfied": 4,
        "somewhat satisfied": 4,
        "very satisfied": 5,
        "extremely satisfied": 5,
    },
    "agreement": {
        "strongly disagree": 1,
        "disagree": 2,
        "neither agree nor disagree": 3,
        "neutral": 3,
        "agree": 4,
        "strongly agree": 5,
    },
    "agreement (7 points)": {
        "strongly disagree": 1,
        "disagree": 2,
        "somewhat disagree": 3,
        "neither agree nor disagree": 4,
        "neutral": 4,
        "somewhat agree": 5,
        "agree": 6,
        "strongly agree": 7,
    },
    "effort": {
        "very difficult": 1,
        "difficult": 2,
        "neither easy nor difficult": 3,
        "neutral": 3,
        "easy": 4,
        "very easy": 5,
    },
    "good/bad": {"bad": 1, "bad with comment": 1, "good": 5, "good with comment": 5},
}
NA_LABELS = ("offered", "unoffered", "not offered")  # Zendesk: a survey sent or not, no answer
LEADING_NUMBER = re.compile(r"^(\d{1,2})\s*[-–:=]\s*\S")


def answer_labels(p: Profile) -> Labels | None:
    """A value map for a column answered in words: a known label set ("Very satisfied" ... "Very
    dissatisfied", agreement, effort, Zendesk's Good/Bad), or labels that start with their number
    ("10 - Extremely likely")."""
    seen = {t: t.lower() for t in p.texts if t.lower() not in NA_LABELS}
    if not seen:
        return None
    na: dict[str, float | str] = {
        t: "" for t in [*p.texts, *p.na_texts] if t.lower() in NA_LABELS or t in p.na_texts
    }
    if p.whole and all(LEADING_NUMBER.match(t) for t in seen):
        labelled = {t: float(re.split(r"\D", t, maxsplit=1)[0]) for t in seen}
        numbers = [*labelled.values(), *p.numbers]
        lo = 0.0 if min(numbers) == 0 else 1.0
        hi = next((float(k) for k in (5, 7, 10, 11) if k >= max(numbers)), max(numbers))
        mapped: dict[str, float | str] = {str(v): float(v) for v in range(int(lo), int(hi) + 1)}
        mapped |= labelled  # the numbers between the labelled ends are answered as plain numbers
        why = f"labels that start with their number ({', '.join(list(seen)[:2])})"
        return Labels(mapped | na, lo, hi, why)
    if p.numbers:
        return None
    for kind, labels in LABEL_SETS.items():
        if set(seen.values()) <= set(labels):
            style = _style(list(seen))
            full: dict[str, float | str] = {style(label): value for label, value in labels.items()}
            full |= {t: labels[low] for t, low in seen.items()}
            shown = ", ".join(list(seen)[:3])
            why = f"{kind} labels ({shown}) as {min(labels.values())}-{max(labels.values())}"
            if na:
                why += f"; {', '.join(repr(t) for t in na)} mean no answer"
            return Labels(full | na, min(labels.values()), max(labels.values()), why, kind)
    return None


def _style(seen: list[str]) -> Callable[[str], str]:
    """How the export capitalises its labels, to write the labels not seen in the sample alike."""
    if all(t == t.lower() for t in seen):
        return str.lower
    if all(t == t.title() for t in seen):
        return str.title
    return str.capitalize
