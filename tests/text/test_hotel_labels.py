"""The hand-labelled hotel theme benchmark is consistent: every row exists in the shared reviews file, every
theme is configured, both kinds have 300 texts chosen by the documented rule, and the labels are usable
(enough texts with no theme, enough texts per theme)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from cxgap.config import load_settings
from tests.text.hotel_labels import (
    PER_STAR,
    POLARITIES,
    REVIEWS_FILE_NAME,
    SPAN_MAX_WORDS,
    SPAN_MIN_WORDS,
    STARS,
    THEMES_FILE,
    load_labels,
    read_label_rows,
    review_words,
    selection,
    split_cell,
    theme_descriptions,
    tiles,
)

COLUMNS = ["kind", "row", "word_start", "word_end", "themes", "polarity", "sample"]
PER_KIND = 300
MIN_NO_THEME_SHARE = 0.15
MIN_TEXTS_PER_THEME = 10


def _row_problems(line: dict[str, str], themes: set[str]) -> list[str]:
    """What is wrong with one label row on its own (kind, spans, themes, polarity, sample)."""
    where = f"{line['kind']} row {line['row']} [{line['word_start']}:{line['word_end']}]"
    named, problems = split_cell(line["themes"]), []
    if line["kind"] not in ("review", "sentence"):
        problems.append(f"{where}: unknown kind")
    problems += [f"{where}: unknown theme {name!r}" for name in set(named) - themes]
    if len(set(named)) != len(named):
        problems.append(f"{where}: a theme is named twice")
    for item in split_cell(line["polarity"]):
        name, _, value = item.partition(":")
        if name not in named or value not in POLARITIES:
            problems.append(f"{where}: polarity {item!r} is not pos/neg/mixed of a labelled theme")
    spans = (line["word_start"], line["word_end"])
    if line["kind"] == "review" and spans != ("", ""):
        problems.append(f"{where}: a whole review has no word span")
    if line["kind"] == "sentence" and not SPAN_MIN_WORDS <= int(spans[1]) - int(spans[0]) <= SPAN_MAX_WORDS:
        problems.append(f"{where}: a sentence spans 12 to 25 words")
    if line["sample"] not in ("random", "picked_no_theme") or (line["sample"] != "random" and named):
        problems.append(f"{where}: sample is 'random' or a 'picked_no_theme' with no theme")
    return problems


def label_problems(lines: list[dict[str, str]], themes: set[str]) -> list[str]:
    """Everything wrong with the label rows as a whole; empty when the file is consistent."""
    problems = [f"columns are {list(lines[0])}, expected {COLUMNS}"] if list(lines[0]) != COLUMNS else []
    for line in lines:
        problems += _row_problems(line, themes)
    kinds = Counter(line["kind"] for line in lines)
    problems += [
        f"{kinds[kind]} {kind}s, expected {PER_KIND}"
        for kind in ("review", "sentence")
        if kinds[kind] != PER_KIND
    ]
    keys = Counter((line["kind"], line["row"], line["word_start"]) for line in lines)
    problems += [f"{key} is labelled twice" for key, count in keys.items() if count > 1]
    no_theme = sum(not split_cell(line["themes"]) for line in lines) / len(lines)
    if no_theme < MIN_NO_THEME_SHARE:
        problems.append(f"{no_theme:.0%} of texts have no theme, expected at least {MIN_NO_THEME_SHARE:.0%}")
    for kind in ("review", "sentence"):
        counts = Counter(
            name for line in lines if line["kind"] == kind for name in split_cell(line["themes"])
        )
        problems += [
            f"{name} labels {counts[name]} {kind}s, expected at least {MIN_TEXTS_PER_THEME}"
            for name in sorted(themes)
            if counts[name] < MIN_TEXTS_PER_THEME
        ]
    return problems


def test_the_hotel_themes_load_as_cxgap_configuration() -> None:
    settings = load_settings(THEMES_FILE)
    assert set(settings.themes) == set(theme_descriptions()) and len(settings.themes) == 9
    assert all(theme.description and not theme.examples for theme in settings.themes.values())


def test_the_label_file_is_consistent() -> None:
    assert label_problems(read_label_rows(), set(theme_descriptions())) == []


def test_the_consistency_check_catches_a_broken_label_file() -> None:
    lines = read_label_rows()
    broken = [dict(line) for line in lines[:-1]]
    broken[0] = {**broken[0], "themes": "wifi", "polarity": "wifi:good"}
    broken[-1] = {**broken[-1], "word_end": str(int(broken[-1]["word_start"]) + 40)}
    problems = label_problems(broken, set(theme_descriptions()))
    assert any("unknown theme 'wifi'" in problem for problem in problems)
    assert any("polarity 'wifi:good'" in problem for problem in problems)
    assert any("spans 12 to 25 words" in problem for problem in problems)
    assert "299 sentences, expected 300" in problems


def test_every_label_rebuilds_a_text_from_the_shared_reviews(shared_data: Callable[[str], Path]) -> None:
    path = shared_data(REVIEWS_FILE_NAME)
    frame = pd.read_csv(path)
    texts = load_labels(path)
    assert len(texts) == 2 * PER_KIND
    for text in texts:
        words = review_words(frame["Review"].iloc[text.row])
        assert 0 <= text.row < len(frame)
        if text.kind == "sentence":
            assert text.word_start is not None and text.word_end is not None
            assert 0 <= text.word_start < text.word_end <= len(words)
            assert text.text.split() == words[text.word_start : text.word_end]
        else:
            assert text.text.split() == words


def test_the_labelled_texts_follow_the_documented_selection(shared_data: Callable[[str], Path]) -> None:
    frame = pd.read_csv(shared_data(REVIEWS_FILE_NAME))
    rule = selection(frame)
    lines = read_label_rows()
    assert [int(line["row"]) for line in lines if line["kind"] == "review"] == rule.reviews
    for star in STARS:
        sentences = [line for line in lines if line["kind"] == "sentence"]
        of_star = [line for line in sentences if frame["Rating"].iloc[int(line["row"])] == star]
        spans = [(int(line["row"]), int(line["word_start"]), int(line["word_end"])) for line in of_star]
        picked = [span for span, line in zip(spans, of_star, strict=True) if line["sample"] != "random"]
        seeded = [span for span, line in zip(spans, of_star, strict=True) if line["sample"] == "random"]
        assert len(of_star) == PER_STAR
        assert seeded == rule.sentence_draws[star][: PER_STAR - len(picked)]
        assert len({row for row, _, _ in picked}) == len(picked)
        for row, start, end in picked:
            assert row in rule.pick_order[star]
            assert (start, end) in tiles(review_words(frame["Review"].iloc[row]))


def test_the_readme_table_states_the_label_counts() -> None:
    """tests/data/README.md reports per-theme counts; they are the file's, not remembered numbers."""
    readme = (THEMES_FILE.parent / "README.md").read_text(encoding="utf-8")
    lines = read_label_rows()
    for name, description in theme_descriptions().items():
        counts = [
            sum(name in split_cell(line["themes"]) for line in lines if line["kind"] == kind)
            for kind in ("review", "sentence")
        ]
        polarity = Counter(
            item.partition(":")[2]
            for line in lines
            for item in split_cell(line["polarity"])
            if item.startswith(f"{name}:")
        )
        sides = " / ".join(str(polarity[side]) for side in ("neg", "pos", "mixed"))
        row = f"| `{name}` | {description} | {counts[0]} | {counts[1]} | {sum(counts)} | {sides} |"
        assert row in readme, row
