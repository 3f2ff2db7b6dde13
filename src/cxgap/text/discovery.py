"""Topic discovery: what customers write about when nobody configured themes. Texts are clustered by meaning
(k-means on their embeddings) and each cluster is named by the subject words most distinctive of it, after
the words that name nothing are set aside: @handles, URLs, the '#' of hashtags, numbers, English stop words,
filler, and words in most texts (a brand name, "hotel" in hotel reviews). The topics are proposed as themes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from sklearn.metrics import silhouette_score

from cxgap.config import Theme
from cxgap.text.model import distinct_points

HANDLE = re.compile(r"(?<![\w@])@(\w+)")
URL = re.compile(r"(?:https?://|www\.)\S+|\b\w+(?:\.\w+)*\.(?:com|co|ly|net|org|io|me)/\S*", re.IGNORECASE)
NUMBER = re.compile(r"\b\w*\d\w*\b")
# what is left of a URL once an export has stripped its punctuation ("http tco 4fk2l")
URL_PARTS = frozenset({"http", "https", "www", "com", "co", "tco", "html", "htm", "amp", "rt"})
# conversational filler that names no subject (beyond sklearn's English stop words)
FILLER = frozenset(
    "just really got did does didn doesn don dont im ive id ll ve isn wasn aren won wont cant couldn "
    "like lol oh ok okay hi hey yes yeah guys pls plz u ur come came going want wanted know think thought "
    "make".split()
)
# praise and blame in general: they say how a text feels (sentiment's job), not what it is about
GENERIC = frozenset(
    "good great nice excellent wonderful amazing fantastic awesome lovely perfect best better bad worse worst "
    "terrible horrible awful poor love loved recommend recommended highly definitely".split()
)
BIGRAM_SHARE = 0.6  # a word this often said within a two-word term is named by that term
COMMON = 0.5  # a word in more than this share of the texts names no single topic (a brand, "hotel")
WORD = r"(?u)\b[^\W\d_][^\W\d_]+\b"  # two letters or more, no digits
BREAK = re.compile(r"[,.;:!?()\[\]\"]+")  # a two-word term never spans these
# sklearn's list counts a few words as stop words that name what customers complain about
KEPT_SUBJECTS = frozenset({"bill", "call", "system", "fire", "thin", "thick", "front", "interest", "empty"})


def strip_noise(text: str) -> str:
    """The text without @handles, URLs and the '#' of hashtags: what the embedding should read (a text
    with none of them comes back as it is, so its cached embedding serves)."""
    cleaned = HANDLE.sub(" ", URL.sub(" ", text)).replace("#", " ")
    return text if cleaned == text else " ".join(cleaned.split())


def naming_text(text: str) -> str:
    """The text as topics are named from: lower case, without handles, URLs, hashtags' '#' or numbers."""
    return " ".join(NUMBER.sub(" ", strip_noise(text)).lower().split())


def stop_words(texts: list[str], common: float = COMMON) -> frozenset[str]:
    """The words no topic is named by: English stop words (sklearn's, but for a few subject words such as
    "bill" and "call"), URL parts, filler, general praise and blame, the names used as @handles anywhere
    in `texts`, and the words in more than `common` of the texts."""
    handles = {h.lower() for t in texts for h in HANDLE.findall(t)}
    stop = (set(ENGLISH_STOP_WORDS) - KEPT_SUBJECTS) | URL_PARTS | FILLER | GENERIC | handles
    cleaned = [naming_text(t) for t in texts]
    if len(cleaned) >= 10:  # "most texts" means little in a handful
        counts = CountVectorizer(token_pattern=WORD, binary=True, lowercase=False).fit(cleaned)
        share = np.asarray(counts.transform(cleaned).sum(axis=0)).ravel() / len(cleaned)
        stop |= set(counts.get_feature_names_out()[share > common])
    return frozenset(stop)


@dataclass(frozen=True)
class Discovered:
    """Clusters found without configuration: a name of distinctive words, size and example texts each."""

    labels: NDArray[np.int64]
    names: tuple[str, ...]
    sizes: tuple[int, ...]
    examples: tuple[tuple[str, ...], ...]
    silhouette: float
    words: tuple[tuple[str, ...], ...] = ()  # each topic's distinctive words, best first

    def to_frame(self) -> pd.DataFrame:
        """One row per discovered topic, largest first."""
        frame = pd.DataFrame(
            {"topic": self.names, "texts": self.sizes, "examples": [" | ".join(e) for e in self.examples]}
        )
        return frame.sort_values("texts", ascending=False, ignore_index=True)

    def proposed_themes(self, limit: int = 12) -> dict[str, Theme]:
        """The largest topics as themes to configure: named by their first words, described and keyed by
        all of them (a starting point: the user renames them and says in their words what each is about)."""
        themes: dict[str, Theme] = {}
        for c in sorted(range(len(self.names)), key=lambda c: -self.sizes[c])[:limit]:
            words = self.words[c] if c < len(self.words) else ()
            if not words:
                continue
            key = "_".join("_".join(words[:2]).split())
            name = key if key not in themes else f"{key}_{c}"
            themes[name] = Theme(description=", ".join(words), keywords=list(words))
        return themes

    def themes_toml(self, limit: int = 12) -> str:
        """The proposed themes as a [themes] section ready to paste into cxgap.toml."""
        lines = []
        for name, theme in self.proposed_themes(limit).items():
            lines += [
                f"[themes.{name}]",
                f"description = {json.dumps(theme.description)}",
                f"keywords = [{', '.join(json.dumps(k) for k in theme.keywords)}]",
                "",
            ]
        return "\n".join(lines)


def _terms(text: str, stop: frozenset[str]) -> list[str]:
    """The words of a naming text that are not stop words, and its two-word terms: two such words
    side by side within one clause ("thin walls", not "staff rude" from "staff were rude")."""
    terms: list[str] = []
    for clause in BREAK.split(text):
        tokens = re.findall(WORD, clause)
        terms += [t for t in tokens if t not in stop]
        terms += [f"{a} {b}" for a, b in pairwise(tokens) if a not in stop and b not in stop]
    return terms


def _singular(word: str) -> str:
    """A rough singular, so that "seat" and "seats" count as one word when naming a topic."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _distinct(terms: list[str], counts: dict[str, float], top: int) -> list[str]:
    """The first `top` terms sharing no word (nor its plural) with a term already taken; a word mostly said
    as part of a two-word term is named by that term ("san francisco", not "san" and "francisco")."""
    taken: list[str] = []
    seen: set[str] = set()
    for term in terms:
        if " " not in term:
            pairs = [p for p in terms if p != term and term in p.split()]
            pairs = [p for p in pairs if counts[p] >= BIGRAM_SHARE * counts[term]]
            term = pairs[0] if pairs else term
        words = {_singular(w) for w in term.split()}
        if words & seen:
            continue
        taken.append(term)
        seen |= words
        if len(taken) == top:
            break
    return taken


def _keywords(texts: list[str], labels: NDArray[np.int64], k: int, top: int = 3) -> list[tuple[str, ...]]:
    """Per cluster, the subject words most over-represented in it against the other clusters (each word's
    share in the cluster times the log of its lift over the rest), after the stop list; a cluster with no
    such word gets none."""
    cleaned = [naming_text(t) for t in texts]
    stop = stop_words(texts)
    vectorizer = CountVectorizer(analyzer=lambda text: _terms(text, stop), min_df=2, max_features=20_000)
    try:
        matrix = vectorizer.fit_transform(cleaned)
    except ValueError:  # nothing but stop words, or too few texts to repeat a word
        return [() for _ in range(k)]
    words = [str(w) for w in vectorizer.get_feature_names_out()]
    counts = np.vstack([np.asarray(matrix[labels == c].sum(axis=0)).ravel() for c in range(k)]).astype(float)
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    others = counts.sum(axis=0) - counts
    rest = others / np.maximum(others.sum(axis=1, keepdims=True), 1)
    score = share * np.log((share + 1e-6) / (rest + 1e-6))
    out = []
    for c in range(k):
        ranked = [i for i in np.argsort(-score[c])[:50] if score[c, i] > 0 and counts[c, i] >= 2]
        terms = [words[i] for i in ranked]
        out.append(tuple(_distinct(terms, {words[i]: counts[c, i] for i in ranked}, top)))
    return out


def _choose_k(
    vectors: NDArray[np.float32], k_range: range, seed: int, sample: int, texts: int
) -> tuple[int, float]:
    """The number of clusters with the best silhouette on a sample (a quick k-means per k), never more
    than there are different texts or different vectors (feedback repeats itself; the same text embedded
    in two batches may differ in its last bits)."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(vectors), min(sample, len(vectors)), replace=False)
    points = min(distinct_points(vectors[pick]), texts)
    best: tuple[float, int] = (-1.0, min(k_range.start, points))
    for k in k_range:
        if k >= min(len(pick), points):
            break
        labels = KMeans(k, n_init=1, random_state=seed).fit_predict(vectors[pick])
        score = float(silhouette_score(vectors[pick], labels))
        if score > best[0]:
            best = (score, k)
    return best[1], best[0]


def discover(
    texts: list[str],
    vectors: NDArray[np.float32],
    k_range: range = range(4, 31),
    seed: int = 0,
    sample: int = 5_000,
) -> Discovered:
    """Cluster the embeddings (k-means; k chosen by silhouette on a sample) and name each cluster by its
    subject words. `vectors` should embed the texts without handles and URLs (`strip_noise`), so that
    posts cluster by what they say rather than whom they address or link to."""
    k, silhouette = _choose_k(vectors, k_range, seed, sample, len(set(texts)))
    labels = KMeans(k, n_init=4, random_state=seed).fit_predict(vectors).astype(np.int64)
    words = _keywords(texts, labels, k)
    names = tuple(" / ".join(w) if w else "(no distinctive words)" for w in words)
    sizes = tuple(int((labels == c).sum()) for c in range(k))
    examples = tuple(tuple(texts[i] for i in _typical(vectors, labels, c)) for c in range(k))
    return Discovered(labels, names, sizes, examples, silhouette, tuple(words))


def _typical(
    vectors: NDArray[np.float32], labels: NDArray[np.int64], c: int, n: int = 3
) -> NDArray[np.int64]:
    """The `n` members of cluster `c` closest to its centre: the texts most typical of the topic."""
    members = np.flatnonzero(labels == c)
    centre = vectors[members].mean(axis=0)
    return members[np.argsort(-(vectors[members] @ centre))[:n]]
