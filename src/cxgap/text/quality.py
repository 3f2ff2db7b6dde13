"""How good is the sentiment? Every mode against the VADER lexicon on one held-out split of labelled texts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from cxgap.config import Theme
from cxgap.text.sentiment import lexicon_labels, lexicon_scores, sentiment
from cxgap.text.topics import assign


@dataclass(frozen=True)
class ModeQuality:
    """One mode's held-out macro-F1 and accuracy, and its macro-F1 gain over the lexicon."""

    mode: str
    macro_f1: float
    accuracy: float
    over_lexicon: float


def sentiment_quality(
    texts: list[str],
    vectors: NDArray[np.float32],
    labels: NDArray[np.int64],
    seed: int = 0,
    test_share: float = 0.3,
) -> tuple[int, list[ModeQuality]]:
    """Held-out size and the quality of lexicon, anchors (no labels) and trained (weak labels) on it."""
    rows = np.flatnonzero(labels >= 0)
    _, test = train_test_split(rows, test_size=test_share, random_state=seed, stratify=labels[rows])
    truth = labels[test]
    predictions = {
        "lexicon (VADER)": lexicon_labels(lexicon_scores(texts)[:, 0]),
        "anchors (no labels)": sentiment(texts, vectors).labels,
    }
    base = float(f1_score(truth, predictions["lexicon (VADER)"][test], average="macro"))
    out = []
    for mode, predicted in predictions.items():
        f1 = float(f1_score(truth, predicted[test], average="macro"))
        out.append(ModeQuality(mode, f1, float(accuracy_score(truth, predicted[test])), f1 - base))
    trained = sentiment(texts, vectors, labels, seed=seed, test_share=test_share).evaluation
    assert trained is not None, "every class needs labels for the trained mode"
    out.append(
        ModeQuality(
            "trained on the stars (weak labels)", trained.macro_f1, trained.accuracy, trained.macro_f1 - base
        )
    )
    return len(test), out


def quality_table(quality: list[ModeQuality]) -> list[str]:
    """The Markdown table docs/text-quality.md shows."""
    lines = ["| mode | macro-F1 | accuracy | vs VADER (macro-F1) |", "|---|---|---|---|"]
    lines += [f"| {q.mode} | {q.macro_f1:.3f} | {q.accuracy:.3f} | {q.over_lexicon:+.3f} |" for q in quality]
    return lines


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
