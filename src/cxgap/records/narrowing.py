"""What narrows a slice's records beyond the five filters: the survey or gap kind, an item or dimension, a
theme's texts, a metric, a customer, an incident; checked against the configuration before any query runs,
so a mistyped link gets one sentence that says what is allowed rather than an empty table."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from cxgap.config import Settings
from cxgap.engine.filters import check_known, has_control
from cxgap.errors import CxgapError, NotFound
from cxgap.gaps.operations import CATALOGUE
from cxgap.text.service import TextReport

KINDS = ("responses", "comments", "interactions", "customers")
SURVEY_KINDS = ("relational", "transactional")
SURVEY_GAPS = ("customer", "perception", "knowledge")  # gaps measured on customers' item ratings
OPERATIONAL_GAPS = ("implementation", "communication", "design")  # gaps measured on interactions
# a score's survey kind when a link names only the metric: the dashboard's headline NPS is relational,
# its CSAT and CES transactional (see Dashboard.scores)
SCORE_KINDS = {"nps": "relational", "csat": "transactional", "ces": "transactional"}
COMMENT_KINDS = ("feedback", "response")
CUSTOMER_KINDS = ("current", "churned")


@dataclass(frozen=True)
class ThemeTexts:
    """The texts the text analysis assigned to a theme (feedback ids and survey response ids), and how many
    texts it read of how many the slice holds (theme assignment is known for the texts it read only)."""

    theme: str
    feedback_ids: tuple[str, ...]
    response_ids: tuple[str, ...]
    read: int
    available: int

    @property
    def count(self) -> int:
        """Texts carrying the theme."""
        return len(self.feedback_ids) + len(self.response_ids)


def theme_texts(report: TextReport, theme: str) -> ThemeTexts:
    """The texts of `theme` in a text report (NotFound for a theme the analysis does not have)."""
    per_text = report.per_text
    if per_text is None or theme not in per_text.assignment.names:
        names = ", ".join(per_text.assignment.names) if per_text else "none"
        raise NotFound(f"There is no theme '{theme}' in this slice's texts; the themes are {names}.")
    carried = np.array([theme in t for t in per_text.assignment.themes], dtype=bool)
    ids = np.array(per_text.ids, dtype=object)[carried] if len(carried) else np.array([], dtype=object)
    kinds = np.array(per_text.kinds, dtype=object)[carried] if len(carried) else np.array([], dtype=object)
    return ThemeTexts(
        theme,
        tuple(str(i) for i, k in zip(ids, kinds, strict=True) if k == "feedback"),
        tuple(str(i) for i, k in zip(ids, kinds, strict=True) if k != "feedback"),
        report.texts,
        report.available,
    )


@dataclass(frozen=True)
class Narrowing:
    """Optional narrowing of a record list; None means no restriction. `kind` is a survey kind or a gap
    kind for responses, an interaction kind or an operational gap kind for interactions, feedback or
    response for comments, current or churned for customers."""

    kind: str | None = None
    item: str | None = None
    dimension: str | None = None
    theme: str | None = None
    metric: str | None = None
    customer_id: str | None = None
    incident: str | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value == "":
                object.__setattr__(self, f.name, None)
            elif value is not None and has_control(value):
                raise CxgapError(f"{f.name} holds a control character; follow a link from a page instead.")

    def query(self) -> dict[str, str]:
        """The narrowing as URL query parameters (the ones that are set)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def describe(self) -> str:
        """In words, for the page's heading: '' when nothing narrows."""
        words = {"customer_id": "customer", "kind": "kind"}
        return ", ".join(f"{words.get(k, k)} {v}" for k, v in self.query().items())

    def check(self, records: str, settings: Settings) -> None:
        """Refuse a narrowing that does not apply to `records` or names what the configuration lacks."""
        if records not in KINDS:
            raise NotFound(f"There are no records called '{records}'; the records are {', '.join(KINDS)}.")
        allowed = {
            "responses": {"kind", "item", "dimension", "metric", "customer_id", "incident"},
            "comments": {"kind", "theme", "customer_id", "incident"},
            "interactions": {"kind", "metric", "customer_id", "incident"},
            "customers": {"kind", "customer_id"},
        }[records]
        extra = sorted(set(self.query()) - allowed)
        if extra:
            raise CxgapError(
                f"{', '.join(extra)} does not narrow {records}; {records} are narrowed by "
                f"{', '.join(sorted(allowed))}."
            )
        check_known("item", self.item, sorted(settings.items))
        check_known("dimension", self.dimension, list(settings.dimensions))
        check_known("incident", self.incident, sorted(settings.journeys.incidents))
        if records == "responses":
            check_known("kind", self.kind, [*SURVEY_KINDS, *SURVEY_GAPS])
            check_known("metric", self.metric, list(SCORE_KINDS))
        elif records == "comments":
            check_known("kind", self.kind, list(COMMENT_KINDS))
        elif records == "customers":
            check_known("kind", self.kind, list(CUSTOMER_KINDS))
        elif records == "interactions" and self.metric:
            check_known("metric", self.metric.split("@", 1)[0], sorted(CATALOGUE))

    def items(self, settings: Settings) -> list[str] | None:
        """The item codes whose ratings the narrowing asks for (None: no item or dimension named)."""
        if self.item:
            return [self.item]
        if self.dimension:
            return sorted(i for i, d in settings.items.items() if d == self.dimension)
        return None
