"""What a sampled column holds: blanks, numbers and their range, dates and their format, answer labels and
"not applicable" codes. Roles are proposed from these facts and the column's wording, never from one alone.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from cxgap.io.convert import FALSE_TOKENS, TRUE_TOKENS
from cxgap.io.proposal.formats import SampleColumn

NA_TEXTS = frozenset(
    {
        "n/a",
        "na",
        "n.a.",
        "not applicable",
        "does not apply",
        "don't know",
        "dont know",
        "do not know",
        "no answer",
        "prefer not to say",
        "-",
    }
)
NA_NUMBERS = (99.0, 98.0, 999.0, 9999.0, -1.0, -9.0, -99.0)
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S UTC",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)


def words(*texts: str) -> list[str]:
    """Lower-case words of names and questions, camelCase split: 'customerID' -> ['customer', 'id']."""
    found: list[str] = []
    for text in texts:
        spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
        found += re.findall(r"[a-z0-9]+", spaced.lower())
    return found


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


@dataclass(frozen=True)
class Profile:
    """The facts of one sampled column that roles are proposed from."""

    column: SampleColumn
    rows: int
    filled: int
    distinct: int
    numbers: Counter[float] = field(default_factory=Counter)
    texts: Counter[str] = field(default_factory=Counter)
    na_texts: Counter[str] = field(default_factory=Counter)
    mean_length: float = 0.0
    date_format: str | None = None
    date_note: str = ""
    is_date: bool = False

    @property
    def name(self) -> str:
        """The column's name in the file."""
        return self.column.name

    @property
    def wording(self) -> list[str]:
        """Words of the column's name and question."""
        return words(self.column.name, self.column.text)

    @property
    def numeric(self) -> bool:
        """Every filled value (N/A words aside) is a number."""
        return bool(self.numbers) and not self.texts

    @property
    def whole(self) -> bool:
        """Every number is a whole number."""
        return all(v == int(v) for v in self.numbers)

    @property
    def unique(self) -> bool:
        """Every row has a value and no value repeats: an id."""
        return self.filled == self.rows and self.distinct == self.rows

    @property
    def is_bool(self) -> bool:
        """Every filled value reads as yes or no (true/false, 1/0)."""
        tokens = {t.lower() for t in self.texts} | {f"{v:g}" for v in self.numbers}
        return bool(tokens) and tokens <= (TRUE_TOKENS | FALSE_TOKENS) and len(tokens) <= 2

    @property
    def is_text(self) -> bool:
        """Mostly words, not numbers."""
        return bool(self.texts) and sum(self.texts.values()) >= 0.9 * max(1, self.filled - self.na_count)

    @property
    def na_count(self) -> int:
        """Cells holding an N/A word."""
        return sum(self.na_texts.values())

    @property
    def free_text(self) -> bool:
        """Sentences people wrote: words, mostly different from row to row, long enough to say something."""
        return self.is_text and self.mean_length >= 20 and self.distinct >= 0.5 * self.filled

    @property
    def categorical(self) -> bool:
        """A few short labels that repeat (a segment, a channel, a touchpoint)."""
        return (
            self.is_text
            and 2 <= self.distinct <= 30
            and self.distinct <= 0.5 * self.filled
            and self.mean_length <= 40
        )

    def top(self, k: int = 4) -> str:
        """The most common values, for evidence: 'Yes (5), No (3)'."""
        counts = Counter(v.strip() for v in self.column.values if v and v.strip())
        shown = ", ".join(f"{value[:30]} ({count})" for value, count in counts.most_common(k))
        return shown + (", ..." if len(counts) > k else "")


def profile(column: SampleColumn) -> Profile:
    """Profile one sampled column."""
    filled = [v.strip() for v in column.values if v is not None and v.strip()]
    numbers: Counter[float] = Counter()
    texts: Counter[str] = Counter()
    na: Counter[str] = Counter()
    for value in filled:
        if value.lower() in NA_TEXTS:
            na[value] += 1
        elif (number := _number(value)) is not None:
            numbers[number] += 1
        else:
            texts[value] += 1
    date_format, note, is_date = _date_format(filled) if texts and not numbers else (None, "", False)
    return Profile(
        column=column,
        rows=len(column.values),
        filled=len(filled),
        distinct=len(set(filled)),
        numbers=numbers,
        texts=texts,
        na_texts=na,
        mean_length=sum(map(len, filled)) / len(filled) if filled else 0.0,
        date_format=date_format,
        date_note=note,
        is_date=is_date,
    )


MOSTLY_DATES = 0.9  # a column whose values are dates in one format but for a few: proposed, the rest said


def _parsed(values: list[str], fmt: str | None) -> pd.Series:
    """Whether each value parses with `fmt` (ISO 8601 when None), as the importer parses it."""
    parsed = pd.to_datetime(
        pd.Series(values, dtype=object), format=fmt or "ISO8601", errors="coerce", utc=True
    )
    return parsed.notna()


def _parses(values: list[str], fmt: str | None) -> bool:
    return bool(_parsed(values, fmt).all())


def _mostly_dates(values: list[str]) -> tuple[str | None, str, bool]:
    """A date column with a few values in another form (a hand-edited export): the format most values
    parse with when at least MOSTLY_DATES of them do, and a note naming the others, which the import will
    quarantine with their rows unless they are fixed first."""
    best: tuple[float, str | None, pd.Series] | None = None
    for fmt in (*DATE_FORMATS, None):
        fits = _parsed(values, fmt)
        if best is None or fits.mean() > best[0]:
            best = (float(fits.mean()), fmt, fits)
    if best is None or best[0] < MOSTLY_DATES:
        return None, "", False
    share, fmt, fits = best
    others = [v for v, ok in zip(values, fits, strict=True) if not ok]
    shown = ", ".join(dict.fromkeys(others[:3]))
    note = (
        f"{int(fits.sum()):,} of {len(values):,} values parse as {fmt or 'ISO 8601 dates'}; the other "
        f"{len(others):,} ({shown}) do not, and the import will quarantine their rows unless they are fixed"
    )
    return fmt, note, True


def _date_format(values: list[str]) -> tuple[str | None, str, bool]:
    """The strptime format every value parses with (as the importer parses it), why, and whether one did;
    a format with the day first and one with the month first both fitting is said."""
    if not any(ch.isdigit() for ch in values[0]) or len(values[0]) < 6:
        return None, "", False
    head = values[:20]  # a format that fails the first values need not be tried on all
    fits = [fmt for fmt in DATE_FORMATS if _parses(head, fmt) and _parses(values, fmt)]
    if not fits:
        if _parses(head, None) and _parses(values, None):
            return None, f"all {len(values):,} values are ISO 8601 dates", True
        return _mostly_dates(values)
    chosen = fits[0]
    note = f"all {len(values):,} values parse as {chosen}"
    swapped = chosen.replace("%m/%d", "%d/%m") if "%m/%d" in chosen else chosen.replace("%d/%m", "%m/%d")
    if swapped != chosen and swapped in fits:
        note += f" (or {swapped}: no day above 12 was seen; check which comes first)"
    return chosen, note, True
