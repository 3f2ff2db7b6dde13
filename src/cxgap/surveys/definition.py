"""A survey definition: what cxgap asks, of whom, in which languages and colours, and where each answer goes
in the store. Written as TOML (`cxgap surveys create --file`, the editor), validated like `cxgap.toml`: a
wrong value is one sentence naming the file, the key and what was expected.

Where answers go:

- customers' surveys fill one `responses` row (`nps`, `csat`, `ces`, `superior`, the first `comment`) and,
  for `item` questions, `response_items` (SERVQUAL expectation, perception, importance, 1-7);
- staff surveys (`audience = "staff"`) fill `beliefs`: one row per `belief` question (a touchpoint and/or
  item), plus an overall row for a `superior` question;
- every answer, choices included, is also kept as given in `survey_answers`.

`parse_definition` reads and validates one; `to_toml` writes it back; `check_against` holds it against
cxgap.toml's touchpoints and items. The rules (unique ids, skip logic looking back, one place in the store per
answer, every wording in every language, readable colours) live on the model, so no invalid definition
can be built in any other way either.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

import tomli_w
from pydantic import Field, ValidationError, field_validator, model_validator

from cxgap.colours import contrast as contrast
from cxgap.config.base import Strict
from cxgap.errors import ConfigError

if TYPE_CHECKING:
    from cxgap.config import Settings

QUESTION_TYPES = ("nps", "csat", "ces", "superior", "item", "comment", "choice", "belief")
ITEM_ASKS = ("expectation", "perception", "importance")
BELIEF_ASKS = ("superior_share", "nps", "csat", "rating", "expectation", "importance")
OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in")
SLUG = r"^[a-z][a-z0-9_-]{0,63}$"
QUESTION_ID = r"^[a-z][a-z0-9_]{0,63}$"
RESERVED_IDS = (
    "website",
    "step",
    "lang",
    "action",
    "shown",
    "survey",
    "version",
    "consent",
)  # form fields of the respondent pages (website: honeypot)
LANGUAGE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
COLOUR = r"^#[0-9a-fA-F]{6}$"
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}  # the numeric questions and their answers
ONE_COLUMN = ("nps", "csat", "ces", "superior")  # each fills one responses (or beliefs) column
STAFF_TYPES = ("belief", "superior", "comment", "choice")
DEFAULT_ITEM_ASKS = ["expectation", "perception"]
MIN_CONTRAST = 4.5  # WCAG AA for normal text
# a question key other than id/type/text/help/required/show_if, and the question types it belongs to
ONLY_FOR = {
    "item": ("item", "belief"),
    "touchpoint": ("belief",),
    "ask": ("item", "belief"),
    "options": ("choice",),
    "multiple": ("choice",),
    "max_length": ("comment",),
}
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
        if given is None or given == "" or given == []:
            return False
        options = self.value if isinstance(self.value, list) else [self.value]
        if isinstance(given, list):  # a multiple choice: '==' and 'in' any pick, '!=' none of them
            picked = any(_same(g, option) for g in given for option in options)
            return {"==": picked, "in": picked, "!=": not picked}.get(self.op, False)
        if self.op == "in":
            return any(_same(given, option) for option in options)
        if self.op in ("==", "!="):
            return _same(given, self.value) == (self.op == "==")
        try:
            left, right = float(given), float(self.value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[self.op]


def _same(given: Any, value: Any) -> bool:
    if isinstance(given, bool):  # a yes/no answer against "yes"/"no" (or true/false) in show_if
        given = "yes" if given else "no"
    if isinstance(value, bool):
        value = "yes" if value else "no"
    try:
        return float(given) == float(value)
    except (TypeError, ValueError):
        return str(given) == str(value)


class Choice(Strict):
    """One option of a `choice` question: the value stored and its wording."""

    value: str = Field(min_length=1, max_length=64)
    text: Wording

    @field_validator("text", mode="before")
    @classmethod
    def _plain_string(cls, value: Any) -> Any:
        return {"": value} if isinstance(value, str) else value  # filled with the default language later


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

    @model_validator(mode="before")
    @classmethod
    def _item_asks(cls, data: Any) -> Any:
        """An item question asks expectation and perception unless it says otherwise."""
        if isinstance(data, dict) and data.get("type") == "item" and not data.get("ask"):
            return {**data, "ask": list(DEFAULT_ITEM_ASKS)}
        return data


class Brand(Strict):
    """The company's name and colours on the respondent pages and the widget."""

    company: str = Field("", max_length=120)
    primary: str = Field("#0b5394", pattern=COLOUR, description="buttons and headings")
    background: str = Field("#ffffff", pattern=COLOUR)


class SurveyDefinition(Strict):
    """A whole survey: its audience, what it is about, its wording in every language, its questions."""

    name: str = Field(pattern=SLUG)
    title: Wording
    audience: Literal["customers", "staff"] = "customers"
    kind: Literal["relational", "transactional"] = "relational"
    touchpoint: str | None = Field(None, description="transactional: the touchpoint it asks about")
    channel: str = Field("survey", max_length=64, description="responses.channel of its answers")
    languages: list[Annotated[str, Field(pattern=LANGUAGE)]] = Field(
        default_factory=lambda: ["en"], min_length=1
    )
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

    @model_validator(mode="after")
    def _rules(self) -> SurveyDefinition:
        """The rules no field alone can check; the first broken one is the error."""
        for problem in _problems(self):
            raise ValueError(problem)
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


def parse_definition(text: str, source: str, settings: Settings | None = None) -> SurveyDefinition:
    """Read a survey definition from TOML and validate it (against cxgap.toml's touchpoints and items too,
    given `settings`); a problem is a ConfigError naming `source`, the key and what was expected."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML ({error}).") from None
    try:
        definition = SurveyDefinition.model_validate(data)
    except ValidationError as error:
        raise ConfigError(describe_problem(error, source)) from None
    if settings is not None:
        check_against(definition, settings, source)
    return definition


def to_toml(definition: SurveyDefinition) -> str:
    """The definition as TOML that `parse_definition` reads back equal: defaults left out, a wording in
    the default language alone written as a plain string."""
    data = definition.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data["name"], data["questions"] = definition.name, data.get("questions", [])
    only = definition.languages[0]
    for key in ("title", "intro", "thanks", "follow_up_consent"):
        if key in data:
            data[key] = _plain(data[key], only)
    for question in data["questions"]:
        condition = question.get("show_if")
        if condition is not None:  # 6, not 6.0
            condition["value"] = _whole(condition["value"])
        for key in ("text", "help"):
            if key in question:
                question[key] = _plain(question[key], only)
        for option in question.get("options", []):
            option["text"] = _plain(option["text"], only)
    return SHORT_ARRAY.sub(_one_line, tomli_w.dumps(data))


SHORT_ARRAY = re.compile(r'\[\n((?:[ ]+"[^"\\\n]*",\n)+)\]')


def _one_line(found: re.Match[str]) -> str:
    """An array of short plain strings on one line: `ask = ["expectation", "perception"]`."""
    return "[" + ", ".join(line.strip().rstrip(",") for line in found.group(1).splitlines()) + "]"


def _whole(value: Any) -> Any:
    """Whole numbers written as integers, in a list too."""
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _plain(wording: Any, language: str) -> Any:
    """A wording in `language` alone as its text; any other as it is."""
    return wording[language] if isinstance(wording, dict) and list(wording) == [language] else wording


def check_against(definition: SurveyDefinition, settings: Settings, source: str | None = None) -> None:
    """Refuse a definition naming a touchpoint or item that cxgap.toml does not configure: its answers
    would land where no analysis looks. Where cxgap.toml names none (the data's own are used), any is taken."""
    where = source or f"survey {definition.name}"
    touchpoints, items = settings.touchpoints, settings.items
    if touchpoints and definition.touchpoint is not None and definition.touchpoint not in touchpoints:
        raise ConfigError(
            f"{where}: touchpoint '{definition.touchpoint}' is not one of the touchpoints in cxgap.toml "
            f"({', '.join(touchpoints)})."
        )
    for index, question in enumerate(definition.questions):
        at = f"questions[{index}]"
        if items and question.item is not None and question.item not in items:
            raise ConfigError(
                f"{where}: {at}.item '{question.item}' (question '{question.id}') is not one of the items "
                f"in cxgap.toml ({', '.join(items)})."
            )
        if touchpoints and question.touchpoint is not None and question.touchpoint not in touchpoints:
            raise ConfigError(
                f"{where}: {at}.touchpoint '{question.touchpoint}' (question '{question.id}') is not one of "
                f"the touchpoints in cxgap.toml ({', '.join(touchpoints)})."
            )


PATTERNS = {
    SLUG: "a short name of lowercase letters, digits, - and _ that starts with a letter",
    QUESTION_ID: "lowercase letters, digits and _ that start with a letter",
    LANGUAGE: "a language code such as en, de or pt-BR",
    COLOUR: "a colour written #rrggbb",
}


def describe_problem(error: ValidationError, source: str) -> str:
    """Pydantic's first error about a survey definition as one sentence: source, key path (such as
    `questions[3].show_if`) and what was expected."""
    first = error.errors()[0]
    parts = [p for p in first["loc"] if isinstance(p, int) or not _union_branch(p)]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")
    kind, message = first["type"], first["msg"]
    if kind == "value_error":
        return f"{source}: {message.removeprefix('Value error, ')}."
    if kind == "extra_forbidden":
        return f"{source}: unknown key '{path}'; check its spelling against docs/surveys.md."
    if kind == "missing":
        return f"{source}: key '{path}' is missing."
    if kind == "string_pattern_mismatch":
        expected = PATTERNS.get(str((first.get("ctx") or {}).get("pattern")), message.lower())
    else:
        expected = message.removeprefix("Input should be ")
        expected = expected[0].lower() + expected[1:]
    shown = repr(first.get("input"))
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{source}: key '{path or 'the file'}' has value {shown}, expected {expected}."


def _union_branch(part: str | int) -> bool:
    """Whether a location part names a branch of a union type ('float', 'list[...]'), not a key."""
    return str(part) in ("float", "str", "int", "bool") or "[" in str(part)


def _problems(definition: SurveyDefinition) -> Iterator[str]:
    """Every broken rule of a definition whose fields are each valid, in the order a reader fixes them."""
    yield from _language_problems(definition)
    yield from _audience_problems(definition)
    earlier: dict[str, tuple[int, Question]] = {}
    places: dict[tuple[str | None, ...], tuple[int, Question]] = {}
    for index, question in enumerate(definition.questions):
        at = f"questions[{index}]"
        if question.id in earlier:
            first = earlier[question.id][0]
            yield f"{at}.id '{question.id}' is the id of questions[{first}] too; give each question its own id"
        yield from _question_problems(question, f"{at} (question '{question.id}')")
        if question.show_if is not None:
            seen = {qid: q for qid, (_, q) in earlier.items()}
            ids = {q.id for q in definition.questions[index + 1 :]}
            yield from _condition_problems(
                question.show_if, seen, ids, f"{at}.show_if (question '{question.id}')"
            )
        for place in _places(question):
            if place in places:
                other, was = places[place]
                yield (
                    f"{at} (question '{question.id}') asks {_say_place(place)}, as questions[{other}] "
                    f"('{was.id}') does; each answer has one place in the store, so ask it once"
                )
            places[place] = (index, question)
        earlier.setdefault(question.id, (index, question))
    yield from _brand_problems(definition.brand)


def _language_problems(definition: SurveyDefinition) -> Iterator[str]:
    languages = definition.languages
    for language in languages:
        if languages.count(language) > 1:
            yield f"languages lists '{language}' twice"
    listed = ", ".join(languages)
    for path, wording in _wordings_at(definition):
        for language in wording:
            if language not in languages:
                yield f"{path} has a '{language}' wording, but '{language}' is not one of the languages ({listed})"
        for language in languages:
            if language not in wording:
                given = path != "thanks" or "thanks" in definition.model_fields_set
                path = path if given else "thanks (unset: an English default)"
                yield f"{path} has no '{language}' wording; every wording needs each of the languages ({listed})"
            elif not wording[language].strip():
                yield f"{path} is empty in '{language}'"


def _wordings_at(definition: SurveyDefinition) -> Iterator[tuple[str, Wording]]:
    """Every wording with its key path."""
    for key in ("title", "intro", "thanks", "follow_up_consent"):
        wording = getattr(definition, key)
        if wording is not None:
            yield key, wording
    for index, question in enumerate(definition.questions):
        yield f"questions[{index}].text", question.text
        if question.help is not None:
            yield f"questions[{index}].help", question.help
        for number, option in enumerate(question.options):
            yield f"questions[{index}].options[{number}].text", option.text


def _audience_problems(definition: SurveyDefinition) -> Iterator[str]:
    if definition.kind == "transactional" and definition.touchpoint is None:
        yield "kind = 'transactional' needs a touchpoint: the one its answers are about"
    if definition.kind == "relational" and definition.touchpoint is not None:
        yield (
            f"touchpoint = '{definition.touchpoint}' is for transactional surveys; a relational one is about "
            "the whole relationship (set kind = 'transactional', or remove touchpoint)"
        )
    for index, question in enumerate(definition.questions):
        at = f"questions[{index}] (question '{question.id}')"
        if definition.audience == "staff" and question.type not in STAFF_TYPES:
            yield (
                f"{at} is a {question.type} question, which staff surveys do not ask: they ask beliefs about "
                f"customers ({', '.join(STAFF_TYPES)})"
            )
        if definition.audience == "customers" and question.type == "belief":
            yield f"{at} is a belief question, which only staff surveys ask (audience = 'staff')"


def _question_problems(question: Question, at: str) -> Iterator[str]:
    if question.id in RESERVED_IDS:
        yield f"{at} uses the id '{question.id}', which the respondent pages keep for themselves; rename it"
    for key, types in ONLY_FOR.items():
        if key in question.model_fields_set and question.type not in types:
            yield f"{at} has {key}, which only {' and '.join(types)} questions have"
    asks = ITEM_ASKS if question.type == "item" else BELIEF_ASKS
    if question.type in ("item", "belief"):
        unknown = [a for a in question.ask if a not in asks]
        if unknown:
            yield f"{at} asks '{unknown[0]}', not one of {', '.join(asks)}"
        if not question.ask:
            yield f"{at} asks nothing; give ask a list of {', '.join(asks)}"
        if len(set(question.ask)) < len(question.ask):
            yield f"{at} lists an ask twice"
    if question.type == "item" and question.item is None:
        yield f"{at} needs an item: the cxgap.toml item it rates"
    if question.type == "belief" and "superior_share" in question.ask and question.item is not None:
        yield f"{at} asks superior_share about an item; ask it about a touchpoint or the company overall"
    if question.type == "choice":
        values = [option.value for option in question.options]
        if len(values) < 2:
            yield f"{at} needs at least two options"
        for value in values:
            if values.count(value) > 1:
                yield f"{at} has two options with value '{value}'; give each its own value"


def _condition_problems(
    condition: Condition, earlier: dict[str, Question], ids: set[str], at: str
) -> Iterator[str]:
    target = earlier.get(condition.question)
    if target is None:
        where = "comes after it" if condition.question in ids else "is no earlier question of this survey"
        yield f"{at} refers to '{condition.question}', which {where}; show_if may only look at an earlier question"
        return
    if target.type in ("item", "belief"):
        yield f"{at} looks at '{target.id}', a {target.type} question with several answers; look at a single answer"
        return
    values = condition.value if isinstance(condition.value, list) else [condition.value]
    if isinstance(condition.value, list) and condition.op != "in":
        yield f"{at} gives a list of values, which only op = 'in' takes"
    if condition.op in ("<", "<=", ">", ">=") and target.type not in SCALES:
        yield f"{at} compares with '{condition.op}', which needs a numeric question (nps, csat, ces), not a {target.type} one"
    if target.type in SCALES:
        low, high = SCALES[target.type]
        for value in values:
            number = _number(value)
            if number is None or not low <= number <= high:
                yield f"{at} has value {value!r}, expected a number from {low} to {high} ({target.type})"
    if target.type == "choice":
        options = [option.value for option in target.options]
        for value in values:
            if not any(_same(value, option) for option in options):
                yield f"{at} has value {value!r}, not an option of '{target.id}' ({', '.join(options)})"


def _number(value: float | str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _places(question: Question) -> list[tuple[str | None, ...]]:
    """Where a question's answers are stored: a responses column, an item's rating, a belief's column."""
    if question.type in ONE_COLUMN:
        return [(question.type,)]
    if question.type == "item":
        return [("item", question.item, ask) for ask in question.ask]
    if question.type == "belief":
        return [("belief", question.touchpoint, question.item, ask) for ask in question.ask]
    return []


def _say_place(place: tuple[str | None, ...]) -> str:
    if len(place) == 1:
        return f"the {place[0]} answer"
    if place[0] == "item":
        return f"the {place[2]} of item '{place[1]}'"
    about = " and ".join(f"'{p}'" for p in place[1:3] if p) or "the company overall"
    return f"the believed {place[3]} about {about}"


def _brand_problems(brand: Brand) -> Iterator[str]:
    on_primary = contrast("#ffffff", brand.primary)
    if on_primary < MIN_CONTRAST:
        yield (
            f"brand.primary '{brand.primary}' gives white text on it a contrast of {_ratio(on_primary)}:1, "
            f"below the {MIN_CONTRAST}:1 that WCAG AA asks; choose a darker colour"
        )
    on_background = contrast(brand.primary, brand.background)
    if on_background < MIN_CONTRAST:
        yield (
            f"brand.primary '{brand.primary}' on brand.background '{brand.background}' has a contrast of "
            f"{_ratio(on_background)}:1, below the {MIN_CONTRAST}:1 that WCAG AA asks; choose a lighter background"
        )


def _ratio(value: float) -> str:
    """A contrast ratio rounded down, so a failing ratio never reads as passing."""
    return f"{math.floor(value * 100) / 100:.2f}"
