"""The survey editor's form: a survey definition as the fields of one HTML form and back, the edits that
change its shape before it is saved (add, remove, move a question), and a refused definition's problems at
the fields they concern.

The page works on a *draft*: the definition as plain data (`SurveyDefinition.model_dump`), which the form
carries whole. Adding or moving a question changes the draft and shows it again without saving; only "Save"
validates it and stores a new version, so one save of several edits is one version.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from cxgap.surveys.definition import (
    BELIEF_ASKS,
    DEFAULT_ITEM_ASKS,
    ITEM_ASKS,
    ONLY_FOR,
    QUESTION_TYPES,
    STAFF_TYPES,
    SurveyDefinition,
)

Draft = dict[str, Any]
Fields = Mapping[str, str]
# the wording a question added in the editor starts with (the analyst rewrites it)
NEW_WORDING = {
    "nps": "How likely are you to recommend us to a friend or colleague?",
    "csat": "How satisfied are you with us overall?",
    "ces": "How easy was it to get what you needed?",
    "superior": "Is our service better than that of others you know?",
    "item": "How do you rate this?",
    "comment": "Anything else you would like to tell us?",
    "choice": "Which of these apply?",
    "belief": "What do you think customers would answer?",
}
TYPE_NAMES = {  # each kind of question, in the editor's words
    "nps": "NPS (0 to 10)",
    "csat": "CSAT (1 to 5)",
    "ces": "CES (1 to 7)",
    "superior": "Better than others? (yes or no)",
    "item": "SERVQUAL item (1 to 7)",
    "comment": "Comment (free text)",
    "choice": "Choice of options",
    "belief": "Belief about customers",
}
OPERATORS = (
    ("==", "equal to"),
    ("!=", "not equal to"),
    ("<", "below"),
    ("<=", "at most"),
    (">", "above"),
    (">=", "at least"),
    ("in", "one of"),
)
LAYOUTS = (("one_at_a_time", "One question at a time"), ("one_page", "All questions on one page"))
WORDINGS = ("title", "intro", "thanks", "follow_up_consent")  # the survey's own wordings, per language
ACTION = re.compile(r"^(remove|up|down)-(\d{1,3})$")


def draft_of(definition: SurveyDefinition) -> Draft:
    """A saved definition as the editor's draft: each question with the keys its kind has, and no other
    (the definition refuses, say, options on a comment question)."""
    draft = definition.model_dump(mode="json")
    for question in draft["questions"]:
        for key, kinds in ONLY_FOR.items():
            if question["type"] not in kinds:
                question.pop(key, None)
    return draft


def languages_of(text: str) -> list[str]:
    """The languages field ("en, de") as a list, in order, each once."""
    found = [part.strip() for part in re.split(r"[,\s]+", text) if part.strip()]
    return list(dict.fromkeys(found))


def _wording(fields: Fields, prefix: str, languages: list[str]) -> dict[str, str] | None:
    """One wording from its field per language; empty languages left out (they fall back to the first)."""
    found = {lang: fields.get(f"{prefix}-{lang}", "").strip() for lang in languages}
    kept = {lang: text for lang, text in found.items() if text}
    if not kept:
        return None
    if languages and languages[0] not in kept:
        kept = {languages[0]: ""} | kept  # the default language's missing wording: refused when saved
    return kept


def _number_or_text(value: str) -> float | int | str:
    """A condition's value as typed: a number when it reads as one (answers compare as numbers)."""
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def _condition(fields: Fields, prefix: str) -> dict[str, Any] | None:
    """A question's show_if from its three fields (no question picked: always shown)."""
    question = fields.get(f"{prefix}-if-question", "").strip()
    if not question:
        return None
    op = fields.get(f"{prefix}-if-op", "==")
    typed = fields.get(f"{prefix}-if-value", "").strip()
    value: Any = (
        [_number_or_text(v.strip()) for v in typed.split(",") if v.strip()]
        if op == "in"
        else _number_or_text(typed)
    )
    return {"question": question, "op": op, "value": value}


def options_text(options: list[dict[str, Any]], language: str) -> str:
    """A choice question's options in one language, as the textarea shows them: `value = wording` lines."""
    return "\n".join(f"{o['value']} = {o['text'].get(language, '')}".rstrip() for o in options)


def _options(fields: Fields, prefix: str, languages: list[str]) -> list[dict[str, Any]]:
    """The options of a choice question: the first language's lines give the values and their order, the
    other languages' lines give more wordings of the same values."""
    by_language: dict[str, dict[str, str]] = {}
    for lang in languages:
        lines = fields.get(f"{prefix}-options-{lang}", "").splitlines()
        pairs = [line.partition("=") for line in lines if line.strip()]
        by_language[lang] = {value.strip(): text.strip() for value, _, text in pairs}
    first = by_language.get(languages[0], {}) if languages else {}
    return [
        {
            "value": value,
            "text": {lang: found[value] for lang, found in by_language.items() if found.get(value)},
        }
        for value in first
    ]


def _question(fields: Fields, index: int, languages: list[str]) -> dict[str, Any]:
    """One question's fields as draft data (the fields its type does not use are left at their defaults)."""
    prefix = f"q{index}"
    kind = fields.get(f"{prefix}-type", "comment")
    question: dict[str, Any] = {
        "id": fields.get(f"{prefix}-id", "").strip(),
        "type": kind,
        "text": _wording(fields, f"{prefix}-text", languages) or {languages[0] if languages else "": ""},
        "help": _wording(fields, f"{prefix}-help", languages),
        "required": fields.get(f"{prefix}-required") == "on",
        "show_if": _condition(fields, prefix),
    }
    if kind in ("item", "belief"):
        question["item"] = fields.get(f"{prefix}-item", "").strip() or None
        box = f"{prefix}-ask-"
        ticked = [key.removeprefix(box) for key, on in fields.items() if key.startswith(box) and on == "on"]
        question["ask"] = [a for a in ticked if a in _asks(kind)]  # in the form's order: the order asked
    if kind == "belief":
        question["touchpoint"] = fields.get(f"{prefix}-touchpoint", "").strip() or None
    if kind == "choice":
        question["options"] = _options(fields, prefix, languages)
        question["multiple"] = fields.get(f"{prefix}-multiple") == "on"
    if kind == "comment":
        question["max_length"] = _number_or_text(fields.get(f"{prefix}-max_length", "2000").strip())
    return question


def _asks(kind: str) -> tuple[str, ...]:
    """The ratings an item or belief question may ask."""
    return ITEM_ASKS if kind == "item" else BELIEF_ASKS


def ask_order(kind: str, asked: list[str]) -> list[str]:
    """The ask boxes of a question in the order it asks them, then the ones it does not ask."""
    return [*asked, *(a for a in _asks(kind) if a not in asked)]


def draft_from(fields: Fields, name: str) -> Draft:
    """The draft the editor's form sends (every field it shows, the survey's name from its address)."""
    languages = languages_of(fields.get("languages", "")) or ["en"]
    draft: Draft = {
        "name": name,
        "audience": fields.get("audience", "customers"),
        "kind": fields.get("kind", "relational"),
        "touchpoint": fields.get("touchpoint", "").strip() or None,
        "channel": fields.get("channel", "survey").strip() or "survey",
        "languages": languages,
        "layout": fields.get("layout", "one_at_a_time"),
        "anonymous": fields.get("anonymous") == "on",
        "brand": {
            "company": fields.get("brand-company", "").strip(),
            "primary": fields.get("brand-primary", "#0b5394").strip().lower(),
            "background": fields.get("brand-background", "#ffffff").strip().lower(),
        },
    }
    for wording in WORDINGS:
        draft[wording] = _wording(fields, wording, languages)
    count = fields.get("questions", "0")
    total = min(int(count), 200) if count.isdigit() else 0
    draft["questions"] = [_question(fields, i, languages) for i in range(total)]
    return draft


def kinds_for(audience: str) -> tuple[str, ...]:
    """The kinds of question a survey for this audience may ask (staff answer beliefs, customers the rest)."""
    return STAFF_TYPES if audience == "staff" else tuple(k for k in QUESTION_TYPES if k != "belief")


def reshape(draft: Draft, action: str, new_type: str = "", items: list[str] | None = None) -> str:
    """Apply one shape edit to the draft (add a question of a kind, remove or move one); the sentence that
    says what changed ('' when nothing did)."""
    questions: list[dict[str, Any]] = draft["questions"]
    if action == "add":
        kinds = kinds_for(draft["audience"])
        if new_type not in kinds:
            return f"Choose the kind of question to add: {', '.join(kinds)}."
        questions.append(new_question(new_type, draft, items or []))
        return f"Question {len(questions)} added; write its wording, then save."
    found = ACTION.match(action)
    if not found or int(found.group(2)) >= len(questions):
        return ""
    what, index = found.group(1), int(found.group(2))
    if what == "remove":
        gone = questions.pop(index)
        return f"Question {index + 1} ({gone.get('id') or 'without an id'}) removed; save to keep the change."
    target = index - 1 if what == "up" else index + 1
    if not 0 <= target < len(questions):
        return ""
    questions[index], questions[target] = questions[target], questions[index]
    return f"Question {target + 1} is now {questions[target].get('id') or 'the one moved'}; save to keep the change."


def new_question(kind: str, draft: Draft, items: list[str]) -> dict[str, Any]:
    """A question of `kind` with a fresh id and a first wording, for the analyst to edit."""
    taken = {q.get("id") for q in draft["questions"]}
    number = 1
    while (question_id := kind if number == 1 else f"{kind}_{number}") in taken:
        number += 1
    question: dict[str, Any] = {
        "id": question_id,
        "type": kind,
        "text": {draft["languages"][0]: NEW_WORDING[kind]},
        "required": False,
        "show_if": None,
    }
    if kind == "choice":
        question["options"] = []
    if kind == "item":
        question["item"], question["ask"] = (items[0] if items else None), list(DEFAULT_ITEM_ASKS)
    if kind == "belief":
        question["ask"] = ["rating"]
    return question


def validated(draft: Draft) -> tuple[SurveyDefinition | None, dict[str, str]]:
    """The draft as a definition, or what stops it: form field id -> one sentence ('' for the survey as a
    whole). The definition's own rules stop at the first broken one, so fixing one may show the next."""
    problems = missing_wordings(draft)
    if problems:
        return None, problems
    try:
        return SurveyDefinition.model_validate(draft), {}
    except ValidationError as error:
        language = draft["languages"][0]
        for found in error.errors():
            if found["type"] == "value_error":
                said = str(found["msg"]).removeprefix("Value error, ")
                problems.setdefault(field_named(said, language), readable(said))
            else:
                problems.setdefault(field_of(found["loc"], language), sentence(found))
        return None, problems


def missing_wordings(draft: Draft) -> dict[str, str]:
    """The title, thank-you and questions need their wording in the first language (checked first: an
    emptied field is left out of the draft, and a missing wording would be named less clearly)."""
    language = draft["languages"][0]
    problems = {}
    for key, what in (("title", "a title"), ("thanks", "a thank-you message")):
        if not (draft.get(key) or {}).get(language):
            problems[f"{key}-{language}"] = f"The survey needs {what} in {language}."
    for index, question in enumerate(draft["questions"]):
        if not question["text"].get(language):
            problems[f"q{index}-text-{language}"] = f"Question {index + 1} needs its wording in {language}."
    return problems


PATHS = (  # a definition rule's key paths in the words of the form
    (re.compile(r"questions\[(\d+)\]\.options\[(\d+)\]\.text"), "question {0}'s option {1}"),
    (re.compile(r"questions\[(\d+)\]\.text"), "question {0}"),
    (re.compile(r"questions\[(\d+)\]\.help"), "question {0}'s help"),
    (re.compile(r"questions\[(\d+)\]\.show_if"), "question {0}'s condition"),
    (re.compile(r"questions\[(\d+)\]\.id"), "question {0}'s id"),
    (re.compile(r"questions\[(\d+)\]"), "question {0}"),
    (re.compile(r"\bfollow_up_consent\b"), "the follow-up consent question"),
)


def _counted(words: str) -> Callable[[re.Match[str]], str]:
    """A substitution that puts a path's indexes into `words`, counted from 1."""
    return lambda found: words.format(*(int(g) + 1 for g in found.groups()))


def readable(said: str) -> str:
    """A definition rule's sentence as the form says it (`questions[2].text` is question 3's wording),
    with a capital and a full stop."""
    for pattern, words in PATHS:
        said = pattern.sub(_counted(words), said)
    return said[:1].upper() + said[1:].rstrip(".") + "."


RULE_FIELDS = (  # a rule's sentence, as the definition says it -> the field it is about
    (re.compile(r"^questions\[(\d+)\]\.(text|help) .*?'([\w-]+)'"), "q{0}-{1}-{2}"),
    (re.compile(r"^questions\[(\d+)\]\.options\[\d+\]\.text .*?'([\w-]+)'"), "q{0}-options-{1}"),
    (re.compile(r"^questions\[(\d+)\]\.id\b"), "q{0}-id"),
    (re.compile(r"^questions\[(\d+)\]\.show_if .*?(has value|gives a list)"), "q{0}-if-value"),
    (re.compile(r"^questions\[(\d+)\]\.show_if .*?compares"), "q{0}-if-op"),
    (re.compile(r"^questions\[(\d+)\]\.show_if"), "q{0}-if-question"),
    (re.compile(r"^questions\[(\d+)\] .*?\boptions?\b"), "q{0}-options-{lang}"),
    (re.compile(r"^questions\[(\d+)\] .*?\b(asks|ask)\b"), "q{0}-ask"),
    (re.compile(r"^questions\[(\d+)\] .*?\bitem\b"), "q{0}-item"),
    (re.compile(r"^questions\[(\d+)\]"), "q{0}"),
    (re.compile(r"^(title|intro|thanks|follow_up_consent) .*?'([\w-]+)'"), "{0}-{1}"),
    (re.compile(r"^brand\.(primary|background)"), "brand-{0}"),
    (re.compile(r"^(kind|touchpoint)\b"), "touchpoint"),
    (re.compile(r"^languages\b"), "languages"),
)


def field_named(said: str, language: str) -> str:
    """The form field a definition rule's sentence is about ('' when it is about the survey as a whole)."""
    for pattern, field in RULE_FIELDS:
        found = pattern.match(said)
        if found:
            return field.format(*(p.lower() for p in found.groups()), lang=language)
    return ""


TOP_FIELDS = ("languages", "layout", "channel", "touchpoint", "anonymous")


def field_of(loc: tuple[int | str, ...], language: str) -> str:
    """The form field (its id) a field error's location points at; '' for the survey as a whole."""
    parts = [str(p) for p in loc]
    if not parts:
        return ""
    if parts[0] == "questions" and len(parts) >= 2 and parts[1].isdigit():
        prefix, rest = f"q{parts[1]}", parts[2:]
        if not rest or rest[0] == "type":
            return prefix
        if rest[0] == "show_if":
            return f"{prefix}-if-{rest[1] if len(rest) > 1 and rest[1] in ('question', 'op') else 'value'}"
        if rest[0] in ("text", "help", "options"):
            wording = rest[1] if rest[0] != "options" and len(rest) > 1 else language
            return f"{prefix}-{rest[0]}-{wording}"
        return f"{prefix}-{rest[0]}"
    if parts[0] == "brand" and len(parts) > 1:
        return f"brand-{parts[1]}"
    if parts[0] in WORDINGS:
        return f"{parts[0]}-{parts[2] if len(parts) > 2 else language}"
    return parts[0] if parts[0] in TOP_FIELDS else ""


EXPECTED = {
    "id": "lowercase letters, digits and _ that start with a letter",
    "primary": "a colour written #rrggbb, e.g. #0b5394",
    "background": "a colour written #rrggbb, e.g. #ffffff",
    "languages": "language codes such as en, de or pt-BR",
}


def sentence(error: Mapping[str, Any]) -> str:
    """One sentence for one field error: where (the question's number or the setting) and what is
    expected, never the value itself."""
    loc = [str(p) for p in error.get("loc", ())]
    where = "The survey"
    if loc[:1] == ["questions"] and len(loc) > 1 and loc[1].isdigit():
        where = f"Question {int(loc[1]) + 1}"
        loc = loc[2:]
    key = next((p for p in loc if not p.isdigit() and p not in ("float", "str")), "")
    what = f"{where}'s {key.replace('_', ' ')}" if key else where
    expected = EXPECTED.get(key) if error.get("type") == "string_pattern_mismatch" else None
    message = str(error.get("msg", "is not valid")).rstrip(".")
    return f"{what} must be {expected}." if expected else f"{what}: {message[:1].lower()}{message[1:]}."
