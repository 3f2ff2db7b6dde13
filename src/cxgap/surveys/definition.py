"""A survey definition: what cxgap asks, of whom, in which languages and colours, and where each answer goes
in the store. Written as TOML (`cxgap surveys create --file`, the editor), validated like `cxgap.toml`: a
wrong value is one sentence naming the file, the key and what was expected.

Where answers go:

- customers' surveys fill one `responses` row (`nps`, `csat`, `ces`, `superior`, the first `comment`) and,
  for `item` questions, `response_items` (SERVQUAL expectation, perception, importance, 1-7);
- staff surveys (`audience = "staff"`) fill `beliefs`: one row per `belief` question (a touchpoint and/or
  item), plus an overall row for a `superior` question;
- every answer, choices included, is also kept as given in `survey_answers`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from cxgap.config.base import Strict

QUESTION_TYPES = ("nps", "csat", "ces", "superior", "item", "comment", "choice", "belief")
ITEM_ASKS = ("expectation", "perception", "importance")
BELIEF_ASKS = ("superior_share", "nps", "csat", "rating", "expectation", "importance")
OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in")
SLUG = r"^[a-z][a-z0-9_-]{0,63}$"
QUESTION_ID = r"^[a-z][a-z0-9_]{0,63}$"
Wording = dict[str, str]  # language -> text; a plain string in TOML is the default language's


class Condition(Strict):
    """Show a question only when an earlier answer fits, e.g. `show_if = {question = "nps", op = "<=",
    value = 6}` asks detractors why."""

    question: str = Field(pattern=QUESTION_ID)
    op: Literal["==", "!=", "<", "<=", ">", ">=", "in"] = "=="
    value: float | str | list[float | str]

    def holds(self, answers: dict[str, Any]) -> bool:
        """Whether the condition holds for `answers` (an unanswered question holds nothing)."""
        given = answers.get(self.question)
        if given is None or given == "":
            return False
        if self.op == "in":
            options = self.value if isinstance(self.value, list) else [self.value]
            return any(_same(given, option) for option in options)
        if self.op in ("==", "!="):
            return _same(given, self.value) == (self.op == "==")
        try:
            left, right = float(given), float(self.value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[self.op]


def _same(given: Any, value: Any) -> bool:
    try:
        return float(given) == float(value)
    except (TypeError, ValueError):
        return str(given) == str(value)


class Choice(Strict):
    """One option of a `choice` question: the value stored and its wording."""

    value: str = Field(min_length=1, max_length=64)
    text: Wording


class Question(Strict):
    """One question. `item` and `belief` questions ask several ratings at once (`ask`)."""

    id: str = Field(pattern=QUESTION_ID)
    type: Literal["nps", "csat", "ces", "superior", "item", "comment", "choice", "belief"]
    text: Wording
    help: Wording | None = None
    required: bool = False
    show_if: Condition | None = None
    item: str | None = Field(None, description="item: the cxgap.toml item; belief: optional item")
    touchpoint: str | None = Field(None, description="belief: the touchpoint (empty: the company overall)")
    ask: list[str] = Field(default_factory=list, description="item: ITEM_ASKS; belief: BELIEF_ASKS")
    options: list[Choice] = Field(default_factory=list, description="choice: its options")
    multiple: bool = Field(False, description="choice: several options may be picked")
    max_length: int = Field(2000, gt=0, le=20000, description="comment: longest answer accepted")

    @field_validator("text", "help", mode="before")
    @classmethod
    def _plain_string(cls, value: Any) -> Any:
        return {"": value} if isinstance(value, str) else value  # filled with the default language later


class Brand(Strict):
    """The company's name and colours on the respondent pages and the widget."""

    company: str = Field("", max_length=120)
    primary: str = Field("#0b5394", pattern=r"^#[0-9a-fA-F]{6}$", description="buttons and headings")
    background: str = Field("#ffffff", pattern=r"^#[0-9a-fA-F]{6}$")


class SurveyDefinition(Strict):
    """A whole survey: its audience, what it is about, its wording in every language, its questions."""

    name: str = Field(pattern=SLUG)
    title: Wording
    audience: Literal["customers", "staff"] = "customers"
    kind: Literal["relational", "transactional"] = "relational"
    touchpoint: str | None = Field(None, description="transactional: the touchpoint it asks about")
    channel: str = Field("survey", max_length=64, description="responses.channel of its answers")
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    layout: Literal["one_page", "one_at_a_time"] = "one_at_a_time"
    brand: Brand = Brand()
    intro: Wording | None = None
    thanks: Wording = Field(default_factory=lambda: {"": "Thank you for your answers."})
    follow_up_consent: Wording | None = Field(
        None, description="asked on the thank-you page: may we contact you about your answers?"
    )
    anonymous: bool = Field(False, description="also answerable from a public link (/s/a/<name>)")
    questions: list[Question] = Field(min_length=1)

    @field_validator("title", "intro", "thanks", "follow_up_consent", mode="before")
    @classmethod
    def _plain_string(cls, value: Any) -> Any:
        return {"": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _default_language(self) -> SurveyDefinition:
        """A plain string is the default (first) language's wording."""
        default = self.languages[0]
        for wording in self.wordings():
            if "" in wording:
                wording.setdefault(default, wording.pop(""))
        return self

    def wordings(self) -> list[Wording]:
        """Every wording in the survey (titles, questions, help, options), to check languages."""
        found = [self.title, self.thanks] + [w for w in (self.intro, self.follow_up_consent) if w]
        for question in self.questions:
            found.append(question.text)
            if question.help:
                found.append(question.help)
            found += [option.text for option in question.options]
        return found

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError if none)."""
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def shown(self, answers: dict[str, Any]) -> list[Question]:
        """The questions a respondent with these answers is asked (skip logic applied, in order)."""
        return [q for q in self.questions if q.show_if is None or q.show_if.holds(answers)]

    def text(self, wording: Wording | None, language: str) -> str:
        """A wording in `language`, else in the default language."""
        if not wording:
            return ""
        return wording.get(language) or wording[self.languages[0]]
