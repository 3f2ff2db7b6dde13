"""The text analysis of a store: every feedback text and survey comment, its sentiment and themes; per theme
the volume, sentiment, the NPS of authors who raise it against those who do not, the trend and alerts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import ibis
import numpy as np
import pandas as pd
import sqlalchemy as sa

from cxgap.config import Settings, Theme, themes_for
from cxgap.drivers.data import md5
from cxgap.engine import ALL, Engine, Filters
from cxgap.errors import NotFound
from cxgap.impact.linkage import nps_groups
from cxgap.stats import Difference, benjamini_hochberg, nps_difference
from cxgap.text.discovery import Discovered, discover, strip_noise
from cxgap.text.embedding import embed
from cxgap.text.sentiment import Reader, Sentiment, fit_sentiment, labels_from_nps, labels_from_stars
from cxgap.text.topics import Assignment, Passages, ThemeReader, fit_themes, split_passages
from cxgap.text.trends import Alert, Watch, watch


@dataclass(frozen=True)
class ThemeSummary:
    """One theme: how often, how negative, what it costs in NPS, where, and examples."""

    theme: str
    touchpoint: str | None
    texts: int
    share: float
    negative: float
    mean_score: float
    nps_impact: Difference | None
    examples: tuple[str, ...]
    q_value: float = float("nan")  # Benjamini-Hochberg across the run's themes


@dataclass(frozen=True)
class PerText:
    """What the analysis concluded about each text, for a user to check one by one: its id and kind (the
    feedback_id of a feedback text, the response_id of a survey comment), sentiment, every theme's score,
    the themes it carries and, when sentiment was trained on the user's labels, whether it was held out."""

    ids: tuple[str, ...]
    kinds: tuple[str, ...]
    texts: tuple[str, ...]
    sentiment: Sentiment
    assignment: Assignment

    def to_frame(self) -> pd.DataFrame:
        """One row per text: id, kind, sentiment and its score, held_out (trained sentiment only), the
        themes it carries, one theme_<name> column per theme with the score its assignment used, the text."""
        frame = self.sentiment.to_frame().rename(columns={"score": "sentiment_score"})
        frame.insert(0, "id", list(self.ids))
        frame.insert(1, "kind", list(self.kinds))
        frame["themes"] = ["; ".join(t) for t in self.assignment.themes]
        a = self.assignment
        decided = a.scores if a.scores.shape == a.similarity.shape else a.similarity  # what assign() used
        scores = {f"theme_{name}": decided[:, j] for j, name in enumerate(a.names)}
        return frame.assign(**scores, text=list(self.texts))

    def of_theme(self, theme: str, limit: int = 100) -> pd.DataFrame:
        """The texts that carry `theme`, the most typical (highest score) first: id, kind, sentiment, its
        score, the theme's score and the text; at most `limit` of them."""
        if theme not in self.assignment.names:
            raise NotFound(f"There is no theme '{theme}'; the themes are {', '.join(self.assignment.names)}.")
        frame = self.to_frame().rename(columns={f"theme_{theme}": "score"})
        carried = np.array([theme in t for t in self.assignment.themes], dtype=bool)
        columns = ["id", "kind", "sentiment", "sentiment_score", "score", "text"]
        return frame.loc[carried, columns].sort_values("score", ascending=False).head(limit)


@dataclass(frozen=True)
class TextModel:
    """What the text analysis fits on its texts, to read others exactly the same way: the sentiment reading
    of whole texts and of the passages cut from long ones, the themes' reader, and which texts (kind, id)
    the sentiment check held out. The dashboard fits it once per store version, on the whole store's
    sample, and reads every slice with it."""

    sentiment: Reader
    passages: Reader
    themes: ThemeReader
    held_out: frozenset[tuple[str, str]]
    texts: int  # the texts it was fitted on


@dataclass(frozen=True)
class TextReport:
    """The whole text analysis."""

    texts: int
    embedded_new: int
    sentiment: Sentiment
    assignment: Assignment
    themes: tuple[ThemeSummary, ...]
    alerts: tuple[Alert, ...]
    discovered: Discovered | None
    weekly: pd.DataFrame
    available: int = 0  # texts in the slice; more than `texts` when the analysis ran on a sample
    alerts_checked: bool = True  # False: too little dated history for the emerging-issue check to run
    notes: tuple[str, ...] = ()  # what could not be measured, and the data it needs
    per_text: PerText | None = None  # each text's id, sentiment and themes (`PerText.to_frame`)
    watch: Watch | None = None  # how the emerging-issue check ran (daily or weekly), or why it could not
    # what was fitted on these texts (None when they were read by a model fitted elsewhere): a handle
    model: TextModel | None = field(default=None, repr=False, compare=False)

    @property
    def sampled(self) -> bool:
        """True when the analysis read a sample of the texts."""
        return self.available > self.texts

    def to_frame(self) -> pd.DataFrame:
        """One row per theme, most mentioned first."""
        rows = []
        for t in self.themes:
            row = {k: v for k, v in asdict(t).items() if k not in ("nps_impact", "examples")}
            impact = t.nps_impact
            row |= {
                "nps_impact": impact.value if impact else np.nan,
                "nps_low": impact.low if impact else np.nan,
                "nps_high": impact.high if impact else np.nan,
                "nps_p": impact.p_value if impact else np.nan,
            }
            rows.append(row)
        return (
            pd.DataFrame(rows).sort_values("texts", ascending=False, ignore_index=True)
            if rows
            else pd.DataFrame()
        )


def load_texts(
    engine: Engine, filters: Filters = ALL, max_texts: int | None = None
) -> tuple[pd.DataFrame, int]:
    """Feedback texts and survey comments (id and kind: the feedback_id of a feedback text, the
    response_id of a survey comment; text, when, customer, star rating or CSAT, NPS) narrowed by
    `filters`, and how many there are; above `max_texts`, a deterministic sample of exactly that many (the
    texts whose MD5 of kind and id sorts first)."""
    customers = engine.table("customers")
    f = filters.on_events(engine.table("feedback"), "received_at", customers, touchpoint=True)
    feedback = f.select(
        key=f.feedback_id.cast("string"),
        kind=ibis.literal("feedback"),
        text=f.text.cast("string"),
        at=f.received_at.cast("timestamp"),
        customer_id=f.customer_id,
        stars=f.rating.cast("float64"),
        nps=ibis.null("float64"),
    )
    r = filters.on_events(engine.table("responses"), "responded_at", customers, touchpoint=True)
    r = r.filter(r.comment.notnull())
    comments = r.select(
        key=r.response_id.cast("string"),
        kind=ibis.literal("response"),
        text=r.comment.cast("string"),
        at=r.responded_at.cast("timestamp"),
        customer_id=r.customer_id,
        stars=r.csat.cast("float64"),
        nps=r.nps.cast("float64"),
    )
    texts = feedback.union(comments)
    texts = texts.filter(texts.text.notnull() & (texts.text.strip() != ""))
    available = int(texts.count().execute())
    if max_texts is not None and available > max_texts:
        # exactly `max_texts`: those whose MD5 of kind and id sorts first, chosen in the backend; the same
        # texts on DuckDB, PostgreSQL and Spark (each backend's own hash() differs), however many there are
        digest = md5(texts.kind + ":" + texts.key)
        texts = texts.order_by([digest, "kind", "key"]).limit(max_texts)
    return pd.DataFrame(texts.order_by(["kind", "key"]).execute()), available  # the same order every run


def _weak_labels(frame: pd.DataFrame) -> np.ndarray:
    """Stars (or CSAT) where present, else the comment's own NPS group: the user's own labels."""
    stars = labels_from_stars(frame["stars"].to_numpy(dtype=float))
    nps = labels_from_nps(frame["nps"].to_numpy(dtype=float))
    return np.where(stars >= 0, stars, nps)


def _impact(
    frame: pd.DataFrame, groups: pd.DataFrame, mentioned: np.ndarray, confidence: float
) -> Difference | None:
    authors = frame.loc[mentioned, "customer_id"].dropna().unique()
    known = groups.set_index("customer_id")["group"]
    all_authors = pd.Index(frame["customer_id"].dropna().unique()).intersection(known.index)
    inside = known.reindex(pd.Index(authors).intersection(known.index))
    outside = known.reindex(all_authors.difference(inside.index))

    def counts(g: pd.Series) -> tuple[int, int, int]:
        return (int((g == "promoter").sum()), int((g == "passive").sum()), int((g == "detractor").sum()))

    a, b = counts(outside), counts(inside)
    if min(sum(a), sum(b)) < 10:
        return None
    return nps_difference(a, b, confidence)


def _corrected(summaries: list[ThemeSummary]) -> list[ThemeSummary]:
    """q-values for the themes' NPS-impact tests, corrected together."""
    tested = [i for i, t in enumerate(summaries) if t.nps_impact is not None]
    q_values = benjamini_hochberg([summaries[i].nps_impact.p_value for i in tested])  # type: ignore[union-attr]
    out = list(summaries)
    for i, q in zip(tested, q_values, strict=True):
        out[i] = replace(out[i], q_value=float(q))
    return out


def analyze_text(
    engine: Engine,
    settings: Settings,
    discover_topics: bool = True,
    progress: Callable[[int], None] | None = None,
    filters: Filters = ALL,
    max_texts: int | None = None,
    model: TextModel | None = None,
) -> TextReport:
    """Sentiment, themes, theme impact on NPS, trends and emerging-issue alerts for every text in the store
    (or in the `filters`' slice; above `max_texts`, for a documented deterministic sample). Sentiment and
    themes are fitted on these texts (the fit is kept on the report), or read by `model` when one is given
    (fitted on other texts: the whole store's sample, say)."""
    frame, available = load_texts(engine, filters, max_texts)
    themes = themes_for(settings, demo_store(engine))
    if frame.empty:  # nothing to read: the embedding model (about 850 MB) is never loaded for no text
        return _no_texts(frame, themes)
    texts = frame["text"].astype(str).tolist()
    embedded = embed(texts, engine.store, progress)
    parts = split_passages(texts, embedded.vectors, lambda cut: embed(cut, engine.store).vectors)
    if model is None:
        model, mood, assignment = _fit(frame, embedded.vectors, parts, themes)
        fitted: TextModel | None = model
    else:
        mood, assignment = _read(model, frame, embedded.vectors, parts)
        fitted = None
    groups = _groups(engine, frame)
    confidence = settings.analysis.confidence
    summaries = []
    for name, theme in themes.items():
        mentioned = np.array([name in carried for carried in assignment.themes], dtype=bool)
        count = int(mentioned.sum())
        examples = tuple(texts[i] for i in assignment.typical(name))  # the most typical first
        summaries.append(
            ThemeSummary(
                name,
                theme.touchpoint,
                count,
                count / max(len(texts), 1),
                float((mood.labels[mentioned] == 0).mean()) if count else np.nan,
                float(mood.scores[mentioned].mean()) if count else np.nan,
                _impact(frame, groups, mentioned, confidence) if count else None,
                examples,
            )
        )
    summaries = _corrected(summaries)
    watched = watch(list(assignment.best), [label == 0 for label in mood.labels], frame["at"])
    found = _discover(texts, engine) if discover_topics and len(texts) >= 50 else None
    return TextReport(
        len(texts),
        embedded.new,
        mood,
        assignment,
        tuple(summaries),
        watched.alerts,
        found,
        watched.to_frame(),
        available,
        watched.checked,
        tuple(_theme_notes(themes, found, len(texts)) + _notes(frame, summaries, watched)),
        per_text=PerText(tuple(frame["key"]), tuple(frame["kind"]), tuple(texts), mood, assignment),
        watch=watched,
        model=fitted,
    )


def _no_texts(frame: pd.DataFrame, themes: dict[str, Theme]) -> TextReport:
    """The text report of a slice without any text, made without a model: no sentiment, every theme
    mentioned by none, no alert checked, and the note saying which texts to import."""
    names = tuple(themes)
    mood = Sentiment(np.zeros(0, dtype=np.int64), np.zeros(0), "none: there are no texts")
    assignment = Assignment(names, (), (), np.zeros((0, len(names)), dtype=np.float32))
    watched = watch([], [], frame["at"])
    summaries = tuple(
        ThemeSummary(name, theme.touchpoint, 0, 0.0, np.nan, np.nan, None, ())
        for name, theme in themes.items()
    )
    return TextReport(
        0,
        0,
        mood,
        assignment,
        summaries,
        (),
        None,
        watched.to_frame(),
        0,
        watched.checked,
        tuple(_notes(frame, [], watched)),
        per_text=PerText((), (), (), mood, assignment),
        watch=watched,
    )


def _groups(engine: Engine, frame: pd.DataFrame) -> pd.DataFrame:
    """The NPS group of these texts' authors (their latest relational answer), read for them alone."""
    authors = pd.DataFrame({"customer_id": frame["customer_id"].dropna().astype(str).unique()})
    groups = nps_groups(engine)
    if authors.empty:
        return pd.DataFrame(groups.limit(0).execute())
    return pd.DataFrame(groups.semi_join(ibis.memtable(authors), "customer_id").execute())


def _fit(
    frame: pd.DataFrame, vectors: np.ndarray, parts: Passages, themes: dict[str, Theme]
) -> tuple[TextModel, Sentiment, Assignment]:
    """Sentiment and themes fitted on these texts (the user's own labels where they allow), and what the
    fitted readings say of them."""
    texts = frame["text"].astype(str).tolist()
    reader, mood = fit_sentiment(texts, vectors, _weak_labels(frame))
    cut = np.flatnonzero(~parts.whole)
    # a passage of a long text is read on its own (without labels), as a positive review can hold a complaint
    passages, pieces = (
        fit_sentiment([parts.texts[k] for k in cut], parts.vectors[cut])
        if len(cut)
        else (Reader("anchors (no labels)"), None)
    )
    leaning = _leaning(mood, parts, pieces)
    theme_reader = fit_themes(parts.vectors, themes, leaning)
    assignment = theme_reader.assign(parts.vectors, parts.owner, leaning)
    check = mood.evaluation
    held = frame.loc[check.held_out, ["kind", "key"]] if check is not None else frame.iloc[:0]
    held_out = frozenset(zip(held["kind"].astype(str), held["key"].astype(str), strict=True))
    return TextModel(reader, passages, theme_reader, held_out, len(texts)), mood, assignment


def _read(
    model: TextModel, frame: pd.DataFrame, vectors: np.ndarray, parts: Passages
) -> tuple[Sentiment, Assignment]:
    """These texts read by a model fitted on others: each text's sentiment and themes are those the model
    gives it wherever it is read."""
    texts = frame["text"].astype(str).tolist()
    keys = zip(frame["kind"].astype(str), frame["key"].astype(str), strict=True)
    held_out = np.array([key in model.held_out for key in keys], dtype=bool)
    mood = model.sentiment.read(texts, vectors, held_out)
    cut = np.flatnonzero(~parts.whole)
    pieces = model.passages.read([parts.texts[k] for k in cut], parts.vectors[cut]) if len(cut) else None
    leaning = _leaning(mood, parts, pieces)
    return mood, model.themes.assign(parts.vectors, parts.owner, leaning)


def _leaning(mood: Sentiment, parts: Passages, pieces: Sentiment | None) -> np.ndarray:
    """How positive each passage leans (P(positive) - P(negative)), for keeping complaint themes off praise:
    a whole text's own score; a passage cut from a long text, its own reading (`pieces`)."""
    leaning = mood.scores[parts.owner]
    if pieces is not None:
        leaning[np.flatnonzero(~parts.whole)] = pieces.scores
    return leaning


def demo_store(engine: Engine) -> bool:
    """Whether the store holds the demo company and nothing else (`cxgap demo` names its batches
    'demo:...' and refuses a store holding other data): only there do the demo's themes apply."""
    query = sa.text(
        "SELECT count(*) AS batches, "
        "coalesce(sum(CASE WHEN source LIKE 'demo:%' THEN 1 ELSE 0 END), 0) AS demo FROM import_batches"
    )
    with engine.store.engine.connect() as conn:
        row = conn.execute(query).one()
    return bool(row.demo) and row.demo == row.batches


def _discover(texts: list[str], engine: Engine) -> Discovered:
    """Topics of `texts`, clustered on embeddings of the texts without handles and URLs (so that posts
    group by what they say, not whom they address); a text without either is embedded once, cached."""
    return discover(texts, embed([strip_noise(t) for t in texts], engine.store).vectors)


def _theme_notes(themes: dict[str, Theme], found: Discovered | None, texts: int) -> list[str]:
    """Without configured themes, what was not done and how to name themes: from the topics found."""
    if themes or not texts:
        return []
    said = (
        "No themes are configured ([themes] in cxgap.toml), so no text was assigned to one and no "
        "theme's trend was watched. "
    )
    if found is None:
        return [said + "`cxgap text` finds the topics these texts raise and proposes them as themes."]
    return [
        said + "The topics found in these texts are proposed as themes: "
        "`cxgap text` prints them as a [themes] section to paste into cxgap.toml; rename them and say "
        "in your words what each is about."
    ]


def _notes(frame: pd.DataFrame, summaries: list[ThemeSummary], watched: Watch) -> list[str]:
    """What the text analysis could not do on these texts, and the data it needs, in words."""
    if frame.empty:
        return [
            "There are no texts yet: import feedback (reviews, tickets, chats, social posts) or survey "
            "answers with comments (cxgap import FILE --mapping MAPPING)."
        ]
    notes = []
    if summaries and not any(t.texts for t in summaries):
        notes.append(
            f"None of the {len(frame):,} texts matches a configured theme: name your own themes in "
            "[themes] in cxgap.toml, or let topic discovery find what they raise."
        )
    if not watched.checked:
        notes.append(watched.sentence())
    return notes
