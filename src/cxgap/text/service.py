"""The text analysis of a store: every feedback text and survey comment, its sentiment and themes; per theme
the volume, sentiment, the NPS of authors who raise it against those who do not, the trend and alerts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import ibis
import numpy as np
import pandas as pd

from cxgap.config import Settings
from cxgap.engine import ALL, Engine, Filters
from cxgap.impact.linkage import nps_groups
from cxgap.stats import Difference, benjamini_hochberg, nps_difference
from cxgap.text.embedding import embed
from cxgap.text.sentiment import Sentiment, labels_from_nps, labels_from_stars, sentiment
from cxgap.text.topics import Assignment, Discovered, assign, discover
from cxgap.text.trends import (
    HISTORY_WEEKS,
    Alert,
    emerging,
    more_negative,
    trend,
    weekly_counts,
    weeks,
)


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
    alerts_checked: bool = True  # False: too few dated weeks for the emerging-issue check to run
    notes: tuple[str, ...] = ()  # what could not be measured, and the data it needs

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
    """Feedback texts and survey comments (text, when, customer, star rating or CSAT, NPS) narrowed by
    `filters`, and how many there are; above `max_texts`, a deterministic sample (by a hash of each
    text's id) of about that size."""
    customers = engine.table("customers")
    f = filters.on_events(engine.table("feedback"), "received_at", customers, touchpoint=True)
    feedback = f.select(
        key=f.feedback_id.cast("string"),
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
        every = int(np.ceil(available / max_texts))
        texts = texts.filter((texts.key.hash() % every) == 0)
    return pd.DataFrame(texts.drop("key").execute()), available


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
) -> TextReport:
    """Sentiment, themes, theme impact on NPS, trends and emerging-issue alerts for every text in the store
    (or in the `filters`' slice; above `max_texts`, for a documented deterministic sample)."""
    frame, available = load_texts(engine, filters, max_texts)
    texts = frame["text"].astype(str).tolist()
    embedded = embed(texts, engine.store, progress)
    mood = sentiment(texts, embedded.vectors, _weak_labels(frame))
    assignment = assign(embedded.vectors, settings.themes)
    groups = nps_groups(engine).execute()
    confidence = settings.analysis.confidence
    summaries = []
    for name, theme in settings.themes.items():
        mentioned = np.array([name in carried for carried in assignment.themes], dtype=bool)
        count = int(mentioned.sum())
        typical = np.array([best == name for best in assignment.best], dtype=bool)
        examples = tuple(frame.loc[typical, "text"].head(3))  # texts whose best theme this is
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
    counts = weekly_counts(list(assignment.best), frame["at"])
    totals = weeks(frame["at"]).value_counts()
    negative_best = [b if label == 0 else None for b, label in zip(assignment.best, mood.labels, strict=True)]
    negative = weekly_counts(negative_best, frame["at"])
    alerts = sorted(emerging(counts, totals) + more_negative(counts, negative), key=lambda a: a.week)
    found = discover(texts, embedded.vectors) if discover_topics and len(texts) >= 50 else None
    checked = len(counts) > HISTORY_WEEKS  # the check compares each week with the weeks before it
    return TextReport(
        len(texts),
        embedded.new,
        mood,
        assignment,
        tuple(summaries),
        tuple(alerts),
        found,
        trend(counts),
        available,
        checked,
        tuple(_notes(frame, summaries, checked)),
    )


def _notes(frame: pd.DataFrame, summaries: list[ThemeSummary], checked: bool) -> list[str]:
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
    if not checked:
        dated = int(frame["at"].notna().sum())
        notes.append(
            f"Emerging issues were not checked: that needs dated texts over more than {HISTORY_WEEKS} weeks"
            + (
                f" ({dated:,} of the {len(frame):,} texts have a date)."
                if dated
                else " (these texts have no date)."
            )
        )
    return notes
