"""How good is the sentiment? Every reading against the VADER lexicon on one held-out split of labelled texts,
with 95% bootstrap intervals; and how well themes are assigned on the demo company's planted topics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import train_test_split

from cxgap.config import Theme
from cxgap.stats import Difference, Estimate
from cxgap.text.sentiment import (
    TEST_SHARE,
    Evaluation,
    lexicon_sentiment,
    macro_f1_difference,
    macro_f1_estimate,
    no_label_sentiment,
    sentiment,
)
from cxgap.text.topics import assign

SHORT_WORDS = 20  # a short text: the first 20 words of a review (the reviews have almost no sentence marks)
FEW_LABELS = 300


def short_texts(texts: list[str], words: int = SHORT_WORDS) -> list[str]:
    """Each text cut to its first `words` words: short texts like social posts, from long reviews."""
    return [" ".join(t.split()[:words]) for t in texts]


@dataclass(frozen=True)
class ModeQuality:
    """One reading's held-out macro-F1 (with its interval) and accuracy, and its macro-F1 gain over the lexicon
    on the same texts (paired bootstrap interval)."""

    mode: str
    macro_f1: Estimate
    accuracy: float
    over_lexicon: Difference


@dataclass(frozen=True)
class SentimentQuality:
    """Every reading on the same held-out texts, and the trained mode's own check when given FEW_LABELS labels."""

    texts: int
    held_out: int
    modes: tuple[ModeQuality, ...]
    few_labels_check: Evaluation


def _only(labels: NDArray[np.int64], rows: NDArray[np.int64]) -> NDArray[np.int64]:
    out = np.full(len(labels), -1, dtype=np.int64)
    out[rows] = labels[rows]
    return out


def sentiment_quality(
    texts: list[str], vectors: NDArray[np.float32], labels: NDArray[np.int64], seed: int = 0
) -> SentimentQuality:
    """Lexicon, anchors and self-trained (no labels), and trained on FEW_LABELS and on all training labels,
    scored on the same stratified held-out TEST_SHARE of the labelled texts; the no-label readings see every
    text but no label, the trained ones only labels from the training part."""
    rows = np.flatnonzero(labels >= 0)
    train, test = train_test_split(rows, test_size=TEST_SHARE, random_state=seed, stratify=labels[rows])
    few, _ = train_test_split(train, train_size=FEW_LABELS, random_state=seed, stratify=labels[train])
    with_few = sentiment(texts, vectors, _only(labels, few), seed)
    assert with_few.evaluation is not None, "every class needs labels for the trained mode"
    readings = {
        "lexicon (VADER)": lexicon_sentiment(texts).labels,
        "anchors (no labels)": no_label_sentiment(texts, vectors, self_train=False).labels,
        "self-trained (no labels)": no_label_sentiment(texts, vectors).labels,
        f"{FEW_LABELS} labels given: {with_few.mode}": with_few.labels,
        f"trained on {len(train):,} labels": sentiment(texts, vectors, _only(labels, train), seed).labels,
    }
    truth, base = labels[test], readings["lexicon (VADER)"][test]
    modes = tuple(
        ModeQuality(
            mode,
            macro_f1_estimate(truth, predicted[test], seed),
            float((predicted[test] == truth).mean()),
            macro_f1_difference(truth, base, predicted[test], seed),
        )
        for mode, predicted in readings.items()
    )
    return SentimentQuality(len(texts), len(test), modes, with_few.evaluation)


def quality_table(quality: SentimentQuality) -> list[str]:
    """The Markdown table docs/text-quality.md shows."""
    lines = [
        "| reading | macro-F1 [95% CI] | accuracy | vs VADER on the same texts [95% CI] |",
        "|---|---|---|---|",
    ]
    for q in quality.modes:
        m, d = q.macro_f1, q.over_lexicon
        lines.append(
            f"| {q.mode} | {m.value:.3f} [{m.low:.3f}, {m.high:.3f}] | {q.accuracy:.3f} "
            f"| {d.value:+.3f} [{d.low:+.3f}, {d.high:+.3f}] |"
        )
    return lines


def check_line(quality: SentimentQuality) -> str:
    """What the trained mode's own check says when given FEW_LABELS labels (what `cxgap text` prints)."""
    return f"With {FEW_LABELS} labels, `cxgap text` says: {quality.few_labels_check.sentence()}"


@dataclass(frozen=True)
class TopicQuality:
    """Held-out accuracy of the best theme, zero-shot and sharpened by a few labelled examples per theme."""

    test: int
    zero_shot: float
    with_examples: float
    examples_per_theme: int


def topic_quality(
    vectors: NDArray[np.float32],
    texts: list[str],
    truth: list[str],
    themes: dict[str, Theme],
    examples: int = 5,
    seed: int = 0,
    test_share: float = 0.3,
) -> TopicQuality:
    """Accuracy of `assign` on a held-out split; the sharpened themes take `examples` texts each from the
    training split only."""
    rows = np.arange(len(texts))
    train, test = train_test_split(rows, test_size=test_share, random_state=seed, stratify=truth)
    expected = np.array(truth)[test]
    plain = np.array(assign(vectors[test], themes).best, dtype=object)
    labelled = {
        name: theme.model_copy(update={"examples": [texts[i] for i in train if truth[i] == name][:examples]})
        for name, theme in themes.items()
    }
    sharp = np.array(assign(vectors[test], labelled).best, dtype=object)
    return TopicQuality(
        len(test), float((plain == expected).mean()), float((sharp == expected).mean()), examples
    )


def topic_lines(q: TopicQuality, texts: int) -> list[str]:
    """The topic-accuracy lines docs/text-quality.md shows."""
    return [
        f"- demo feedback texts: {texts:,}, of which {q.test:,} held out",
        f"- zero-shot (description and keywords only): **{q.zero_shot:.1%}** of held-out texts get their planted theme",
        f"- with {q.examples_per_theme} labelled examples per theme from the training part: **{q.with_examples:.1%}**",
    ]
