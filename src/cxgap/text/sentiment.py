"""Sentiment per text: negative, neutral or positive, with a score in [-1, 1], in one of four modes.

- lexicon: VADER alone with its documented rule (the baseline every other mode is measured against);
- anchors (no labels): VADER's vote averaged with the text's similarity to short anchor phrases of each
  sentiment in the embedding space; used when there are too few texts for the next mode;
- self-trained (no labels): the anchors' reading of the user's own texts trains a small head on their
  embeddings (weak supervision), whose reading is averaged with the anchors' (better on real reviews and
  on short texts, see docs/text-quality.md);
- trained on your labels: a logistic regression on the embedding, the lexicon, the anchors and the no-label
  reading, trained on the user's labels (star ratings, NPS group, CSAT) and checked on a held-out share with
  a bootstrap interval, beside the lexicon and the no-label reading on the same texts; used only when it beats
  the no-label reading there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from cxgap.stats import Difference, Estimate
from cxgap.text.model import encode, model_name

LABELS = ("negative", "neutral", "positive")
# Per sentiment, groups of anchor phrases: opinions (as in reviews) and what customers write to a service
# (events, requests, thanks, as in social posts and tickets). A text's similarity to a sentiment is its mean
# similarity to the closest group, so one kind of neutral (a question) does not dilute the other (a mixed view).
ANCHORS: dict[str, tuple[tuple[str, ...], ...]] = {
    "negative": (
        (
            "terrible experience, very disappointed",
            "awful service, would not recommend",
            "rude staff and a dirty place",
            "worst experience ever, never again",
            "the problem was not resolved and nobody helped",
            "broken, late and unhelpful",
            "complained and got no response",
            "horrible, a waste of money",
        ),
        (
            "still waiting, nobody called back",
            "on hold for hours and no answer",
            "cancelled without any notice",
            "delayed again with no explanation",
            "charged twice and nobody fixed it",
            "lost my order and no refund",
            "it stopped working after a day",
            "stuck here and nobody is helping",
        ),
    ),
    "neutral": (
        (
            "it was okay, nothing special",
            "average experience, some good some bad",
            "decent but could be better",
            "mixed feelings overall",
            "fine but not great",
            "acceptable, a few issues",
            "neither good nor bad",
            "reasonable for the price but average",
        ),
        (
            "I have a question about my account",
            "how do I change my booking?",
            "what time do you open tomorrow?",
            "is this included in the price?",
            "just letting you know I arrived",
            "please send me the details",
            "any update on the schedule?",
            "who should I contact about this?",
        ),
    ),
    "positive": (
        (
            "excellent service, highly recommend",
            "wonderful experience, very happy",
            "friendly helpful staff, great experience",
            "perfect, will definitely come back",
            "fantastic, exceeded expectations",
            "loved it, everything was great",
            "quick and easy, problem solved",
            "outstanding value and quality",
        ),
        (
            "thank you so much for the help",
            "thanks, you made my day",
            "really appreciate the quick response",
            "great job, well done",
            "love it, so easy to use",
            "amazing staff, thank you",
        ),
    ),
}
# VADER is a general social-media lexicon: in customer messages "help" and "please" ask for something rather
# than praise, and service failures (delays, waiting, refunds) carry no score. The no-label and trained modes
# read VADER with these changes; the lexicon mode stays plain VADER, the baseline.
CX_LEXICON = {
    "help": 0.0,
    "please": 0.0,
    "care": 0.5,
    "delays": -1.3,
    "delayed": -1.3,
    "canceled": -1.0,
    "cancellation": -1.0,
    "waiting": -0.8,
    "waited": -0.8,
    "stranded": -1.5,
    "disconnected": -1.0,
    "unresolved": -1.5,
    "overcharged": -1.8,
    "refund": -0.5,
    "smooth": 1.5,
    "quick": 1.0,
    "fixed": 1.0,
}
# chosen on the training part of the TripAdvisor reviews only (see benchmarks/sentiment_quality.py)
ANCHOR_TEMPERATURE = 0.05
ANCHOR_WEIGHT = 0.7
HEAD_WEIGHT = 0.5
MIN_PER_CLASS = 20
TEST_SHARE = 0.3  # the trained mode's check holds out at least this share of the labelled texts
MIN_TEST = 200  # and at least this many when the labels allow (never more than half)
RESAMPLES = 1000  # bootstrap resamples of the held-out texts
CONFIDENCE = 0.95
LEXICON_MEMO = 20_000  # texts whose VADER scores are remembered (per reading; the dashboard reads 3,000)


@cache
def _analyzer(cx: bool) -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    if cx:
        analyzer.lexicon.update(CX_LEXICON)
    return analyzer


def lexicon_scores(texts: list[str], cx: bool = False) -> NDArray[np.float64]:
    """VADER per text: compound, positive, negative and neutral shares (columns); `cx` reads VADER with the
    customer-service changes in CX_LEXICON."""
    distinct = {t: i for i, t in enumerate(dict.fromkeys(texts))}  # feedback repeats itself: read each once
    table = np.array([_polarity(t, cx) for t in distinct], dtype=np.float64)
    return table.reshape(-1, 4)[[distinct[t] for t in texts]].reshape(-1, 4)


@lru_cache(maxsize=LEXICON_MEMO)
def _polarity(text: str, cx: bool) -> tuple[float, float, float, float]:
    """One text's VADER scores, remembered: a text run reads the same texts several times (plain VADER,
    VADER with CX_LEXICON for the fit and again for the check), and VADER is pure Python, about 1 ms a
    review."""
    scores = _analyzer(cx).polarity_scores(text)
    return scores["compound"], scores["pos"], scores["neg"], scores["neu"]


def lexicon_labels(compound: NDArray[np.float64]) -> NDArray[np.int64]:
    """VADER's standard reading: >= 0.05 positive, <= -0.05 negative, else neutral (0, 1, 2)."""
    return np.where(compound >= 0.05, 2, np.where(compound <= -0.05, 0, 1)).astype(np.int64)


def _lexicon_votes(compound: NDArray[np.float64]) -> NDArray[np.float64]:
    """A soft vote from the compound score for mixing with the anchors: the stronger, the less neutral."""
    return np.column_stack([np.maximum(-compound, 0), 1 - np.abs(compound), np.maximum(compound, 0)])


@cache
def _anchor_vectors(phrases: tuple[str, ...], model: str) -> NDArray[np.float32]:
    """The embeddings of one group of anchor phrases by `model`, encoded once per process and model (the
    phrases never change; a process that switches models gets the new model's vectors)."""
    vectors = encode(list(phrases))
    vectors.setflags(write=False)
    return vectors


def anchor_similarity(embeddings: NDArray[np.float32]) -> NDArray[np.float64]:
    """Per text and sentiment (columns: neg, neu, pos), the mean cosine similarity to the closest anchor group."""
    columns, model = [], model_name()
    for label in LABELS:
        groups = [(embeddings @ _anchor_vectors(tuple(g), model).T).mean(axis=1) for g in ANCHORS[label]]
        columns.append(np.max(groups, axis=0))
    return np.column_stack(columns).astype(np.float64)


def anchor_probs(similarity: NDArray[np.float64], lexicon: NDArray[np.float64]) -> NDArray[np.float64]:
    """The anchors' reading: softened anchor similarities (`anchor_similarity`) averaged with the lexicon's vote."""
    softened = softmax(similarity / ANCHOR_TEMPERATURE, axis=1)
    mixed = ANCHOR_WEIGHT * softened + (1 - ANCHOR_WEIGHT) * _lexicon_votes(lexicon[:, 0])
    return np.asarray(mixed, dtype=np.float64)


def self_trained_head(
    embeddings: NDArray[np.float32], anchors: NDArray[np.float64]
) -> LogisticRegression | None:
    """Weak supervision: a head on the embeddings that learns the anchors' labels of these same texts (its
    reading is averaged with theirs, see `Reader`); None when a sentiment has fewer than MIN_PER_CLASS texts
    to learn from."""
    weak = anchors.argmax(axis=1)
    if np.bincount(weak, minlength=3).min() < MIN_PER_CLASS:
        return None
    return LogisticRegression(max_iter=3000, class_weight="balanced", C=1.0).fit(embeddings, weak)


def held_out_size(labelled: int) -> int:
    """How many labelled texts the trained mode's check holds out: at least TEST_SHARE of them, and at least
    MIN_TEST when that leaves as many to train on."""
    return max(int(np.ceil(TEST_SHARE * labelled)), min(MIN_TEST, labelled // 2))


def _macro_f1_draws(truth: NDArray[np.int64], predicted: NDArray[np.int64], draws: NDArray[np.int64]) -> Any:
    """Macro-F1 (all three classes, an absent class scoring 0) of each row of `draws` (indices into the texts)."""
    codes = truth * 3 + predicted
    rows = len(draws)
    cells = (codes[draws] + 9 * np.arange(rows)[:, None]).ravel()
    counts = np.bincount(cells, minlength=9 * rows).reshape(rows, 3, 3)
    hits = np.diagonal(counts, axis1=1, axis2=2)
    wrong = counts.sum(axis=1) + counts.sum(axis=2) - 2 * hits  # false positives plus false negatives
    denominator = 2 * hits + wrong
    f1 = np.divide(2 * hits, denominator, out=np.zeros(hits.shape), where=denominator > 0)
    return f1.mean(axis=1)


def _resampled(truth: NDArray[np.int64], readings: list[NDArray[np.int64]], seed: int) -> list[Any]:
    """Macro-F1 of each reading on the same RESAMPLES bootstrap resamples of the texts (in chunks, to bound
    memory)."""
    rng = np.random.default_rng(seed)
    n = len(truth)
    out: list[list[Any]] = [[] for _ in readings]
    for start in range(0, RESAMPLES, 100):
        draws = rng.integers(0, n, size=(min(100, RESAMPLES - start), n))
        for scores, predicted in zip(out, readings, strict=True):
            scores.append(_macro_f1_draws(truth, predicted, draws))
    return [np.concatenate(scores) for scores in out]


def _interval(spread: Any) -> tuple[float, float]:
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(spread, [tail, 100 - tail])
    return float(low), float(high)


def _macro_f1(truth: NDArray[np.int64], predicted: NDArray[np.int64]) -> float:
    return float(_macro_f1_draws(truth, predicted, np.arange(len(truth))[None, :])[0])


def macro_f1_estimate(truth: NDArray[np.int64], predicted: NDArray[np.int64], seed: int = 0) -> Estimate:
    """Macro-F1 with a 95% bootstrap percentile interval over the texts (RESAMPLES resamples)."""
    (spread,) = _resampled(truth, [predicted], seed)
    low, high = _interval(spread)
    return Estimate(_macro_f1(truth, predicted), low, high, len(truth), float(spread.std(ddof=1)), CONFIDENCE)


def macro_f1_difference(
    truth: NDArray[np.int64], a: NDArray[np.int64], b: NDArray[np.int64], seed: int = 0
) -> Difference:
    """B's macro-F1 minus A's on the same texts, with a paired bootstrap interval and two-sided p-value."""
    spread_a, spread_b = _resampled(truth, [a, b], seed)
    spread = spread_b - spread_a
    low, high = _interval(spread)
    p_value = min(1.0, 2 * min(float((spread <= 0).mean()), float((spread >= 0).mean())))
    value = _macro_f1(truth, b) - _macro_f1(truth, a)
    return Difference(value, low, high, p_value, len(truth), len(truth), CONFIDENCE)


@dataclass(frozen=True)
class Evaluation:
    """The trained mode's check: trained on `train` labelled texts, scored on `test` others it never saw, beside
    the two readings that need no labels, on the same texts. Macro-F1 weighs the three sentiments equally;
    intervals are 95% bootstrap percentile intervals over the held-out texts; differences are paired."""

    train: int
    test: int
    macro_f1: Estimate
    accuracy: float
    lexicon_macro_f1: Estimate
    lexicon_accuracy: float
    unlabelled_macro_f1: Estimate
    unlabelled_accuracy: float
    over_lexicon: Difference
    over_unlabelled: Difference
    unlabelled_mode: str
    held_out: NDArray[np.bool_] = field(repr=False, compare=False)  # per text: in the held-out part
    # True where the texts shown were read by a model fitted on other texts (a dashboard slice reads its texts
    # with the model fitted once on the whole store's sample): the figures then describe that model there
    applied: bool = False

    @property
    def labels_help(self) -> bool:
        """True when the model trained on the labels scored at least as well as the no-label reading on the
        held-out texts; otherwise the results shown are the no-label reading's."""
        return self.over_unlabelled.value >= 0

    def sentence(self) -> str:
        """The check in words a CX analyst can act on."""
        m, lex, free = self.macro_f1, self.lexicon_macro_f1, self.unlabelled_macro_f1
        used = (
            f"The results shown come from a model trained on all {self.train + self.test:,} labelled texts."
            if self.labels_help
            else "Training on your labels did not beat the reading that needs no labels on these texts, so the "
            "results shown are that reading's."
        )
        where = (
            "These texts are read by the model fitted once on the whole store's sample, not on this selection; "
            "the check describes that model there. "
            if self.applied
            else ""
        )
        return where + (
            f"Checked on {self.test:,} labelled texts held out from training (trained on the other "
            f"{self.train:,}): macro-F1 {m.value:.2f} [{m.low:.2f}, {m.high:.2f}]. On the same texts the "
            f"lexicon alone (no training) scores {lex.value:.2f} [{lex.low:.2f}, {lex.high:.2f}] and the "
            f"reading that needs no labels ({self.unlabelled_mode.removesuffix(' (no labels)')}) "
            f"{free.value:.2f} [{free.low:.2f}, {free.high:.2f}]. {used} Macro-F1 weighs negative, neutral and "
            "positive equally, so a reader that calls most texts positive cannot score well by it; [low, high] "
            "is a 95% bootstrap interval."
        )


@dataclass(frozen=True)
class Sentiment:
    """Labels (0 negative, 1 neutral, 2 positive), scores (P(positive) - P(negative)) and how they were made."""

    labels: NDArray[np.int64]
    scores: NDArray[np.float64]
    mode: str
    evaluation: Evaluation | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per text; with the trained mode, whether the text was held out for its check."""
        frame = pd.DataFrame({"sentiment": [LABELS[i] for i in self.labels], "score": self.scores})
        if self.evaluation is not None:
            frame["held_out"] = self.evaluation.held_out
        return frame


def _result(probs: NDArray[np.float64], mode: str, evaluation: Evaluation | None = None) -> Sentiment:
    return Sentiment(probs.argmax(axis=1).astype(np.int64), probs[:, 2] - probs[:, 0], mode, evaluation)


def lexicon_sentiment(texts: list[str]) -> Sentiment:
    """The lexicon mode: plain VADER and its documented rule (compound >= 0.05 positive, <= -0.05 negative)."""
    compound = lexicon_scores(texts)[:, 0]
    return Sentiment(lexicon_labels(compound), compound, "lexicon")


@dataclass(frozen=True)
class Reader:
    """A sentiment reading fitted on one set of texts, to read any texts with: the lexicon alone; anchors
    (nothing fitted); self-trained (`head`, fitted on the anchors' labels of the texts it was fitted on); or
    trained on labels (`model`, on the embedding, the lexicon, the anchors and the no-label reading), with
    the check made when it was fitted. Fitted once on the whole store's sample, it reads a slice's texts
    exactly as it read them there."""

    mode: str
    head: LogisticRegression | None = field(default=None, repr=False, compare=False)
    model: LogisticRegression | None = field(default=None, repr=False, compare=False)
    evaluation: Evaluation | None = None

    def read(
        self,
        texts: list[str],
        embeddings: NDArray[np.float32] | None = None,
        held_out: NDArray[np.bool_] | None = None,
    ) -> Sentiment:
        """The sentiment of `texts` (embeddings needed unless the mode is the lexicon's); `held_out` marks
        those that were held out for the check where it was fitted (default: none of them)."""
        if self.mode == "lexicon":
            return lexicon_sentiment(texts)
        if embeddings is None:
            raise ValueError(f"the {self.mode} sentiment reading needs the texts' embeddings")
        lexicon = lexicon_scores(texts, cx=True)
        similarity = anchor_similarity(embeddings)
        probs = self._probs(embeddings, lexicon, similarity)
        evaluation = self.evaluation
        if evaluation is not None:
            mask = np.zeros(len(texts), dtype=bool) if held_out is None else held_out
            evaluation = replace(evaluation, held_out=mask, applied=True)
        return _result(probs, self.mode, evaluation)

    def unlabelled(
        self, embeddings: NDArray[np.float32], lexicon: NDArray[np.float64], similarity: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """The reading that needs no labels: the anchors', averaged with the self-trained head's if any."""
        anchors = anchor_probs(similarity, lexicon)
        if self.head is None:
            return anchors
        learned = self.head.predict_proba(embeddings)
        return np.asarray(HEAD_WEIGHT * learned + (1 - HEAD_WEIGHT) * anchors, dtype=np.float64)

    def _probs(
        self, embeddings: NDArray[np.float32], lexicon: NDArray[np.float64], similarity: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        free = self.unlabelled(embeddings, lexicon, similarity)
        if self.model is None:
            return free
        features = np.hstack([embeddings.astype(np.float64), lexicon, similarity, free])
        return np.asarray(self.model.predict_proba(features), dtype=np.float64)


def _no_labels(
    embeddings: NDArray[np.float32],
    lexicon: NDArray[np.float64],
    similarity: NDArray[np.float64],
    self_train: bool = True,
) -> tuple[Reader, NDArray[np.float64]]:
    head = self_trained_head(embeddings, anchor_probs(similarity, lexicon)) if self_train else None
    reader = Reader("anchors (no labels)" if head is None else "self-trained (no labels)", head)
    return reader, reader.unlabelled(embeddings, lexicon, similarity)


def no_label_sentiment(
    texts: list[str], embeddings: NDArray[np.float32], self_train: bool = True
) -> Sentiment:
    """Sentiment without labels: self-trained when the texts allow (else, or with `self_train` False, anchors)."""
    lexicon = lexicon_scores(texts, cx=True)
    reader, probs = _no_labels(embeddings, lexicon, anchor_similarity(embeddings), self_train)
    return _result(probs, reader.mode)


def _fit(features: NDArray[np.float64], labels: NDArray[np.int64]) -> LogisticRegression:
    return LogisticRegression(max_iter=3000, class_weight="balanced", C=1.0).fit(features, labels)


def _trained(
    texts: list[str],
    features: NDArray[np.float64],
    unlabelled: tuple[Reader, NDArray[np.float64]],
    labels: NDArray[np.int64],
    seed: int,
) -> tuple[Reader, Sentiment]:
    free_reader, free_probs = unlabelled
    rows = np.flatnonzero(labels >= 0)
    train, test = train_test_split(
        rows, test_size=held_out_size(len(rows)), random_state=seed, stratify=labels[rows]
    )
    test = np.sort(test)  # in the texts' order, so anyone can recompute the check from `held_out`
    truth = labels[test]
    model = _fit(features[train], labels[train]).predict(features[test]).astype(np.int64)
    lexicon = lexicon_labels(lexicon_scores([texts[i] for i in test])[:, 0])  # plain VADER, the baseline
    free = free_probs[test].argmax(axis=1).astype(np.int64)
    held_out = np.zeros(len(texts), dtype=bool)
    held_out[test] = True
    evaluation = Evaluation(
        len(train),
        len(test),
        macro_f1_estimate(truth, model, seed),
        float((model == truth).mean()),
        macro_f1_estimate(truth, lexicon, seed),
        float((lexicon == truth).mean()),
        macro_f1_estimate(truth, free, seed),
        float((free == truth).mean()),
        macro_f1_difference(truth, lexicon, model, seed),
        macro_f1_difference(truth, free, model, seed),
        free_reader.mode,
        held_out,
    )
    if not evaluation.labels_help:  # labels that read worse than none are not used
        return replace(free_reader, evaluation=evaluation), _result(free_probs, free_reader.mode, evaluation)
    final = _fit(features[rows], labels[rows])
    reader = Reader("trained on your labels", free_reader.head, final, evaluation)
    return reader, _result(final.predict_proba(features), reader.mode, evaluation)


def fit_sentiment(
    texts: list[str],
    embeddings: NDArray[np.float32] | None = None,
    labels: NDArray[np.int64] | None = None,
    seed: int = 0,
) -> tuple[Reader, Sentiment]:
    """The reading `sentiment` chooses for these texts, fitted on them, and its sentiment of them: what
    `Reader.read` of the same texts gives, without reading them twice."""
    if embeddings is None:
        return Reader("lexicon"), lexicon_sentiment(texts)
    lexicon = lexicon_scores(texts, cx=True)
    similarity = anchor_similarity(embeddings)
    unlabelled = _no_labels(embeddings, lexicon, similarity)
    if labels is not None and np.bincount(labels[labels >= 0], minlength=3).min() >= MIN_PER_CLASS:
        features = np.hstack([embeddings.astype(np.float64), lexicon, similarity, unlabelled[1]])
        return _trained(texts, features, unlabelled, labels, seed)
    return unlabelled[0], _result(unlabelled[1], unlabelled[0].mode)


def sentiment(
    texts: list[str],
    embeddings: NDArray[np.float32] | None = None,
    labels: NDArray[np.int64] | None = None,
    seed: int = 0,
) -> Sentiment:
    """Sentiment of every text: trained on `labels` (-1 = unlabelled) when each class has enough of them and
    the trained model beats the no-label reading on held-out labelled texts; else without labels when
    embeddings are given (self-trained, or anchors on too few texts); else the lexicon alone."""
    return fit_sentiment(texts, embeddings, labels, seed)[1]


def labels_from_stars(stars: NDArray[np.float64]) -> NDArray[np.int64]:
    """Weak labels from 1-5 stars (or CSAT): 1-2 negative, 3 neutral, 4-5 positive, missing -1."""
    out = np.full(len(stars), -1, dtype=np.int64)
    out[stars < 2.5] = 0  # converted scales give fractions (3.67 on 1-5): each falls in its nearest band
    out[(stars >= 2.5) & (stars < 3.5)] = 1
    out[stars >= 3.5] = 2
    return out


def labels_from_nps(nps: NDArray[np.float64]) -> NDArray[np.int64]:
    """Weak labels from the author's NPS answer: detractor, passive, promoter; missing -1."""
    out = np.full(len(nps), -1, dtype=np.int64)
    out[nps <= 6] = 0
    out[(nps >= 7) & (nps <= 8)] = 1
    out[nps >= 9] = 2
    return out
