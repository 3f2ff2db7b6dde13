"""Themes: which configured themes each text is about, with an honest "none". Discovery of topics nobody
configured is in cxgap.text.discovery.

A text (a long one passage by passage) gets a theme only when it is closer to the theme than to every
"other" reference by a margin: generic sentences about no theme, and the centres of the user's own texts
that match no theme. Similarities are taken after removing what all the user's texts share (their mean),
so a theme is not given to a text merely for being about the same product. A complaint theme is never
given to a positive text. With labelled examples, the method is chosen by cross-validation on them among
zero-shot, prototypes and a trained head; none of these choices needs texts labelled "none".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression

from cxgap.config import Theme
from cxgap.text.model import distinct_points, encode
from cxgap.text.sentiment import lexicon_scores

Vectors = NDArray[np.float32]

MARGIN = 0.05  # a theme must beat the closest "other" reference by this much (cosine, after centring)
WITHIN = 0.05  # further themes count when this close to the best one
OTHER_SHARE = 0.2  # the share of texts least like any theme that is clustered into "other" references
OTHER_MIN_TEXTS = 100  # fewer texts: generic sentences are the only "other" references
OTHER_PER_CENTRE = 20  # texts per "other" centre (at most OTHER_MAX_CENTRES)
OTHER_MAX_CENTRES = 8
PASSAGE_MIN_WORDS, PASSAGE_MAX_WORDS = 12, 25  # a longer text is read in passages of this many words
CLAUSE_ENDS = (",", ".", "!", "?", ";", ":")
COMPLAINT_PROBABILITY = 0.8  # P(negative | description) above which an unset polarity reads as complaint
PRAISE_PROBABILITY = 0.2  # ... unless one of its "or" alternatives reads as positive (P(negative) at most)
MIN_POLAR_TEXTS = 30  # negative and positive texts each needed to read a description's polarity

GENERIC = tuple(  # theme-free sentences: thanks, verdicts, questions, small talk; a theme must beat them all
    "thank you; thanks so much, really appreciate it; great experience overall; it was fine; ok; "
    "nothing special; i would recommend it; i would not recommend it; very disappointed; "
    "we had a wonderful time; this was terrible; just wanted to say; see you next time; "
    "we will be back; overall it was good; overall it was bad; no complaints; love it; never again; "
    "i have a question; please help; any update?; great; awful; amazing; "
    "i am writing about my experience; the best ever; the worst ever; what happened?; "
    "it is what it is; we went there last month; my wife and i; this was my first time; "
    "i have been a customer for years; read the reviews before going; can someone get back to me".split("; ")
)


_ENCODED: dict[str, NDArray[np.float32]] = {}  # descriptions, generic sentences, examples: few, reused


def _encode(texts: list[str]) -> Vectors:
    """`encode`, remembering the few short texts this module embeds on every run."""
    todo = [t for t in dict.fromkeys(texts) if t not in _ENCODED]
    if len(_ENCODED) + len(todo) > 50_000:
        _ENCODED.clear()
    if todo:
        _ENCODED.update(zip(todo, encode(todo), strict=True))
    return np.array([_ENCODED[t] for t in texts], dtype=np.float32).reshape(len(texts), -1)


def passages(text: str) -> list[str]:
    """A text as it is read for themes: whole up to 25 words; longer, cut into passages of 12-25 words at
    clause ends, so that a review is about every theme one of its passages is about."""
    words = text.split()
    if len(words) <= PASSAGE_MAX_WORDS:
        return [text]
    out: list[str] = []
    current: list[str] = []
    for word in words:
        current.append(word)
        if len(current) >= PASSAGE_MAX_WORDS or (
            len(current) >= PASSAGE_MIN_WORDS and word.endswith(CLAUSE_ENDS)
        ):
            out.append(" ".join(current))
            current = []
    if current and len(current) < PASSAGE_MIN_WORDS // 2:
        out[-1] += " " + " ".join(current)
    elif current:
        out.append(" ".join(current))
    return out


@dataclass(frozen=True)
class Passages:
    """Every text's passages: their vectors, the text each belongs to, their words and whether a passage is
    its whole text (whose vector is the text's own)."""

    vectors: Vectors
    owner: NDArray[np.int64]
    texts: tuple[str, ...]
    whole: NDArray[np.bool_]


def split_passages(
    texts: list[str], vectors: Vectors, encode_passages: Callable[[list[str]], Vectors] = encode
) -> Passages:
    """The passages of `texts` (vectors: the texts' own embeddings, reused for short texts); only the
    passages of long texts are embedded, by `encode_passages` (a store's cache, say)."""
    parts: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        cut = passages(text)
        parts += cut
        owner += [i] * len(cut)
    index = np.array(owner, dtype=np.int64)
    whole = np.bincount(index, minlength=len(texts))[index] == 1 if len(index) else np.zeros(0, bool)
    out = np.zeros((len(parts), vectors.shape[1] if vectors.ndim == 2 else 384), dtype=np.float32)
    out[whole] = vectors[index[whole]]
    if (~whole).any():
        out[~whole] = encode_passages([parts[k] for k in np.flatnonzero(~whole)])
    return Passages(out, index, tuple(parts), whole)


def theme_vectors(themes: dict[str, Theme]) -> Vectors:
    """One unit vector per theme: the mean of its description and keywords (labelled examples are used by
    the methods that learn from them, not here)."""
    rows = []
    for theme in themes.values():
        centre = _encode([theme.description, *theme.keywords]).mean(axis=0)
        rows.append(centre / np.linalg.norm(centre))
    return np.array(rows, dtype=np.float32).reshape(len(rows), -1)


def _unit(x: NDArray[np.floating]) -> NDArray[np.float64]:
    x = np.asarray(x, dtype=np.float64)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.asarray(x / np.where(norm > 0, norm, 1.0))


@dataclass(frozen=True)
class Space:
    """The user's texts' space: similarities after removing their mean, and the "other" references (generic
    sentences, plus centres of the texts least like any theme) that a theme must beat."""

    centre: NDArray[np.float64]
    references: NDArray[np.float64]

    @classmethod
    def of(cls, vectors: Vectors, themes: Vectors, seed: int = 0) -> Space:
        """The space of `vectors` for the theme vectors `themes`. The mean counts the generic sentences
        too, so that a handful of texts is not centred on itself."""
        generic = _encode(list(GENERIC))
        total = vectors.astype(np.float64).sum(axis=0) + generic.sum(axis=0)
        space = cls(total / (len(vectors) + len(generic)), np.zeros((0, vectors.shape[1])))
        space = cls(space.centre, space.centred(generic))
        return space.with_others(space.centred(vectors), space.centred(themes), seed)

    def with_others(self, centred: NDArray[np.float64], themes: NDArray[np.float64], seed: int) -> Space:
        """Add the centres of the user's texts about nothing: those already closer to a generic sentence
        than to any theme (at most the lowest OTHER_SHARE), clustered; a centre that is itself closer to a
        theme than to the generic sentences is dropped, so that no theme's own texts become "other"."""
        best = self.margins(centred, themes).max(axis=1)
        low = centred[best <= min(0.0, float(np.quantile(best, OTHER_SHARE)))] if len(best) else centred
        if len(centred) < OTHER_MIN_TEXTS or len(low) < OTHER_PER_CENTRE:
            return self
        k = min(OTHER_MAX_CENTRES, len(low) // OTHER_PER_CENTRE, distinct_points(low))  # texts repeat
        found = _unit(KMeans(k, n_init=4, random_state=seed).fit(low).cluster_centers_)
        other = found[self.margins(found, themes).max(axis=1) <= 0]
        return Space(self.centre, np.vstack([self.references, other]))

    def centred(self, vectors: NDArray[np.floating]) -> NDArray[np.float64]:
        """Unit vectors after removing the user's mean."""
        return _unit(np.asarray(vectors, dtype=np.float64) - self.centre)

    def margins(self, centred: NDArray[np.float64], themes: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per text and theme: similarity to the theme less the similarity to the closest "other" reference
        (both arguments centred)."""
        return np.asarray(centred @ themes.T - (centred @ self.references.T).max(axis=1, keepdims=True))


@dataclass(frozen=True)
class Scored:
    """One method's reading of every passage: a score per theme (higher: more about it; margins or
    probabilities) and the themes close enough to the best one to be carried too."""

    score: NDArray[np.float64]
    carry: NDArray[np.bool_]


def zero_shot(margins: NDArray[np.float64]) -> Scored:
    """Themes by margin alone: every theme past MARGIN and within WITHIN of the best."""
    top = margins.max(axis=1, keepdims=True) if margins.size else margins
    return Scored(margins, (margins > MARGIN) & (margins >= top - WITHIN))


def polarity(
    themes: dict[str, Theme], vectors: Vectors, leaning: NDArray[np.float64] | None
) -> dict[str, str]:
    """Each theme's polarity: as configured, else "complaint" when its description reads negative and none
    of its "or" alternatives ("clean or dirty") reads positive, else "either"; without sentiment, all
    "either". A phrase reads negative by the VADER lexicon (compound <= -0.05) or by a sentiment reading
    fitted on the user's own texts, those leaning negative against those leaning positive (probability >=
    COMPLAINT_PROBABILITY), and positive by the lexicon (>= 0.05) or that reading (probability of negative
    <= PRAISE_PROBABILITY)."""
    out: dict[str, str] = {name: theme.polarity or "either" for name, theme in themes.items()}
    unset = [name for name, theme in themes.items() if theme.polarity is None]
    if leaning is None or not unset:
        return out
    reader = _sentiment_reader(vectors, leaning)
    for name in unset:
        description = themes[name].description
        phrases = [description, *(p.strip() for p in re.split(r"\bor\b", description) if p.strip())]
        lexicon = lexicon_scores(phrases)[:, 0]
        negative = reader.predict_proba(_encode(phrases))[:, 1] if reader else np.full(len(phrases), 0.5)
        reads_negative = lexicon[0] <= -0.05 or negative[0] >= COMPLAINT_PROBABILITY
        reads_positive = (lexicon[1:] >= 0.05) | (negative[1:] <= PRAISE_PROBABILITY)
        if reads_negative and not reads_positive.any():
            out[name] = "complaint"
    return out


def _sentiment_reader(vectors: Vectors, leaning: NDArray[np.float64]) -> LogisticRegression | None:
    """The user's own texts leaning negative against those leaning positive, as a logistic regression on
    their embeddings (None with fewer than MIN_POLAR_TEXTS of either)."""
    polar = np.flatnonzero(leaning != 0)
    negative = leaning[polar] < 0
    if min(int(negative.sum()), int((~negative).sum())) < MIN_POLAR_TEXTS:
        return None
    pick = np.random.default_rng(0).permutation(polar)[:5_000]
    return LogisticRegression(max_iter=2_000, class_weight="balanced").fit(vectors[pick], leaning[pick] < 0)


def allowed(leaning: NDArray[np.float64] | None, polarities: list[str]) -> NDArray[np.bool_] | None:
    """Per passage and theme: whether the theme may be given (complaints not to passages leaning positive,
    praise not to those leaning negative); None when no sentiment is known."""
    if leaning is None:
        return None
    kinds = np.array(polarities)
    barred = ((leaning > 0)[:, None] & (kinds == "complaint")) | (
        (leaning < 0)[:, None] & (kinds == "praise")
    )
    return np.asarray(~barred, dtype=np.bool_)


@dataclass(frozen=True)
class MethodChoice:
    """How labelled examples were used: the method chosen, each method's accuracy on held-out examples
    (cross-validation) and how many examples there were."""

    method: str
    accuracy: dict[str, float]
    examples: int
    reason: str

    def sentence(self) -> str:
        """The choice in words, for the surfaces."""
        scores = ", ".join(f"{m} {a:.0%}" for m, a in self.accuracy.items())
        return f"themes: {self.method}; {self.reason}" + (f" (held-out accuracy: {scores})" if scores else "")


@dataclass(frozen=True)
class Assignment:
    """Per text: its best theme (None: about no theme), every theme it carries, the raw similarity and the
    method's score per theme (the highest of its passages); how themes were assigned (the method, the
    choice among methods when examples were given) and each theme's polarity ("complaint" or "either")."""

    names: tuple[str, ...]
    best: tuple[str | None, ...]
    themes: tuple[tuple[str, ...], ...]
    similarity: NDArray[np.float32]
    scores: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    method: str = "zero-shot"
    choice: MethodChoice | None = None
    polarity: dict[str, str] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per text: best theme, all themes, and a score_<theme> column per theme."""
        frame = pd.DataFrame({"theme": self.best, "themes": [", ".join(t) for t in self.themes]})
        for j, name in enumerate(self.names):
            frame[f"score_{name}"] = self.scores[:, j] if len(self.scores) else []
        return frame

    def sentence(self) -> str:
        """How themes were assigned, in words: the method and the themes read as complaints."""
        said = self.choice.sentence() if self.choice else "themes: zero-shot, from their descriptions"
        complaints = [name for name, kind in self.polarity.items() if kind == "complaint"]
        if complaints:
            said += f"; complaints, never given to texts leaning positive: {', '.join(complaints)}"
        return said

    def typical(self, name: str, k: int = 3) -> list[int]:
        """The texts most typical of theme `name`: those whose best theme it is, highest score first."""
        j = self.names.index(name)
        rows = [i for i, best in enumerate(self.best) if best == name]
        return sorted(rows, key=lambda i: -float(self.scores[i, j]))[:k]


MIN_EXAMPLES_TO_CHOOSE = 10  # labelled example texts needed to choose a method by cross-validation
MIN_HEAD_EXAMPLES = 3  # examples per theme, every theme, for the trained head to be tried
FOLDS = 5
HEAD_CARRY = 0.5  # the head carries further themes this share as likely as its best (and past MARGIN)


@dataclass(frozen=True)
class Examples:
    """Labelled example texts in the user's space: every passage (centred, zero-shot margins, its text) and
    each text's themes; for training, one row per (text, theme): the passage most about that theme."""

    centred: NDArray[np.float64]
    margins: NDArray[np.float64]
    owner: NDArray[np.int64]
    labels: tuple[frozenset[int], ...]
    rows: NDArray[np.int64]
    theme: NDArray[np.int64]
    group: NDArray[np.int64]


def examples_of(themes: dict[str, Theme], space: Space, described: NDArray[np.float64]) -> Examples | None:
    """The themes' labelled examples in the user's space (`described`: the centred theme vectors)."""
    listed: dict[str, set[int]] = {}
    for j, theme in enumerate(themes.values()):
        for text in theme.examples:
            listed.setdefault(text, set()).add(j)
    if not listed:
        return None
    cut = [passages(text) for text in listed]
    centred = space.centred(_encode([p for c in cut for p in c]))
    owner = np.repeat(np.arange(len(cut)), [len(c) for c in cut])
    margins = space.margins(centred, described)
    pairs = [(g, j) for g, js in enumerate(listed.values()) for j in sorted(js)]
    rows = [int(np.flatnonzero(owner == g)[margins[owner == g, j].argmax()]) for g, j in pairs]
    labels = tuple(frozenset(js) for js in listed.values())
    of_theme, group = (np.array([pair[k] for pair in pairs], dtype=np.int64) for k in (1, 0))
    return Examples(centred, margins, owner, labels, np.array(rows, dtype=np.int64), of_theme, group)


Method = Callable[[NDArray[np.float64], NDArray[np.float64]], Scored]  # (centred, margins) -> scores


@dataclass(frozen=True)
class ZeroShot:
    """Themes by their descriptions alone (`zero_shot` of the margins)."""

    def __call__(self, centred: NDArray[np.float64], margins: NDArray[np.float64]) -> Scored:
        return zero_shot(margins)


@dataclass(frozen=True)
class Prototype:
    """Margins to the themes' prototypes (each theme's vector pulled towards its examples)."""

    space: Space
    vectors: NDArray[np.float64]

    def __call__(self, centred: NDArray[np.float64], margins: NDArray[np.float64]) -> Scored:
        return zero_shot(self.space.margins(centred, self.vectors))


def prototype(space: Space, described: NDArray[np.float64], ex: Examples, train: NDArray[np.bool_]) -> Method:
    """Each theme's vector pulled halfway to the mean of its examples (texts in `train`); then margins."""
    protos = []
    for j, d in enumerate(described):
        mine = ex.centred[ex.rows[train[ex.group] & (ex.theme == j)]]
        protos.append(_unit(d + (_unit(mine.mean(axis=0)) if len(mine) else 0.0)))
    return Prototype(space, np.array(protos))


@dataclass(frozen=True)
class Head:
    """A logistic regression on the embedding and the zero-shot margins; a further theme is carried when
    it is HEAD_CARRY as likely as the best one and its description agrees (past MARGIN)."""

    model: LogisticRegression
    themes: int

    def __call__(self, centred: NDArray[np.float64], margins: NDArray[np.float64]) -> Scored:
        p = np.zeros((len(centred), self.themes))
        p[:, self.model.classes_] = self.model.predict_proba(np.hstack([centred, margins]))
        further = (p >= HEAD_CARRY * p.max(axis=1, keepdims=True)) & (margins > MARGIN)
        return Scored(p, further)


def head(ex: Examples, train: NDArray[np.bool_], themes: int, seed: int) -> Method:
    """A logistic regression on the embedding and the zero-shot margins, trained on the examples in
    `train`."""
    rows = ex.rows[train[ex.group]]
    model = LogisticRegression(max_iter=3_000, random_state=seed)
    model.fit(np.hstack([ex.centred[rows], ex.margins[rows]]), ex.theme[train[ex.group]])
    return Head(model, themes)


def _text_best(score: NDArray[np.float64], owner: NDArray[np.int64]) -> dict[int, int]:
    """Each text's best theme: that of its surest passage."""
    best: dict[int, tuple[float, int]] = {}
    for row, text in zip(score, owner.tolist(), strict=True):
        j = int(row.argmax())
        if text not in best or row[j] > best[text][0]:
            best[text] = (float(row[j]), j)
    return {text: j for text, (_, j) in best.items()}


def cross_validate(
    ex: Examples, methods: dict[str, Callable[[NDArray[np.bool_]], Method]], seed: int
) -> dict[str, NDArray[np.bool_]]:
    """Per method and example text: whether its best theme is one it is listed under, each text read by
    the method fitted without it (5 folds of texts, dealt round-robin within themes)."""
    texts = len(ex.labels)
    order = np.random.default_rng(seed).permutation(texts)
    first = np.array([min(ex.labels[t]) for t in order])
    fold = np.empty(texts, dtype=np.int64)
    fold[order[np.argsort(first, kind="stable")]] = np.arange(texts) % FOLDS

    def hits(best: dict[int, int]) -> NDArray[np.bool_]:
        return np.array([best[t] in ex.labels[t] for t in sorted(best)])

    out = {"zero-shot": hits(_text_best(ex.margins, ex.owner))}
    for name, fit in methods.items():
        best: dict[int, int] = {}
        for f in range(FOLDS):
            test, train = fold == f, fold != f
            shown = test[ex.owner]
            if test.any() and len(set(ex.theme[train[ex.group]].tolist())) > 1:
                best |= _text_best(fit(train)(ex.centred[shown], ex.margins[shown]).score, ex.owner[shown])
            else:
                best |= _text_best(ex.margins[shown], ex.owner[shown])
        out[name] = hits(best)
    return out


def choose(correct: dict[str, NDArray[np.bool_]]) -> str:
    """The method whose gain over zero-shot on held-out examples is largest once its standard error is
    taken off; zero-shot unless some method's gain stays above zero."""
    zero = correct["zero-shot"].astype(float)
    chosen, best = "zero-shot", 0.0
    for name, hits in correct.items():
        gain = hits.astype(float) - zero
        low = gain.mean() - (gain.std(ddof=1) / np.sqrt(len(gain)) if len(gain) > 1 else np.inf)
        if low > best:
            chosen, best = name, float(low)
    return chosen


def learn(
    themes: dict[str, Theme], space: Space, described: NDArray[np.float64], seed: int = 0
) -> tuple[Method, MethodChoice | None]:
    """How to score passages: zero-shot, or the method that beat it on the themes' labelled examples
    (cross-validated; refitted on all examples); None as the choice when there are no examples."""
    ex = examples_of(themes, space, described)
    if ex is None:
        return ZeroShot(), None
    n = len(ex.labels)
    if n < MIN_EXAMPLES_TO_CHOOSE:
        why = f"{n} labelled examples are too few to choose a method ({MIN_EXAMPLES_TO_CHOOSE} needed)"
        return ZeroShot(), MethodChoice("zero-shot", {}, n, why)
    methods: dict[str, Callable[[NDArray[np.bool_]], Method]] = {
        "prototype": lambda rows: prototype(space, described, ex, rows)
    }
    if len(themes) > 1 and np.bincount(ex.theme, minlength=len(themes)).min() >= MIN_HEAD_EXAMPLES:
        methods["trained head"] = lambda rows: head(ex, rows, len(themes), seed)
    correct = cross_validate(ex, methods, seed)
    chosen = choose(correct)
    accuracy = {name: float(hits.mean()) for name, hits in correct.items()}
    if chosen == "zero-shot":
        why = f"no method beat zero-shot on {n} labelled examples by more than its standard error"
        return ZeroShot(), MethodChoice(chosen, accuracy, n, why)
    why = f"chosen by cross-validation on {n} labelled examples"
    return methods[chosen](np.ones(n, dtype=bool)), MethodChoice(chosen, accuracy, n, why)


def _by_text(
    scored: Scored,
    shown: NDArray[np.float64],
    about: NDArray[np.bool_],
    owner: NDArray[np.int64],
    names: tuple[str, ...],
) -> tuple[tuple[str | None, ...], tuple[tuple[str, ...], ...], NDArray[np.float64]]:
    """Passages to texts: a text's best theme is that of its surest passage about one, it carries every
    theme one of its passages carries, and its score per theme is its passages' highest `shown` score."""
    texts = int(owner.max()) + 1
    scores = np.full((texts, len(names)), -np.inf)
    np.maximum.at(scores, owner, shown)
    best: list[str | None] = [None] * texts
    strength = np.full(texts, -np.inf)
    carried: list[set[int]] = [set() for _ in range(texts)]
    for p in np.flatnonzero(about):
        j = int(scored.score[p].argmax())
        text = int(owner[p])
        carried[text] |= {j, *np.flatnonzero(scored.carry[p]).tolist()}
        if scored.score[p, j] > strength[text]:
            strength[text], best[text] = scored.score[p, j], names[j]
    themes = tuple(
        tuple(names[j] for j in sorted(c, key=lambda j: -scores[t, j])) for t, c in enumerate(carried)
    )
    return tuple(best), themes, scores


@dataclass(frozen=True)
class ThemeReader:
    """Themes fitted on one set of texts, to assign to any texts: the space of those texts (their mean and
    the "other" references), the themes' vectors, their polarity and the method their examples chose.
    Fitted once on the whole store's sample, it gives a slice's texts the themes they get there."""

    names: tuple[str, ...]
    described: Vectors
    space: Space | None
    method: Method
    choice: MethodChoice | None
    polarity: dict[str, str]

    def assign(
        self,
        vectors: Vectors,
        owner: NDArray[np.int64] | None = None,
        leaning: NDArray[np.float64] | None = None,
    ) -> Assignment:
        """The themes of each text (`vectors` and `owner` as for `assign`; `leaning` per passage)."""
        names = self.names
        owner = np.arange(len(vectors), dtype=np.int64) if owner is None else owner
        texts = int(owner.max()) + 1 if len(owner) else 0
        if not names or not texts or self.space is None:
            empty = np.zeros((texts, len(names)), np.float32)
            return Assignment(names, (None,) * texts, ((),) * texts, empty, empty.astype(np.float64))
        space, described = self.space, self.space.centred(self.described)
        centred = space.centred(vectors)
        margins = space.margins(centred, described)
        mask = allowed(leaning, [self.polarity[n] for n in names])
        scored = self.method(centred, margins)
        shown = scored.score  # the evidence, before the polarity check
        if mask is not None:
            margins = np.where(mask, margins, -np.inf)
            scored = Scored(np.where(mask, scored.score, -np.inf), scored.carry & mask)
        about = (
            margins.max(axis=1) > MARGIN
        )  # about some theme at all: by the descriptions, never by examples
        best, carried, scores = _by_text(scored, shown, about, owner, names)
        similarity = np.full((texts, len(names)), -1.0, dtype=np.float32)
        np.maximum.at(similarity, owner, (vectors @ self.described.T).astype(np.float32))
        method = self.choice.method if self.choice else "zero-shot"
        return Assignment(names, best, carried, similarity, scores, method, self.choice, self.polarity)


def fit_themes(
    vectors: Vectors, themes: dict[str, Theme], leaning: NDArray[np.float64] | None = None, seed: int = 0
) -> ThemeReader:
    """The themes' reader fitted on `vectors` (passages or whole texts; `leaning` per row as for `assign`):
    the space of these texts, each theme's polarity read against them, the method chosen on the examples."""
    names = tuple(themes)
    if not names or not len(vectors):
        return ThemeReader(names, np.zeros((0, 384), np.float32), None, ZeroShot(), None, {})
    described = theme_vectors(themes)
    space = Space.of(vectors, described, seed)
    polarities = polarity(themes, vectors, leaning)
    method, choice = learn(themes, space, space.centred(described), seed)
    return ThemeReader(names, described, space, method, choice, polarities)


def assign(
    vectors: Vectors,
    themes: dict[str, Theme],
    owner: NDArray[np.int64] | None = None,
    leaning: NDArray[np.float64] | None = None,
    seed: int = 0,
) -> Assignment:
    """The themes of each text. `vectors` are passages (see `split_passages`; `owner` maps each to its
    text) or, without `owner`, whole texts; `leaning` (per passage, P(positive) - P(negative) as
    `Sentiment.scores`) keeps complaint themes off passages leaning positive. Themes with labelled
    examples use the method cross-validation chose on them."""
    return fit_themes(vectors, themes, leaning, seed).assign(vectors, owner, leaning)
