"""Themes on hand-labelled hotel reviews: how often a text about no theme gets one, top-theme accuracy,
precision and recall per theme, and zero-shot against labelled examples (k per theme, several draws).

Usage: python benchmarks/theme_quality.py [--data ../shared/data/tripadvisor_hotel_reviews.csv] [--out docs/text-quality.md]

The labels (tests/data/hotel_theme_labels.csv, themes in tests/data/hotel_themes.toml) cover 300 whole reviews
and 300 short texts cut from other reviews; each kind is analysed as one corpus, as `cxgap text` would:
long texts read in passages, sentiment (no labels) per passage, themes assigned by `cxgap.text.topics.assign`.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cxgap.config import Theme
from cxgap.stats import wilson_interval
from cxgap.text.embedding import embed
from cxgap.text.sentiment import sentiment
from cxgap.text.topics import Assignment, Passages, assign, split_passages, theme_vectors

from report import emit, machine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.text.hotel_labels import LabelledText, load_labels  # noqa: E402
from tests.text.test_topics import COMPLAINTS  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tripadvisor_hotel_reviews.csv"
THEMES = ROOT / "tests" / "data" / "hotel_themes.toml"
KINDS = {"review": "whole reviews", "sentence": "short texts"}


def hotel_themes(path: Path = THEMES) -> dict[str, Theme]:
    """The benchmark's themes, as a user would configure them."""
    with path.open("rb") as handle:
        return {name: Theme(**spec) for name, spec in tomllib.load(handle)["themes"].items()}


@dataclass(frozen=True)
class Corpus:
    """One kind of labelled text, read as `cxgap text` reads a store: passages and their sentiment."""

    kind: str
    texts: list[str]
    truth: list[frozenset[str]]
    passages: Passages
    leaning: np.ndarray  # per passage: P(positive) - P(negative), read without labels

    def assign(self, themes: dict[str, Theme]) -> Assignment:
        """The themes of every text of this corpus."""
        return assign(self.passages.vectors, themes, self.passages.owner, self.leaning)


def corpus(labelled: list[LabelledText], kind: str) -> Corpus:
    """The texts of one kind, embedded, cut into passages, with sentiment per passage (no labels)."""
    chosen = [t for t in labelled if t.kind == kind]
    texts = [t.text for t in chosen]
    parts = split_passages(texts, embed(texts).vectors, lambda cut: embed(cut).vectors)
    mood = sentiment(list(parts.texts), parts.vectors).scores
    return Corpus(kind, texts, [t.themes for t in chosen], parts, mood)


@dataclass(frozen=True)
class Scores:
    """Assigned against labelled themes on some texts."""

    texts: int
    none: int  # texts labelled with no theme
    none_given: int  # of those, given a theme
    themed: int
    top_right: int  # texts with a theme whose best assigned theme is one of theirs
    carried: int  # themes assigned, all texts
    per_theme: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # right, assigned, labelled


def measure(assignment: Assignment, truth: list[frozenset[str]], rows: list[int] | None = None) -> Scores:
    """Scores of `assignment` on `rows` (default all) against the labelled theme sets."""
    rows = list(range(len(truth))) if rows is None else rows
    none = [i for i in rows if not truth[i]]
    themed = [i for i in rows if truth[i]]
    per = {
        name: (
            sum(name in assignment.themes[i] and name in truth[i] for i in rows),
            sum(name in assignment.themes[i] for i in rows),
            sum(name in truth[i] for i in rows),
        )
        for name in assignment.names
    }
    return Scores(
        len(rows),
        len(none),
        sum(bool(assignment.themes[i]) for i in none),
        len(themed),
        sum(assignment.best[i] in truth[i] for i in themed),
        sum(len(assignment.themes[i]) for i in rows),
        per,
    )


def fixed_cut(c: Corpus, themes: dict[str, Theme], cut: float = 0.30, within: float = 0.05) -> Assignment:
    """The assignment before issue 16, for comparison: whole texts, every theme with cosine similarity of
    at least 0.30 and within 0.05 of the best, no "other" reference, no polarity."""
    vectors = embed(c.texts).vectors
    similarity = vectors @ theme_vectors(themes).T
    names = tuple(themes)
    carried = tuple(
        tuple(names[j] for j in np.argsort(-row) if row[j] >= max(cut, row.max() - within))
        for row in similarity
    )
    return Assignment(names, tuple(t[0] if t else None for t in carried), carried, similarity)


def _share(k: int, n: int) -> str:
    e = wilson_interval(k, n)
    return f"{e.value:.1%} [{e.low:.1%}, {e.high:.1%}] (n={n})" if n else "no texts"


def zero_shot_lines(results: dict[str, Scores], before: dict[str, Scores]) -> list[str]:
    """Summary table: per kind, false themes on texts about none, top-theme accuracy, themes per text; now
    and with the fixed cut used before."""
    lines = [
        "| texts | assignment | no theme labelled: given one anyway | top theme is a labelled one | themes per text |",
        "|---|---|---|---|---|",
    ]
    for kind in results:
        for label, s in (("before: fixed 0.30 cut", before[kind]), ("now", results[kind])):
            lines.append(
                f"| {KINDS[kind]} | {label} | {_share(s.none_given, s.none)} | {_share(s.top_right, s.themed)} "
                f"| {s.carried / max(s.texts, 1):.2f} |"
            )
    return lines


def per_theme_lines(results: dict[str, Scores]) -> list[str]:
    """Precision and recall per theme, both kinds together."""
    lines = ["| theme | labelled | assigned | precision | recall |", "|---|---|---|---|---|"]
    names = next(iter(results.values())).per_theme
    for name in names:
        right, given, labelled = (sum(s.per_theme[name][i] for s in results.values()) for i in range(3))
        lines.append(
            f"| {name} | {labelled} | {given} | {right / given if given else 0:.2f} "
            f"| {right / labelled if labelled else 0:.2f} |"
        )
    return lines


def complaint_lines(labelled: list[LabelledText], short: Corpus) -> list[str]:
    """The themes worded as complaints (as the airline complaint reasons were) on the short texts: how
    often a text that only praises gets one, and how often a text that only complains gets its own."""
    chosen = [t for t in labelled if t.kind == "sentence"]
    praise = [
        i for i, t in enumerate(chosen) if t.themes and all(t.polarity.get(n) == "pos" for n in t.themes)
    ]
    blame = [
        i for i, t in enumerate(chosen) if t.themes and all(t.polarity.get(n) == "neg" for n in t.themes)
    ]
    themes = {name: Theme(description=wording) for name, wording in COMPLAINTS.items()}
    lines = [
        "| assignment | praise-only texts given a complaint theme | complaint-only texts: top theme is theirs |",
        "|---|---|---|",
    ]
    for label, result in (
        ("before: fixed 0.30 cut", fixed_cut(short, themes)),
        ("now", short.assign(themes)),
    ):
        given = sum(bool(result.themes[i]) for i in praise)
        right = sum(result.best[i] in short.truth[i] for i in blame)
        lines.append(f"| {label} | {_share(given, len(praise))} | {_share(right, len(blame))} |")
    return lines


@dataclass(frozen=True)
class Draw:
    """One draw of k labelled examples per theme: accuracy on the texts not drawn, zero-shot and few-shot."""

    k: int
    seed: int
    kind: str
    held_out: int
    zero_shot: Scores
    few_shot: Scores
    method: str
    cv: dict[str, float]


def draw_examples(corpora: dict[str, Corpus], k: int, seed: int) -> dict[str, set[int]]:
    """k texts per theme (distinct, any kind) drawn from those labelled with it: per kind, the rows drawn."""
    rng = np.random.default_rng(seed)
    pool = [(kind, i) for kind, c in corpora.items() for i in range(len(c.texts))]
    used: set[tuple[str, int]] = set()
    names = sorted({name for c in corpora.values() for t in c.truth for name in t})
    for name in names:
        candidates = [p for p in pool if name in corpora[p[0]].truth[p[1]] and p not in used]
        for j in rng.choice(len(candidates), min(k, len(candidates)), replace=False):
            used.add(candidates[int(j)])
    return {kind: {i for kd, i in used if kd == kind} for kind in corpora}


def few_shot(
    corpora: dict[str, Corpus], themes: dict[str, Theme], zero: dict[str, Assignment], k: int, seed: int
) -> list[Draw]:
    """Themes with k labelled examples each (one draw) against zero-shot, on the texts not drawn."""
    drawn = draw_examples(corpora, k, seed)
    examples: dict[str, list[str]] = {name: [] for name in themes}
    for kind, rows in drawn.items():
        for i in sorted(rows):
            for name in corpora[kind].truth[i]:
                examples[name].append(corpora[kind].texts[i])
    taught = {name: t.model_copy(update={"examples": examples[name]}) for name, t in themes.items()}
    out = []
    for kind, c in corpora.items():
        held = [i for i in range(len(c.texts)) if i not in drawn[kind]]
        result = c.assign(taught)
        cv = result.choice.accuracy if result.choice else {}
        out.append(
            Draw(
                k,
                seed,
                kind,
                len(held),
                measure(zero[kind], c.truth, held),
                measure(result, c.truth, held),
                result.method,
                cv,
            )
        )
    return out


def few_shot_lines(draws: list[Draw]) -> list[str]:
    """One row per draw and kind: top-theme accuracy zero-shot and with examples on the same held-out texts."""
    lines = [
        "| examples per theme | seed | texts | held out | top theme right: zero-shot | with examples "
        "| no theme: given one (zero-shot / with examples) | themes per text | method chosen "
        "| cross-validated accuracy |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for d in draws:
        z, f = d.zero_shot, d.few_shot
        cv = ", ".join(f"{m} {a:.2f}" for m, a in d.cv.items())
        lines.append(
            f"| {d.k} | {d.seed} | {KINDS[d.kind]} | {d.held_out} | {z.top_right / max(z.themed, 1):.3f} "
            f"| {f.top_right / max(f.themed, 1):.3f} | {z.none_given}/{z.none} / {f.none_given}/{f.none} "
            f"| {z.carried / max(z.texts, 1):.2f} / {f.carried / max(f.texts, 1):.2f} | {d.method} | {cv} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    labelled = load_labels(args.data)
    themes = hotel_themes()
    corpora = {kind: corpus(labelled, kind) for kind in KINDS}
    zero = {kind: c.assign(themes) for kind, c in corpora.items()}
    results = {kind: measure(zero[kind], c.truth) for kind, c in corpora.items()}
    before = {kind: measure(fixed_cut(c, themes), c.truth) for kind, c in corpora.items()}
    draws = [
        d for k in (5, 20) for seed in range(args.seeds) for d in few_shot(corpora, themes, zero, k, seed)
    ]
    lines = [
        f"### Zero-shot on {sum(len(c.texts) for c in corpora.values())} hand-labelled texts ({machine()})",
        "",
        *zero_shot_lines(results, before),
        "",
        *per_theme_lines(results),
        "",
        "### Themes worded as complaints, on the short texts",
        "",
        *complaint_lines(labelled, corpora["sentence"]),
        "",
        "### Labelled examples against zero-shot",
        "",
        *few_shot_lines(draws),
        "",
    ]
    emit("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
