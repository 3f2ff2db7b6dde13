"""What a respondent page shows for each question, and what a posted form answered.

`fields` turns a definition's questions into plain view objects (a legend, its radio scales or inputs, the
answer given so far, the problem found) that the templates lay out without deciding anything; `read_form`
turns a posted form back into answers keyed by question id, in the shapes `cxgap.surveys.answers` takes:
a number for NPS, CSAT and CES, `True`/`False` for the superior question, `{ask: number}` for SERVQUAL
items and beliefs, text for comments, a value (or a list of values) for choices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cxgap.surveys.definition import Question, SurveyDefinition

SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
ITEM_SCALE = (1, 7)
BELIEF_INPUTS = {  # ask -> (control, low, high)
    "superior_share": ("number", 0, 100),
    "nps": ("number", -100, 100),
    "csat": ("radio", 1, 5),
    "rating": ("radio", 1, 7),
    "expectation": ("radio", 1, 7),
    "importance": ("radio", 1, 7),
}


class FormData(Protocol):
    """A posted form: one value or all values of a name."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


class Posted:
    """A urlencoded form as posted (`cxgap.web.loop.shown.posted`): a name's first value or all of them
    (checkboxes send one name many times)."""

    def __init__(self, fields: Mapping[str, list[str]]) -> None:
        self.fields = fields

    def get(self, key: str, default: Any = None) -> Any:
        values = self.fields.get(key)
        return values[0] if values else default

    def getlist(self, key: str) -> list[Any]:
        return list(self.fields.get(key, []))

    def __contains__(self, key: object) -> bool:
        return key in self.fields

    def first(self) -> dict[str, str]:
        """Each name's first value."""
        return {name: values[0] for name, values in self.fields.items() if values}


@dataclass(frozen=True)
class Option:
    """One radio button or checkbox: its value, visible label, words only a screen reader hears (a scale's
    end, e.g. "Not at all likely"), whether it is chosen, and its element id."""

    value: str
    label: str
    hint: str
    checked: bool
    id: str


@dataclass(frozen=True)
class Group:
    """One control of a question: a row of radios or checkboxes, a number box or a text box. `legend` is
    empty when the group is the question's only one (the question's legend names it)."""

    name: str
    id: str
    legend: str
    control: str  # radio, checkbox, number or textarea
    options: tuple[Option, ...] = ()
    low: str = ""
    high: str = ""
    value: str = ""
    minimum: int = 0
    maximum: int = 0
    max_length: int = 0
    wide: bool = False  # an 11-point scale: buttons wrap onto two rows on a phone


@dataclass(frozen=True)
class Field:
    """One question as shown: its legend, help, whether it must be answered, the problem with its answer
    (or None), and its controls. `target` is the first control's id, where an error summary link goes."""

    question: str
    id: str
    legend: str
    help: str
    required: bool
    problem: str | None
    groups: tuple[Group, ...] = field(default_factory=tuple)
    condition: str = ""  # a preview's note on when the question is asked

    @property
    def target(self) -> str:
        first = self.groups[0]
        return first.options[0].id if first.options else first.id

    @property
    def fieldset(self) -> bool:
        """Whether the question is a group of choices (a fieldset with a legend) rather than one text box."""
        return len(self.groups) > 1 or self.groups[0].control in ("radio", "checkbox")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _scale(
    name: str, legend: str, low: int, high: int, ends: tuple[str, str], given: Any, wide: bool = False
) -> Group:
    chosen = _text(given)
    options = tuple(
        Option(
            str(n),
            str(n),
            ends[0] if n == low else ends[1] if n == high else "",
            str(n) == chosen,
            f"{_id(name)}-{n}",
        )
        for n in range(low, high + 1)
    )
    return Group(name, _id(name), legend, "radio", options, low=ends[0], high=ends[1], wide=wide)


def _id(name: str) -> str:
    return "q-" + name.replace(".", "-").replace("_", "-")


def _groups(question: Question, words: Mapping[str, str], given: Any, text: Any) -> tuple[Group, ...]:
    """The controls of one question, filled with the answer given so far."""
    name, kind = question.id, question.type
    if kind in SCALES:
        low, high = SCALES[kind]
        ends = (words[f"{kind}_low"], words[f"{kind}_high"])
        return (_scale(name, "", low, high, ends, given, wide=kind == "nps"),)
    if kind == "superior":
        chosen = _text(given)
        options = tuple(Option(v, words[v], "", v == chosen, f"{_id(name)}-{v}") for v in ("yes", "no"))
        return (Group(name, _id(name), "", "radio", options),)
    if kind == "comment":
        return (Group(name, _id(name), "", "textarea", value=_text(given), max_length=question.max_length),)
    if kind == "choice":
        picked = {_text(v) for v in given} if isinstance(given, list) else {_text(given)}
        options = tuple(
            Option(o.value, text(o.text), "", o.value in picked, f"{_id(name)}-{i}")
            for i, o in enumerate(question.options)
        )
        return (Group(name, _id(name), "", "checkbox" if question.multiple else "radio", options),)
    asked = given if isinstance(given, dict) else {}
    ends = (words["scale_low"], words["scale_high"])
    if kind == "item":
        return tuple(
            _scale(f"{name}.{ask}", words[ask], *ITEM_SCALE, ends, asked.get(ask)) for ask in question.ask
        )
    groups = []
    for ask in question.ask:  # belief
        control, low, high = BELIEF_INPUTS[ask]
        label, sub = words[f"belief_{ask}"], f"{name}.{ask}"
        if control == "number":
            value = _text(asked.get(ask))
            groups.append(Group(sub, _id(sub), label, "number", value=value, minimum=low, maximum=high))
        else:
            groups.append(_scale(sub, label, low, high, ends, asked.get(ask)))
    return tuple(groups)


def fields(
    definition: SurveyDefinition,
    questions: list[Question],
    language: str,
    words: Mapping[str, str],
    answers: Mapping[str, Any],
    problems: Mapping[str, str],
) -> list[Field]:
    """The view of `questions` in `language`, with the answers given so far and the problems found."""

    def text(wording: Any) -> str:
        return definition.text(wording, language)

    return [
        Field(
            q.id,
            _id(q.id),
            text(q.text),
            text(q.help),
            q.required,
            problems.get(q.id),
            _groups(q, words, answers.get(q.id), text),
        )
        for q in questions
    ]


def _number(raw: str) -> int | float | str:
    """A posted number as a number; anything else stays text, for the answers' check to name."""
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        return raw
    return int(value) if value.is_integer() else value


def read_form(questions: list[Question], form: FormData) -> dict[str, Any]:
    """The answers a posted form gives to `questions` (those shown on the page it came from). A question
    left blank is `None`, so a cleared answer replaces the one saved before."""
    answers: dict[str, Any] = {}
    for q in questions:
        raw = str(form.get(q.id) or "").strip()
        if q.type in ("item", "belief"):
            asked = {ask: str(form.get(f"{q.id}.{ask}") or "").strip() for ask in q.ask}
            answers[q.id] = {ask: _number(v) for ask, v in asked.items() if v} or None
        elif q.type == "choice" and q.multiple:
            answers[q.id] = [str(v) for v in form.getlist(q.id) if str(v)] or None
        elif q.type in SCALES:
            answers[q.id] = _number(raw) if raw else None
        elif q.type == "superior":
            answers[q.id] = {"yes": True, "no": False}.get(raw, raw) if raw else None
        else:
            answers[q.id] = raw or None
    return answers


def merged(saved: Mapping[str, Any], posted: Mapping[str, Any]) -> dict[str, Any]:
    """Saved answers updated with a page's posted ones; questions the respondent cleared drop out."""
    both = {**saved, **posted}
    return {key: value for key, value in both.items() if value is not None}


def unanswered(question: Question, answers: Mapping[str, Any]) -> bool:
    """Whether a question has no answer (an item or belief with none of its ratings)."""
    given = answers.get(question.id)
    return given is None or given == "" or given == [] or given == {}
