"""The hand-labelled hotel theme benchmark: which real reviews (and sentences cut from them) were labelled.

The labels live in tests/data/hotel_theme_labels.csv without any review text; the texts are rebuilt here from
the shared TripAdvisor file, so the benchmark can be scored without copying the data into the project.
Rows are 0-based positions in that file (the pandas index after a default `read_csv`); a sentence is the
words `word_start:word_end` (end exclusive) of its review split on whitespace. tests/data/README.md says
how the texts were chosen; `selection` is that rule as code, so the tests can check the file keeps to it.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1] / "data"
LABELS_FILE = DATA / "hotel_theme_labels.csv"
THEMES_FILE = DATA / "hotel_themes.toml"
REVIEWS_FILE_NAME = "tripadvisor_hotel_reviews.csv"

SEED = 16
PICK_SEED = 17
PER_STAR = 60
STARS = (1, 2, 3, 4, 5)
SENTENCE_SOURCE_MIN_WORDS = 30
SPAN_MIN_WORDS = 12
SPAN_MAX_WORDS = 25
POLARITIES = ("pos", "neg", "mixed")


@dataclass(frozen=True)
class LabelledText:
    """One labelled text: a whole review or a sentence cut from one, with the themes it is about."""

    kind: str
    row: int
    word_start: int | None
    word_end: int | None
    sample: str
    text: str
    themes: frozenset[str]
    polarity: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Selection:
    """The texts the documented rule offers: the sampled reviews, the seeded sentence draws per star (in
    draw order), and per star the reviews no-theme sentences were picked from (in the order they were read)."""

    reviews: list[int]
    sentence_draws: dict[int, list[tuple[int, int, int]]]
    pick_order: dict[int, list[int]]


def review_words(review: str) -> list[str]:
    """A review's words as the spans count them: split on whitespace, punctuation kept on the word."""
    return str(review).split()


def _clauses(words: list[str]) -> list[tuple[int, int]]:
    """Clause spans (end exclusive): a clause ends at a word ending in a comma or a full stop."""
    spans, start = [], 0
    for position, word in enumerate(words):
        if word.endswith((",", ".")):
            spans.append((start, position + 1))
            start = position + 1
    if start < len(words):
        spans.append((start, len(words)))
    return spans


def sentence_span(words: list[str], anchor: int) -> tuple[int, int]:
    """The short text around word `anchor`: its clause, grown by whole clauses (forward first) to at least
    12 words, then cut to at most 25 words kept around the anchor."""
    clauses = _clauses(words)
    index = next(k for k, (start, end) in enumerate(clauses) if start <= anchor < end)
    first = last = index
    while clauses[last][1] - clauses[first][0] < SPAN_MIN_WORDS:
        if last + 1 < len(clauses):
            last += 1
        elif first > 0:
            first -= 1
        else:
            break
    start, end = clauses[first][0], clauses[last][1]
    if end - start > SPAN_MAX_WORDS:
        start = max(start, min(anchor - SPAN_MAX_WORDS // 2, end - SPAN_MAX_WORDS))
        end = start + SPAN_MAX_WORDS
    return start, end


def tiles(words: list[str]) -> list[tuple[int, int]]:
    """A review cut into consecutive short texts from its first word, each by `sentence_span`; the
    candidates a no-theme sentence was picked from."""
    spans, position = [], 0
    while position < len(words):
        start, end = sentence_span(words, position)
        spans.append((start, end))
        position = end
    return spans


def selection(frame: pd.DataFrame) -> Selection:
    """The documented rule. Reviews: 60 per star rating (numpy seed 16). Seeded sentences: 60 other reviews
    of at least 30 words per star, each cut around a word the same generator draws. Picked sentences: the
    remaining reviews of at least 30 words, per star in the order of a seed-17 permutation."""
    rng = np.random.default_rng(SEED)
    stars = frame["Rating"].to_numpy()
    lengths = frame["Review"].map(lambda text: len(review_words(text))).to_numpy()
    reviews: list[int] = []
    for star in STARS:
        reviews += sorted(int(r) for r in rng.choice(np.flatnonzero(stars == star), PER_STAR, replace=False))
    used = set(reviews)
    draws: dict[int, list[tuple[int, int, int]]] = {}
    for star in STARS:
        pool = [int(r) for r in np.flatnonzero((stars == star) & (lengths >= SENTENCE_SOURCE_MIN_WORDS))]
        drawn = [int(r) for r in rng.choice([r for r in pool if r not in used], PER_STAR, replace=False)]
        spans: dict[int, tuple[int, int]] = {}
        for row in sorted(drawn):
            spans[row] = sentence_span(
                review_words(frame["Review"].iloc[row]), int(rng.integers(lengths[row]))
            )
        draws[star] = [(row, *spans[row]) for row in drawn]
        used |= set(drawn)
    picker = np.random.default_rng(PICK_SEED)
    pick_order: dict[int, list[int]] = {}
    for star in STARS:
        order = picker.permutation(np.flatnonzero((stars == star) & (lengths >= SENTENCE_SOURCE_MIN_WORDS)))
        pick_order[star] = [int(r) for r in order if int(r) not in used]
    return Selection(reviews, draws, pick_order)


def theme_descriptions(path: Path = THEMES_FILE) -> dict[str, str]:
    """Theme name -> one-line description, from the benchmark's `[themes]` TOML."""
    with path.open("rb") as handle:
        themes = tomllib.load(handle)["themes"]
    return {name: spec["description"] for name, spec in themes.items()}


def split_cell(cell: str | None) -> list[str]:
    """The items of a semicolon-separated cell (none for an empty one)."""
    return [part for part in (cell or "").split(";") if part]


def read_label_rows(path: Path = LABELS_FILE) -> list[dict[str, str]]:
    """The label file's rows as written (no text), for consistency checks."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_labels(reviews_csv: Path, labels: Path = LABELS_FILE) -> list[LabelledText]:
    """The labelled texts rebuilt from the shared reviews file, each with its theme set and polarities."""
    frame = pd.read_csv(reviews_csv)
    texts = []
    for line in read_label_rows(labels):
        row = int(line["row"])
        review = str(frame["Review"].iloc[row])
        start = int(line["word_start"]) if line["word_start"] else None
        end = int(line["word_end"]) if line["word_end"] else None
        text = review if start is None else " ".join(review_words(review)[start:end])
        polarity = dict(item.split(":") for item in split_cell(line["polarity"]))
        themes = frozenset(split_cell(line["themes"]))
        texts.append(LabelledText(line["kind"], row, start, end, line["sample"], text, themes, polarity))
    return texts
