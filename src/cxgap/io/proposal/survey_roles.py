"""Roles of a survey export's columns (-> responses and response_items): ids, the answer's time, NPS, CSAT,
CES, the "superior" question, touchpoint, channel, the comment, and the item ratings."""

from __future__ import annotations

import re
from collections import defaultdict

from cxgap.io.proposal.formats import Sample
from cxgap.io.proposal.items import MEASURE_WORDS, item_roles
from cxgap.io.proposal.profile import Profile
from cxgap.io.proposal.roles import Claims, Scalar, matches
from cxgap.io.proposal.scales import answer_labels, is_rating, nps_scale, rating_scale, stated_scale
from cxgap.store.models import CES_SCALE, CSAT_SCALE, ITEM_SCALE

META: dict[str, dict[str, tuple[str | None, str]]] = {
    "qualtrics": {
        "ResponseId": ("response_id", "Qualtrics' response id"),
        "RecordedDate": ("responded_at", "Qualtrics' time the response was recorded"),
        "ExternalReference": ("customer_id", "Qualtrics' external data reference: your customer id"),
        "DistributionChannel": ("channel", "Qualtrics' distribution channel"),
        "StartDate": (None, "Qualtrics metadata: when the respondent started (RecordedDate is used)"),
        "EndDate": (None, "Qualtrics metadata: when the respondent ended (RecordedDate is used)"),
        "Status": (
            None,
            "Qualtrics metadata: the response type (1 = a preview: leave previews out of the export)",
        ),
        "Progress": (None, "Qualtrics metadata: the percent of the survey completed"),
        "Duration (in seconds)": (None, "Qualtrics metadata: the time taken"),
        "Finished": (None, "Qualtrics metadata: whether the respondent finished"),
        "UserLanguage": (None, "Qualtrics metadata: the respondent's language"),
    },
    "surveymonkey": {
        "Respondent ID": ("response_id", "SurveyMonkey's respondent id"),
        "End Date": ("responded_at", "SurveyMonkey's time the answers were submitted"),
        "Custom Data 1": ("customer_id", "SurveyMonkey's custom data: the id passed with the link"),
        "Collector ID": (None, "SurveyMonkey metadata: the collector (link) the answer came through"),
        "Start Date": (None, "SurveyMonkey metadata: when the respondent started (End Date is used)"),
    },
    "typeform": {
        "#": ("response_id", "Typeform's response token"),
        "Submit Date (UTC)": ("responded_at", "Typeform's time of submission, in UTC"),
        "Start Date (UTC)": (None, "Typeform metadata: when the respondent started"),
        "Stage Date (UTC)": (None, "Typeform metadata: the stage date"),
        "Network ID": (None, "Typeform metadata: a hash of the respondent's network"),
        "Response Type": (None, "Typeform metadata: completed or partial"),
        "Tags": (None, "Typeform metadata: tags"),
    },
    "formbricks": {
        "Response ID": ("response_id", "Formbricks' response id"),
        "Timestamp": ("responded_at", "Formbricks' time of the response"),
        "User ID": ("customer_id", "Formbricks' user id: your id for the respondent"),
        "No.": (None, "Formbricks metadata: the row number of the export"),
        "Finished": (None, "Formbricks metadata: whether the respondent finished"),
        "Survey ID": (None, "Formbricks metadata: the survey"),
        "Formbricks ID (internal)": (None, "Formbricks metadata: its internal contact id"),
        "Notes": (None, "Formbricks metadata: notes by your team"),
        "Tags": (None, "Formbricks metadata: tags"),
        "Quotas": (None, "Formbricks metadata: quotas"),
        "url": (None, "Formbricks metadata: the page the survey ran on"),
        "action": (None, "Formbricks metadata: the action that showed the survey"),
        "country": (None, "Formbricks metadata: the respondent's country"),
    },
}
META_PATTERNS = (
    (
        re.compile(r"^(.*)_NPS_GROUP$"),
        "Qualtrics' NPS group of {0}: cxgap counts promoters and detractors from the score",
    ),
    (re.compile(r"^Q_"), "Qualtrics metadata (a quality or duplicate check)"),
    (re.compile(r"^userAgent - "), "Formbricks metadata: the respondent's browser"),
)
CUSTOMER = tuple("customer client account member user contact external subscriber guest passenger".split())
IDS = ("id", "ref", "reference", "number", "no", "code")
WHEN = tuple("submitted submit recorded completed end date time timestamp created start".split())
SATISFIED = ("satisfaction", "satisfied", "csat")
COMMENT = tuple("comment comments feedback why reason suggest improve better anything tell".split())
COUNTS = tuple(
    "age number count children nights days years year tenure minutes hours quantity times id".split()
)


def survey_roles(sample: Sample, claims: Claims) -> tuple[dict[str, tuple[Scalar, str]], list[str]]:
    """Give every column of a survey export its role; the constants the rows need and notes."""
    notes: list[str] = []
    _known(sample, claims, notes)
    _options(claims)
    _ids_and_time(claims, notes)
    _scores(claims)
    _labels(claims)
    _comment(claims)
    _items(claims)
    constants: dict[str, tuple[Scalar, str]] = {}
    if not claims.has("survey_kind"):
        kind = "transactional" if claims.has("touchpoint") else "relational"
        why = (
            "answers about one touchpoint each"
            if claims.has("touchpoint")
            else "no touchpoint column: answers about the relationship"
        )
        constants["survey_kind"] = (kind, why)
    return constants, notes


def _known(sample: Sample, claims: Claims, notes: list[str]) -> None:
    meta = META.get(sample.export, {})
    for p in claims.free():
        target, why = meta.get(p.name, ("", ""))
        for pattern, said in META_PATTERNS:
            if not why and (found := pattern.match(p.name)):
                target, why = None, said.format(*found.groups())
        if not why:
            continue
        if target and p.filled == 0:
            claims.take(p, None, f"{why}; empty in all {p.rows:,} rows read")
        elif target == "responded_at":
            _time(claims, p, why, notes)
        else:
            claims.take(p, target or None, f"{why}; {p.top(3)}" if target else why)


def _options(claims: Claims) -> None:
    """The columns of a multiple-answer question are not used: each holds its option's label where it was
    ticked (SurveyMonkey's expanded export), which no table column takes; the group's typed-in "other"
    answer is free text beside the question, not the comment. Matrices (their cells hold answers, not
    their own row label) are left to the item ratings."""
    groups: dict[str, list[Profile]] = defaultdict(list)
    for p in claims.free():
        if p.column.group:
            groups[p.column.group].append(p)
    for question, members in groups.items():
        if not any(_ticked(p) for p in members):
            continue
        shown = question if len(question) <= 60 else question[:57] + "..."
        for p in members:
            if _ticked(p) or p.filled == 0:
                why = (
                    f"an option of the multiple-answer question '{shown}' (ticked in {p.filled:,} of "
                    f"{p.rows:,} rows read); the table has no column for it"
                )
            else:
                why = (
                    f"free text typed in as the other answer to the multiple-answer question '{shown}' "
                    f"(mean {p.mean_length:.0f} characters); not the comment"
                )
            claims.take(p, None, why)


def _ticked(p: Profile) -> bool:
    """Every filled cell holds the column's own option label: an option ticked or not."""
    filled = {v.strip() for v in p.column.values if v and v.strip()}
    return bool(filled) and filled == {p.column.label}


def _id_like(p: Profile) -> bool:
    """Codes rather than words: no spaces, short, mostly different from row to row."""
    values = [v for v in p.column.values if v and v.strip()]
    return (
        bool(values)
        and all(" " not in v.strip() for v in values)
        and p.mean_length <= 64
        and p.distinct >= 0.5 * p.filled
    )


def _time(claims: Claims, p: Profile, why: str, notes: list[str]) -> None:
    if p.is_date:
        claims.take(p, "responded_at", f"{why}; {p.date_note}", date_format=p.date_format)
        if p.filled < p.rows:
            notes.append(
                f"'{p.name}' is empty in {p.rows - p.filled:,} of {p.rows:,} rows read (unfinished answers?); "
                "those rows will be quarantined, as every response needs its time"
            )
    else:
        notes.append(
            f"'{p.name}' should hold the answer's time but its values ({p.top(2)}) are not dates in one format"
        )
        claims.take(p, None, f"{why}, but not dates in one format ({p.top(2)})")


def _ids_and_time(claims: Claims, notes: list[str]) -> None:
    for p in claims.free():
        if (
            not claims.has("response_id")
            and p.unique
            and matches(p, ("response", "respondent", "submission", "token", "uuid"))
        ):
            claims.take(p, "response_id", f"a different value in each of {p.rows:,} rows: the response's id")
        elif not claims.has("customer_id") and matches(p, CUSTOMER) and (matches(p, IDS) or _id_like(p)):
            claims.take(
                p, "customer_id", f"'{matches(p, CUSTOMER)}' and '{matches(p, IDS)}' in its name; {p.top(2)}"
            )
    if not claims.has("response_id"):
        for p in claims.free():
            if p.unique and p.name.lower() in ("id", "#", "response id", "responseid"):
                claims.take(
                    p, "response_id", f"a different value in each of {p.rows:,} rows: the response's id"
                )
                break
    if not claims.has("responded_at"):
        dates = [p for p in claims.free() if p.is_date]
        dates.sort(key=lambda p: next((i for i, w in enumerate(WHEN) if matches(p, (w,))), len(WHEN)))
        if dates:
            _time(claims, dates[0], "when the survey was answered", notes)
        else:
            notes.append(
                "no column holds dates, and every response needs its time: add responded_at under "
                '[constants] (e.g. responded_at = "2024-06-30", when the survey ran) before importing'
            )


def _scores(claims: Claims) -> None:
    """NPS, CSAT and CES from numeric ratings worded as such; the 'superior' yes/no question."""
    ratings = [p for p in claims.free() if is_rating(p) and not _count(p)]
    for p in ratings:
        if not claims.has("nps") and (word := matches(p, ("recommend", "nps", "likelihood", "likely"))):
            scale = nps_scale(p)
            claims.take(
                p,
                "nps",
                f"'{word}' in its wording; {scale.evidence}",
                scale=_differs((scale.lo, scale.hi), (0, 10)),
                na=scale.na,
            )
    free = {q.name for q in claims.free()}
    csats = [p for p in ratings if p.name in free and matches(p, SATISFIED)]
    overall = [
        p for p in csats if matches(p, ("overall", "csat")) or p.name.lower() in ("satisfaction", "csat")
    ]
    for p in overall if len(overall) == 1 else csats if len(csats) == 1 else []:
        scale = rating_scale(p, [], "CSAT")
        why = f"'{matches(p, SATISFIED)}' in its wording; {scale.evidence}"
        claims.take(p, "csat", why, scale=_differs((scale.lo, scale.hi), CSAT_SCALE), na=scale.na)
    for p in ratings:
        if not claims.has("ces") and p.name in {q.name for q in claims.free()}:
            word = matches(p, ("ces", "effort", "how easy", "easy was it", "easy it was"))
            if word:
                scale = rating_scale(p, [], "CES")
                why = f"'{word}' in its wording; {scale.evidence}; cxgap's CES counts 7 as very easy: check the direction"
                claims.take(p, "ces", why, scale=_differs((scale.lo, scale.hi), CES_SCALE), na=scale.na)
    claims.first({"superior": ("superior", "better than", "competitors", "compared")}, lambda p: p.is_bool)
    claims.first({"touchpoint": ("touchpoint", "touchpoints", "journey", "stage")}, labels)
    claims.first({"channel": ("channel", "via", "medium", "source")}, labels)
    for p in claims.free():
        if p.categorical and {t.lower() for t in p.texts} <= {"relational", "transactional"}:
            claims.take(p, "survey_kind", f"values relational/transactional: {p.top(2)}")


def labels(p: Profile) -> bool:
    """Short labels, a few of them (one is enough where the name says what they are)."""
    return p.is_text and 1 <= p.distinct <= 30 and p.mean_length <= 40 and not p.is_date


def _differs(scale: tuple[float, float], schema: tuple[float, float]) -> tuple[float, float] | None:
    """The source scale to write, or None where it is the schema's own (nothing to convert)."""
    return None if tuple(map(float, scale)) == tuple(map(float, schema)) else scale


def _labels(claims: Claims) -> None:
    """Scores answered in words ("Very satisfied", "10 - Extremely likely"): value maps."""
    for p in claims.free():
        labels = answer_labels(p) if p.texts else None
        if labels is None:
            continue
        for target, wanted, schema in (
            ("nps", ("recommend", "nps", "likely"), (0, 10)),
            ("csat", SATISFIED, CSAT_SCALE),
            ("ces", ("effort", "easy", "ces"), CES_SCALE),
        ):
            if not claims.has(target) and matches(p, wanted):
                values, scale = labels.values, _differs((labels.lo, labels.hi), schema)
                if target == "nps" and labels.hi != 11:  # NPS is 0-10 unless 11 is seen
                    values, scale = {"0": 0.0, **values}, None
                why = f"'{matches(p, wanted)}' in its wording; {labels.evidence}"
                claims.take(p, target, why, values=values, scale=scale)
                break


def _comment(claims: Claims) -> None:
    texts = [p for p in claims.free() if _typed_in(p)]
    if not texts:
        return
    worded = [p for p in texts if matches(p, COMMENT)]
    chosen = (worded or sorted(texts, key=lambda p: -p.mean_length))[0]
    word = matches(chosen, COMMENT)
    why = f"'{word}' in its wording; " if word else ""
    claims.take(
        chosen,
        "comment",
        f"{why}free text, mean {chosen.mean_length:.0f} characters in {chosen.filled:,} answers",
    )
    for p in texts:
        if p is not chosen:
            claims.take(
                p,
                None,
                f"free text (mean {p.mean_length:.0f} characters); each response keeps one comment, '{chosen.name}'",
            )


def _count(p: Profile) -> bool:
    """A count rather than a rating ("Nights stayed", "Years as a customer"): a counting word in its wording
    and no rating scale stated ("Convenient opening hours" in a matrix rated "on a scale from 1 to 7" is
    rated)."""
    return matches(p, COUNTS) is not None and stated_scale(p) is None


def _measured(p: Profile) -> bool:
    """The wording names a measure (expectation, perception, importance): an item even with few values."""
    return any(matches(p, wanted) for wanted in MEASURE_WORDS.values())


def _typed_in(p: Profile) -> bool:
    """Answers people typed: long free text, or shorter text the export or the wording says was typed in."""
    if not p.is_text or p.is_date or p.distinct < 0.5 * p.filled:
        return False
    return p.free_text or p.column.open_ended or (p.mean_length >= 8 and matches(p, COMMENT) is not None)


def _items(claims: Claims) -> None:
    """The remaining ratings are item ratings: measure, item and pairs from their wording; one scale
    for all, or each its own, from their values; 0 as N/A where the others never use it."""
    ratings = [p for p in claims.free() if is_rating(p, 1 if _measured(p) else 3) and not _count(p)]
    labelled = {
        p.name: labels
        for p in claims.free()
        if p.texts and (labels := answer_labels(p)) and labels.kind.startswith("agreement")
    }
    columns = ratings + [p for p in claims.free() if p.name in labelled]
    found = item_roles(columns)
    for p in columns:
        role = found[p.name]
        if p.name in labelled:
            labels = labelled[p.name]
            claims.take(
                p,
                "item",
                f"{role.evidence}; {labels.evidence}",
                item=role.item,
                measure=role.measure,
                values=labels.values,
                scale=_differs((labels.lo, labels.hi), ITEM_SCALE),
            )
            continue
        scale = rating_scale(p, [q for q in ratings if q is not p], "item rating")
        why = f"{role.evidence}; {scale.evidence}"
        claims.take(
            p, "item", why, item=role.item, measure=role.measure, scale=(scale.lo, scale.hi), na=scale.na
        )
