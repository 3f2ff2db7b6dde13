"""Checking a respondent's answers against a survey definition, and the store records they become.

Answers arrive from forms as text or from pages and the widget already parsed; either way each is checked
against its question (ranges per type, known choices, comment length), skip logic decides which questions
were asked (an answer to a hidden question counts for nothing), and the checked answers map to one
`responses` record (customers) or `beliefs` records (staff). Nothing here reads or writes the store."""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from cxgap.errors import CxgapError
from cxgap.surveys.definition import SCALES, Question, SurveyDefinition

ITEM_SCALE = (1, 7)
BELIEF_SCALES = {
    "superior_share": (0, 100),
    "nps": (-100, 100),
    "csat": (1, 5),
    "rating": (1, 7),
    "expectation": (1, 7),
    "importance": (1, 7),
}
BELIEF_COLUMNS = {
    "superior_share": "believed_superior_share",
    "nps": "believed_nps",
    "csat": "believed_csat",
    "rating": "believed_rating",
    "expectation": "believed_expectation",
    "importance": "stated_importance",
}
YES, NO = ("yes", "true", "1", "y", "on"), ("no", "false", "0", "n", "off")


class AnswerProblems(CxgapError):
    """Answers that cannot be stored as given: `problems` maps each question's id to one sentence."""

    def __init__(self, problems: dict[str, str]) -> None:
        first = next(iter(problems.values()))
        many = f"{len(problems)} answers need" if len(problems) > 1 else "An answer needs"
        super().__init__(f"{many} another look: {first}")
        self.problems = problems


class _Bad(ValueError):
    """One answer's problem, as the sentence the respondent reads."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {}, ())


def _number(value: Any, low: float, high: float, whole: bool) -> float:
    """A number in [low, high] (whole for the customers' scales), from a form's text or a number."""
    say = f"Pick a number from {low} to {high}." if whole else f"Give a number from {low} to {high}."
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Bad(say)
    try:
        number = float(value.strip().replace(",", ".")) if isinstance(value, str) else float(value)
    except ValueError:
        raise _Bad(say) from None
    if not math.isfinite(number) or not low <= number <= high or (whole and not number.is_integer()):
        raise _Bad(say)
    return int(number) if number.is_integer() else number


def _choice(question: Question, value: Any) -> str | list[str] | None:
    picked = [value] if isinstance(value, str) else value if isinstance(value, list | tuple) else None
    if picked is None:
        raise _Bad("Pick one of the options given.")
    chosen = {str(v).strip() for v in picked if not _blank(v)}
    values = [option.value for option in question.options]
    if chosen - set(values):
        raise _Bad("Pick one of the options given.")
    if not question.multiple and len(chosen) > 1:
        raise _Bad("Pick one option only.")
    ordered = [v for v in values if v in chosen]
    return (ordered if question.multiple else ordered[0]) if ordered else None


def _ratings(question: Question, value: Any) -> dict[str, float] | None:
    if not isinstance(value, Mapping):
        raise _Bad("Pick a number for each rating.")
    found = {}
    for ask in question.ask:
        if not _blank(given := value.get(ask)):
            scale = ITEM_SCALE if question.type == "item" else BELIEF_SCALES[ask]
            found[ask] = _number(given, *scale, whole=question.type == "item")
    return found or None


def _parse(question: Question, value: Any) -> Any:
    """One answer in its stored shape (None when unanswered), or `_Bad` with the sentence to show."""
    if _blank(value):
        return None
    kind = question.type
    if kind in SCALES:
        return _number(value, *SCALES[kind], whole=True)
    if kind == "superior":
        said = str(value).strip().lower()
        if said not in YES + NO:
            raise _Bad("Answer yes or no.")
        return said in YES
    if kind == "comment":
        if not isinstance(value, str):
            raise _Bad("Write your answer as text.")
        if len(value.strip()) > question.max_length:
            raise _Bad(f"Keep your answer to {question.max_length:,} characters or fewer.")
        return value.strip()
    if kind == "choice":
        return _choice(question, value)
    return _ratings(question, value)


def _given(question: Question, answers: Mapping[str, Any]) -> Any:
    """A question's raw answer: `{ask: value}` for items and beliefs, also from flat `id.ask` form names."""
    value = answers.get(question.id)
    if question.type in ("item", "belief") and not isinstance(value, Mapping):
        flat = {a: answers[f"{question.id}.{a}"] for a in question.ask if f"{question.id}.{a}" in answers}
        return flat or value
    return value


def _walk(
    definition: SurveyDefinition, answers: Mapping[str, Any]
) -> Iterator[tuple[Question, Any, str | None]]:
    """Each question shown to these answers, in order, with its parsed answer or its problem; skip logic
    reads the parsed answers of the questions shown before, so an answer to a hidden question counts
    for nothing."""
    kept: dict[str, Any] = {}
    for question in definition.questions:
        if question.show_if is not None and not question.show_if.holds(kept):
            continue
        try:
            value = _parse(question, _given(question, answers))
        except _Bad as bad:
            yield question, None, str(bad)
            continue
        if value is not None:
            kept[question.id] = value
        yield question, value, None


def asked(definition: SurveyDefinition, answers: Mapping[str, Any]) -> list[Question]:
    """The questions a respondent with these answers is asked (skip logic on their valid answers)."""
    return [question for question, _, _ in _walk(definition, answers)]


def check_answers(
    definition: SurveyDefinition, answers: Mapping[str, Any], only: Collection[str] | None = None
) -> dict[str, Any]:
    """The answers to the questions shown, parsed (numbers, yes/no as bool, `{ask: number}` for items and
    beliefs, a value or list of values for choices, stripped text); answers to hidden or unknown
    questions are dropped. `AnswerProblems` names each shown question (of `only`, when given: one page
    of a survey asked a question at a time) whose answer is out of range or required and missing."""
    checked, problems = {}, {}
    for question, value, problem in _walk(definition, answers):
        judged = only is None or question.id in only
        if problem is None and value is None and question.required:
            problem = "Please answer this question."
        elif (
            problem is None
            and question.required
            and isinstance(value, dict)
            and len(value) < len(question.ask)
        ):
            problem = "Please give every rating of this question."
        if problem is not None:
            if judged:
                problems[question.id] = problem
        elif value is not None:
            checked[question.id] = value
    if problems:
        raise AnswerProblems(problems)
    return checked


def response_record(
    definition: SurveyDefinition, checked: dict[str, Any], base: dict[str, Any]
) -> dict[str, Any]:
    """A customer's checked answers as one `responses` record: `base` (its id, customer, time, survey...)
    with the scores, the first comment and the item ratings (`items`: {item: {ask: rating}})."""
    record = dict(base)
    items: dict[str, dict[str, float]] = {}
    for question in definition.questions:
        value = checked.get(question.id)
        if value is None:
            continue
        if question.type in ("nps", "csat", "ces", "superior"):
            record[question.type] = value
        elif question.type == "comment":
            record.setdefault("comment", value)
        elif question.type == "item" and question.item:
            items.setdefault(question.item, {}).update(value)
    if items:
        record["items"] = items
    return {key: value for key, value in record.items() if value is not None}


def belief_records(
    definition: SurveyDefinition, checked: dict[str, Any], base: dict[str, Any], dimensions: Mapping[str, str]
) -> list[dict[str, Any]]:
    """A staff member's checked answers as `beliefs` records: one per belief question, one overall for the
    superior question, each `base` (respondent, role, date, survey...) with `belief_id` = base's
    `response_id` + '-' + the question's id. `dimensions`: cxgap.toml's item -> dimension."""
    records = []
    for question in definition.questions:
        value = checked.get(question.id)
        record = {k: v for k, v in base.items() if k != "response_id"}
        record["belief_id"] = f"{base['response_id']}-{question.id}"
        if question.type == "belief" and value:
            record |= {
                "touchpoint": question.touchpoint,
                "item": question.item,
                "dimension": dimensions.get(question.item) if question.item else None,
            }
            record |= {BELIEF_COLUMNS[ask]: number for ask, number in value.items()}
        elif question.type == "superior" and value is not None:
            record["superior"] = value
        else:
            continue
        records.append({key: v for key, v in record.items() if v is not None})
    return records


def as_text(value: Any) -> str:
    """An answer as `survey_answers` keeps it: yes/no, a number, a value, or JSON for several."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def valid_answers(definition: SurveyDefinition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The valid answers among `answers`, parsed, whatever the skip logic (answers saved so far); an
    invalid one is left out, so a number box never keeps free text, and a long comment is cut short."""
    kept: dict[str, Any] = {}
    for question in definition.questions:
        value = _given(question, answers)
        if question.type == "comment" and isinstance(value, str):
            value = value.strip()[: question.max_length]
        try:
            parsed = _parse(question, value)
        except _Bad:
            continue
        if parsed is not None:
            kept[question.id] = parsed
    return kept
