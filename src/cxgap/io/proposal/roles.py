"""A proposed role for every column of a file, each with its evidence, and the table the file feeds.

A role is what a source column becomes in cxgap's schema (`responses.nps`, an item's perception, ...) with
the conversion it needs (date format, source scale, value map, N/A codes), or "not used" with the reason.
Known exports' metadata columns have fixed roles; every other column is judged by its values and wording.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from cxgap.errors import InputFileError
from cxgap.io.proposal.formats import Sample
from cxgap.io.proposal.profile import Profile, profile
from cxgap.io.proposal.scales import Code, answer_labels, is_rating

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Role:
    """What one source column becomes: a schema column (`target`), an item rating (`target` = "item"), or
    nothing (`target` None); with the conversion it needs and the evidence for all of it."""

    column: str
    target: str | None
    evidence: str
    date_format: str | None = None
    scale: tuple[float, float] | None = None
    factor: float | None = None
    values: dict[str, float | str] | None = None
    na: tuple[Code, ...] = ()
    item: str | None = None
    measure: str | None = None

    def conversion(self) -> str:
        """The conversion in words, for the printed table: 'scale 1-7; N/A 0'."""
        parts = []
        if self.item:
            parts.append(f"item {self.item} ({self.measure})")
        if self.date_format:
            parts.append(f"date {self.date_format}")
        if self.scale:
            parts.append(f"scale {self.scale[0]:g}-{self.scale[1]:g}")
        if self.factor:
            parts.append(f"x{self.factor:g}")
        if self.values:
            parts.append(f"value map ({len(self.values)} labels)")
        if self.na:
            parts.append("N/A " + ", ".join(str(c) if isinstance(c, str) else f"{c:g}" for c in self.na))
        return "; ".join(parts)


@dataclass(frozen=True)
class FileProposal:
    """The proposal for one file: the table it feeds and why, a role for every column, the constants the
    table needs, and notes on what could not be proposed."""

    sample: Sample
    table: str
    why: str
    roles: tuple[Role, ...]
    constants: dict[str, tuple[Scalar, str]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def role(self, target: str) -> Role | None:
        """The role feeding schema column `target`, if any."""
        return next((r for r in self.roles if r.target == target), None)

    @property
    def touchpoints(self) -> list[str]:
        """The touchpoints the file's touchpoint column holds, in order of first appearance."""
        role = self.role("touchpoint")
        if role is None:
            return []
        seen = (v.strip() for v in self.sample.column(role.column).values if v and v.strip())
        return list(dict.fromkeys(role.values.get(v, v) if role.values else v for v in seen))  # type: ignore[misc]


class Claims:
    """The roles given so far in one file, and the columns still free."""

    def __init__(self, profiles: Iterable[Profile]) -> None:
        self.profiles = list(profiles)
        self.roles: dict[str, Role] = {}

    def free(self) -> list[Profile]:
        """Columns without a role yet, in file order."""
        return [p for p in self.profiles if p.name not in self.roles]

    def has(self, target: str) -> bool:
        """Whether some column already feeds `target`."""
        return any(r.target == target for r in self.roles.values())

    def take(self, p: Profile, target: str | None, evidence: str, **conversion: Any) -> None:
        """Give column `p` its role."""
        self.roles[p.name] = Role(p.name, target, evidence, **conversion)

    def role_of(self, target: str) -> Role | None:
        """The role feeding `target`, if any."""
        return next((r for r in self.roles.values() if r.target == target), None)

    def profile(self, name: str) -> Profile:
        """The profile of column `name`."""
        return next(p for p in self.profiles if p.name == name)

    def retarget(self, role: Role, target: str, more: str, **conversion: Any) -> None:
        """Give a claimed column another target (or the same with a conversion), adding to its evidence."""
        self.roles[role.column] = replace(
            role, target=target, evidence=f"{role.evidence}; {more}", **conversion
        )

    def first(
        self, targets: dict[str, tuple[str, ...]], test: Callable[[Profile], bool] | None = None
    ) -> None:
        """For each target not yet fed, the first free column whose wording has one of its words."""
        for target, wanted in targets.items():
            if self.has(target):
                continue
            for p in self.free():
                word = matches(p, wanted)
                if word and (test is None or test(p)):
                    self.take(p, target, f"'{word}' in its name; {p.top()}")
                    break

    def ordered(self) -> tuple[Role, ...]:
        """Every column's role in file order; a column nobody claimed is unused, with what it holds."""
        return tuple(self.roles.get(p.name) or Role(p.name, None, unused_reason(p)) for p in self.profiles)


def matches(p: Profile, wanted: Iterable[str]) -> str | None:
    """The first of `wanted` (a word, or a phrase of several) in the column's name or question."""
    found = p.wording
    text = " ".join(found)
    for want in wanted:
        if (" " in want and f" {want} " in f" {text} ") or want in found:
            return want
    return None


def unused_reason(p: Profile) -> str:
    """Why a column is left out, in words that say what it holds."""
    if p.filled == 0:
        return f"empty in all {p.rows:,} rows read"
    if p.distinct == 1:
        return f"the same value in every row ({p.top(1)})"
    if p.is_bool:
        return f"yes/no ({p.top(2)}); the table has no column for it"
    if p.is_date:
        return f"a date ({p.date_note}); not the one the table takes"
    if p.free_text:
        return f"free text (mean {p.mean_length:.0f} characters); not the text the table takes"
    if p.categorical:
        return f"{p.distinct} labels ({p.top()}); the table has no column for them"
    if p.numeric:
        lo, hi = min(p.numbers), max(p.numbers)
        return f"numbers {lo:g}-{hi:g}; the table has no column for them"
    return f"{p.distinct:,} different values ({p.top(3)}); the table has no column for them"


PERSONAL = (
    "email",
    "e mail",
    "ip address",
    "ipaddress",
    "first name",
    "last name",
    "phone number",
    "telephone",
    "latitude",
    "longitude",
)


def personal(p: Profile, table: str) -> str | None:
    """Why a column holds personal data cxgap does not need (e-mail, IP address, names, location)."""
    if word := matches(p, PERSONAL + ("ip",)):
        return f"personal data ('{word}' in its name): not needed for the analysis, so not imported"
    if table != "customers" and matches(p, ("name", "full name")) and p.is_text and not p.categorical:
        return "people's names: personal data, not imported (customers.name is where names go, for redaction)"
    if p.texts and sum(1 for t in p.texts if "@" in t and "." in t) >= 0.8 * len(p.texts):
        return "e-mail addresses: personal data, not needed for the analysis, so not imported"
    return None


SCORE_WORDS = ("recommend", "nps", "satisfaction", "satisfied", "csat", "effort", "ces")
SURVEY_EXPORTS = ("qualtrics", "surveymonkey", "typeform", "formbricks")


def choose_table(sample: Sample, profiles: list[Profile]) -> tuple[str, str]:
    """The table a file feeds and why: surveys feed responses, texts feedback, one row per customer
    customers; a file that is none of these is one sentence."""
    if sample.export in SURVEY_EXPORTS:
        return "responses", f"{sample.export_evidence}: survey answers"
    if sample.export == "zendesk":
        return "feedback", f"{sample.export_evidence}: each ticket is a text"
    ratings = [p for p in profiles if is_rating(p) and not matches(p, ("id",))]
    ratings += [p for p in profiles if p.texts and answer_labels(p) is not None]
    scored = [p for p in ratings if matches(p, SCORE_WORDS)]
    if scored or len(ratings) >= 3:
        shown = ", ".join(f"'{p.name}'" for p in (scored or ratings)[:3])
        return "responses", f"survey ratings ({shown}{', ...' if len(scored or ratings) > 3 else ''})"
    texts = [p for p in profiles if p.free_text]
    if texts:
        return "feedback", f"free text in '{texts[0].name}' (mean {texts[0].mean_length:.0f} characters)"
    ids = [p for p in profiles if p.unique and matches(p, ("customer", "client", "account", "id"))]
    if ids:
        return "customers", f"one row per customer: '{ids[0].name}' differs in every row"
    raise InputFileError(
        f"{sample.path}: cannot tell which table it feeds (no survey ratings, free text or customer id "
        "column found); write its mapping by hand (see README, 'Importing')."
    )


def propose_file(sample: Sample) -> FileProposal:
    """The proposal for one sampled file: table, roles, constants, notes."""
    from cxgap.io.proposal.record_roles import customer_roles, feedback_roles
    from cxgap.io.proposal.survey_roles import survey_roles

    profiles = [profile(c) for c in sample.columns]
    table, why = choose_table(sample, profiles)
    claims = Claims(profiles)
    for p in profiles:
        if reason := personal(p, table):
            claims.take(p, None, reason)
    build = {"responses": survey_roles, "feedback": feedback_roles, "customers": customer_roles}[table]
    constants, notes = build(sample, claims)
    return FileProposal(sample, table, why, claims.ordered(), constants, tuple(notes))


def with_evidence(role: Role, more: str) -> Role:
    """The role with more evidence appended."""
    return replace(role, evidence=f"{role.evidence}; {more}")
