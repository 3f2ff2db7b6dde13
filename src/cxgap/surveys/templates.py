"""Ready survey definitions built from cxgap.toml's touchpoints, items and dimensions, in English: a
relational NPS, transactional CSAT and CES for one touchpoint, SERVQUAL's paired expectation and
perception items, and the leaders' and staff belief survey that mirrors what customers are asked, so the
perception and knowledge gaps come from collected answers. Each is valid as it stands; edit it to taste."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from cxgap.config import Settings
from cxgap.errors import ConfigError
from cxgap.surveys.definition import SurveyDefinition, describe_problem

TEMPLATES = ("nps", "csat", "ces", "servqual", "beliefs")
CONSENT = "May we contact you about your answers? We will only use them to follow up on what you told us."
# the demo company's SERVQUAL items in words; any other item is read from its code
ITEM_WORDS = {
    "equipment_modern": "modern-looking equipment",
    "materials_clear": "clear, easy-to-read documents and materials",
    "as_promised": "doing what was promised, when it was promised",
    "right_first_time": "getting things right the first time",
    "prompt_service": "prompt service",
    "willing_to_help": "staff who are always willing to help",
    "trustworthy_staff": "staff you can trust",
    "knowledgeable_staff": "staff with the knowledge to answer questions",
    "individual_attention": "individual attention to each customer",
    "convenient_hours": "opening hours that suit customers",
}


def template(
    kind: str, settings: Settings, name: str | None = None, touchpoint: str | None = None
) -> SurveyDefinition:
    """The `kind` template (one of TEMPLATES) for this configuration, named `name` (default: the kind, and
    its touchpoint for csat and ces); csat and ces need one of the configured touchpoints."""
    if kind not in TEMPLATES:
        raise ConfigError(f"There is no survey template '{kind}'; choose one of {', '.join(TEMPLATES)}.")
    if kind in ("csat", "ces"):
        if touchpoint is None:
            raise ConfigError(
                f"The {kind} template asks about one touchpoint; name it with --touchpoint "
                f"(one of {', '.join(settings.touchpoints)})."
            )
        if settings.touchpoints and touchpoint not in settings.touchpoints:
            raise ConfigError(
                f"Touchpoint '{touchpoint}' is not one of the touchpoints in cxgap.toml "
                f"({', '.join(settings.touchpoints)})."
            )
        body = _transactional(kind, touchpoint)
        default = _code(f"{kind}-{touchpoint}", "-")
    else:
        if touchpoint is not None:
            raise ConfigError(f"The {kind} template is not about one touchpoint; leave out --touchpoint.")
        body = {"nps": _nps, "servqual": _servqual, "beliefs": _beliefs}[kind](settings)
        default = kind
    try:
        return SurveyDefinition.model_validate({"name": name or default, **body})
    except ValidationError as error:  # a name that is no slug, or cxgap.toml codes that make no id
        raise ConfigError(describe_problem(error, f"The {kind} template")) from None


def words(code: str) -> str:
    """A touchpoint's or item's code in words: 'right_first_time' -> 'getting things right the first
    time' for the demo's items, 'field_visit' -> 'field visit' for any other."""
    return ITEM_WORDS.get(code, code.replace("_", " ").replace("-", " "))


def _code(text: str, join: str = "_") -> str:
    """`text` as a survey name or question id: lowercase letters, digits and `join`, at most 64."""
    return re.sub(r"[^a-z0-9]+", join, text.lower()).strip(join)[:64]


def _ids(prefix: str, codes: list[str]) -> list[str]:
    """One question id per touchpoint or item code, unique even where two codes read the same."""
    ids: list[str] = []
    for code in codes:
        found = base = _code(f"{prefix}_{code}")[:60]
        number = 1
        while found in ids:
            number += 1
            found = f"{base}_{number}"
        ids.append(found)
    return ids


def _nps(settings: Settings) -> dict[str, Any]:
    return {
        "title": "How likely are you to recommend us?",
        "intro": "Three short questions about your experience with us as a whole.",
        "follow_up_consent": CONSENT,
        "questions": [
            _recommend(),
            {
                "id": "why",
                "type": "comment",
                "text": "What is the main reason for your score?",
            },
            _superior_customers(),
        ],
    }


def _recommend() -> dict[str, Any]:
    return {
        "id": "nps",
        "type": "nps",
        "text": "How likely is it that you would recommend us to a friend or colleague?",
        "help": "0 means not at all likely, 10 extremely likely.",
        "required": True,
    }


def _superior_customers() -> dict[str, Any]:
    return {
        "id": "superior",
        "type": "superior",
        "text": "Compared with other companies you could use instead, is the experience we give you better "
        "than theirs?",
    }


def _transactional(kind: str, touchpoint: str) -> dict[str, Any]:
    said = words(touchpoint)
    if kind == "csat":
        title = f"How was your {said} experience?"
        question = f"How satisfied were you with our {said}?"
        help_ = "1 means very dissatisfied, 5 very satisfied."
    else:
        title = f"How easy was your {said} experience?"
        question = f"How easy did we make it for you to get what you needed from our {said}?"
        help_ = "1 means very difficult, 7 very easy."
    return {
        "title": title,
        "kind": "transactional",
        "touchpoint": touchpoint,
        "follow_up_consent": CONSENT,
        "questions": [
            {"id": kind, "type": kind, "text": question, "help": help_, "required": True},
            {
                "id": "what_went_wrong",
                "type": "comment",
                "text": "We are sorry it was not better. What should we have done differently?",
                "show_if": {"question": kind, "op": "<=", "value": 3},
            },
        ],
    }


def _servqual(settings: Settings) -> dict[str, Any]:
    ordered = [
        item for dimension in settings.dimensions for item, of in settings.items.items() if of == dimension
    ]
    if not ordered:
        raise ConfigError(
            "The servqual template asks about the items of cxgap.toml's [items], which names none; add "
            'yours there first (item code = dimension, e.g. prompt_service = "responsiveness").'
        )
    items = [
        {
            "id": question_id,
            "type": "item",
            "item": item,
            "ask": ["expectation", "perception"],
            "text": f"{words(settings.items[item]).capitalize()}: {words(item)}",
            "help": "First how much you expect it of a company like ours, then how well we do it "
            "(1 = not at all, 7 = fully).",
        }
        for item, question_id in zip(ordered, _ids("item", ordered), strict=True)
    ]
    return {
        "title": "What you expect of us, and how we do",
        "intro": "For each point, say what you expect of a company like ours and how well we do it.",
        "layout": "one_page",
        "follow_up_consent": CONSENT,
        "questions": [
            *items,
            _recommend(),
            {
                "id": "comment",
                "type": "comment",
                "text": "Is there anything else you would like to tell us?",
            },
        ],
    }


def _beliefs(settings: Settings) -> dict[str, Any]:
    touchpoints = [
        {
            "id": question_id,
            "type": "belief",
            "touchpoint": touchpoint,
            "ask": ["superior_share", "nps", "csat"],
            "text": f"Our customers' view of our {words(touchpoint)}: what share of customers would call our "
            "experience there superior to competitors', what NPS would they give us (-100 to 100), and how "
            "satisfied would they say they are (CSAT, 1 to 5)?",
        }
        for touchpoint, question_id in zip(
            settings.touchpoints, _ids("tp", settings.touchpoints), strict=True
        )
    ]
    items = [
        {
            "id": question_id,
            "type": "belief",
            "item": item,
            "ask": ["expectation", "rating", "importance"],
            "text": f"Our customers and {words(item)}: how much do customers expect it of a company like "
            "ours, how would they rate us on it, and how much does it matter to them (each 1 to 7)?",
        }
        for item, question_id in zip(settings.items, _ids("item", list(settings.items)), strict=True)
    ]
    return {
        "title": "How do our customers see us?",
        "audience": "staff",
        "intro": "This survey asks for your best estimate of what our customers think, not your own "
        "opinion of our service. Your answers are compared with what customers actually say.",
        "questions": [
            {
                "id": "superior",
                "type": "superior",
                "text": "Do we deliver a superior experience, better than our competitors'?",
                "required": True,
            },
            *touchpoints,
            *items,
        ],
    }
