"""Survey definitions: every rule is one sentence naming the file, the key and what was expected; what is
valid reads back from its TOML equal; skip logic shows the right questions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tomli_w

from cxgap.config import demo_settings
from cxgap.errors import ConfigError
from cxgap.surveys.definition import check_against, contrast, parse_definition, to_toml

NPS = {"id": "nps", "type": "nps", "text": "How likely are you to recommend us?"}
WHY = {"id": "why", "type": "comment", "text": "Why?", "show_if": {"question": "nps", "op": "<=", "value": 6}}
BELIEF = {
    "id": "b",
    "type": "belief",
    "text": "What NPS do customers give?",
    "touchpoint": "support",
    "ask": ["nps"],
}


def toml(questions: list[dict[str, Any]] | None = None, **top: Any) -> str:
    """A survey definition's TOML: a title, the questions (default: NPS and why) and any top-level keys."""
    return tomli_w.dumps(
        {
            "name": "pulse",
            "title": "How are we doing?",
            **top,
            "questions": [NPS, WHY] if questions is None else questions,
        }
    )


def problem(text: str) -> str:
    with pytest.raises(ConfigError) as raised:
        parse_definition(text, "pulse.toml")
    said = str(raised.value)
    assert said.startswith("pulse.toml: ") and said.endswith(".") and "\n" not in said
    return said


def test_a_survey_in_two_languages_reads_back_from_its_toml_equal() -> None:
    text = toml(
        [
            {**NPS, "text": {"en": "Recommend us?", "de": "Empfehlen Sie uns?"}, "required": True},
            {**WHY, "text": {"en": "Why?", "de": "Warum?"}, "help": {"en": "Be frank.", "de": "Ehrlich."}},
            {
                "id": "plan",
                "type": "choice",
                "text": {"en": "Your plan", "de": "Ihr Tarif"},
                "options": [
                    {"value": "basic", "text": {"en": "Basic", "de": "Basis"}},
                    {"value": "pro", "text": {"en": "Pro", "de": "Profi"}},
                ],
            },
            {
                "id": "pro_why",
                "type": "comment",
                "text": {"en": "Why pro?", "de": "Warum Profi?"},
                "show_if": {"question": "plan", "op": "in", "value": ["pro"]},
            },
            {
                "id": "prompt",
                "type": "item",
                "item": "prompt_service",
                "text": {"en": "Prompt", "de": "Schnell"},
            },
        ],
        title={"en": "How are we doing?", "de": "Wie machen wir es?"},
        thanks={"en": "Thanks", "de": "Danke"},
        languages=["en", "de"],
        brand={"company": "Telco", "primary": "#1d4e89"},
    )
    definition = parse_definition(text, "pulse.toml", demo_settings())
    assert definition.question("prompt").ask == ["expectation", "perception"]  # an item's default
    assert definition.text(definition.question("why").text, "de") == "Warum?"
    assert definition.text(definition.question("why").text, "fr") == "Why?"  # the default language
    assert parse_definition(to_toml(definition), "again.toml") == definition
    assert 'ask = ["expectation", "perception"]' in to_toml(definition)


def test_plain_strings_are_the_default_language_and_stay_plain() -> None:
    definition = parse_definition(toml(languages=["de"]), "pulse.toml")
    assert definition.question("nps").text == {"de": NPS["text"]}
    written = to_toml(definition)
    assert f'text = "{NPS["text"]}"' in written and "value = 6\n" in written
    assert parse_definition(written, "again.toml") == definition


def test_skip_logic_asks_detractors_why() -> None:
    definition = parse_definition(toml(), "pulse.toml")
    assert [q.id for q in definition.shown({"nps": 9})] == ["nps"]
    assert [q.id for q in definition.shown({"nps": "3"})] == ["nps", "why"]
    assert [q.id for q in definition.shown({})] == ["nps"]


def test_skip_logic_on_a_multiple_choice_looks_at_every_pick() -> None:
    options = [{"value": v, "text": v} for v in ("price", "speed", "staff")]
    picks = {"id": "why", "type": "choice", "multiple": True, "text": "Why?", "options": options}
    ask = {"id": "price_more", "type": "comment", "text": "More?"}
    for op, picked, shown in [
        ("in", ["speed", "price"], True),
        ("!=", ["speed", "price"], False),
        ("==", [], False),
    ]:
        definition = parse_definition(
            toml([picks, {**ask, "show_if": {"question": "why", "op": op, "value": "price"}}]), "x"
        )
        assert (len(definition.shown({"why": picked})) == 2) is shown


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("name = ", "not valid TOML"),
        (
            toml(name="Pulse Survey"),
            "key 'name' has value 'Pulse Survey', expected a short name of lowercase",
        ),
        (toml([NPS, {**WHY, "id": "nps"}]), "questions[1].id 'nps' is the id of questions[0] too"),
        (toml([{**NPS, "kind": "x"}]), "unknown key 'questions[0].kind'"),
        (
            toml([{**NPS, "type": "stars"}]),
            "key 'questions[0].type' has value 'stars', expected 'nps', 'csat'",
        ),
        (toml([WHY, NPS]), "questions[0].show_if (question 'why') refers to 'nps', which comes after it"),
        (
            toml([NPS, {**WHY, "show_if": {"question": "nope", "value": 1}}]),
            "questions[1].show_if (question 'why') refers to 'nope', which is no earlier question",
        ),
        (
            toml([NPS, {**WHY, "show_if": {"question": "nps", "op": "<", "value": 11}}]),
            "questions[1].show_if (question 'why') has value 11.0, expected a number from 0 to 10 (nps)",
        ),
        (
            toml(
                [
                    {"id": "c", "type": "comment", "text": "x"},
                    {**WHY, "show_if": {"question": "c", "op": ">", "value": 1}},
                ]
            ),
            "compares with '>', which needs a numeric question (nps, csat, ces), not a comment one",
        ),
        (
            toml([NPS, {**WHY, "show_if": {"question": "nps", "value": [1, 2]}}]),
            "gives a list of values, which only op = 'in' takes",
        ),
        (
            toml([NPS, {"id": "i", "type": "item", "text": "x"}]),
            "questions[1] (question 'i') needs an item",
        ),
        (
            toml([{"id": "i", "type": "item", "item": "prompt_service", "ask": ["hope"], "text": "x"}]),
            "questions[0] (question 'i') asks 'hope', not one of expectation, perception, importance",
        ),
        (
            toml([NPS, {**NPS, "id": "nps2"}]),
            "questions[1] (question 'nps2') asks the nps answer, as questions[0]",
        ),
        (
            toml(
                [
                    {"id": "e", "type": "item", "item": "as_promised", "ask": ["expectation"], "text": "x"},
                    {"id": "p", "type": "item", "item": "as_promised", "text": "y"},
                ]
            ),
            "asks the expectation of item 'as_promised', as questions[0] ('e') does",
        ),
        (
            toml([NPS, {**WHY, "options": [{"value": "a", "text": "A"}]}]),
            "has options, which only choice questions",
        ),
        (
            toml([{"id": "c", "type": "choice", "text": "x", "options": [{"value": "a", "text": "A"}]}]),
            "questions[0] (question 'c') needs at least two options",
        ),
        (
            toml([{"id": "c", "type": "choice", "text": "x", "options": [{"value": "a", "text": "A"}] * 2}]),
            "has two options with value 'a'",
        ),
        (
            toml(
                [
                    {
                        "id": "c",
                        "type": "choice",
                        "text": "x",
                        "options": [{"value": v, "text": v} for v in "ab"],
                    },
                    {**WHY, "show_if": {"question": "c", "value": "z"}},
                ]
            ),
            "has value 'z', not an option of 'c' (a, b)",
        ),
        (
            toml(languages=["en", "de"]),
            "title has no 'de' wording; every wording needs each of the languages (en, de)",
        ),
        (
            toml([{**NPS, "text": {"en": "x", "fr": "y"}}]),
            "questions[0].text has a 'fr' wording, but 'fr' is not",
        ),
        (toml([{**NPS, "text": " "}]), "questions[0].text is empty in 'en'"),
        (toml(languages=["en", "en"]), "languages lists 'en' twice"),
        (toml(languages=["English"]), "key 'languages[0]' has value 'English', expected a language code"),
        (toml(kind="transactional"), "kind = 'transactional' needs a touchpoint"),
        (toml(touchpoint="support"), "touchpoint = 'support' is for transactional surveys"),
        (
            toml(audience="staff"),
            "questions[0] (question 'nps') is a nps question, which staff surveys do not ask",
        ),
        (toml([BELIEF]), "questions[0] (question 'b') is a belief question, which only staff surveys ask"),
        (toml([{**BELIEF, "ask": []}], audience="staff"), "questions[0] (question 'b') asks nothing"),
        (
            toml([{**BELIEF, "ask": ["nps", "mood"]}], audience="staff"),
            "asks 'mood', not one of superior_share",
        ),
        (
            toml([BELIEF, {**BELIEF, "id": "b2", "ask": ["csat", "nps"]}], audience="staff"),
            "asks the believed nps about 'support', as questions[0] ('b') does",
        ),
        (
            toml([{**BELIEF, "item": "as_promised", "ask": ["superior_share"]}], audience="staff"),
            "asks superior_share about an item",
        ),
        (
            toml(brand={"primary": "#ffcc00"}),
            "brand.primary '#ffcc00' gives white text on it a contrast of 1.51:1",
        ),
        (
            toml(brand={"primary": "#0b5394", "background": "#000000"}),
            "brand.primary '#0b5394' on brand.background '#000000' has a contrast of",
        ),
        (
            toml(brand={"primary": "blue"}),
            "key 'brand.primary' has value 'blue', expected a colour written #rrggbb",
        ),
        (toml([]), "key 'questions' has value [], expected list should have at least 1 item"),
    ],
)
def test_each_broken_rule_is_one_sentence_naming_the_key(text: str, said: str) -> None:
    assert said in problem(text)


def test_a_definition_is_checked_against_the_configured_touchpoints_and_items() -> None:
    settings = demo_settings()
    survey = parse_definition(toml(kind="transactional", touchpoint="support"), "pulse.toml")
    check_against(survey, settings)
    with pytest.raises(
        ConfigError, match=r"^pulse.toml: touchpoint 'moon' is not one of the touchpoints in cxgap"
    ):
        parse_definition(toml(kind="transactional", touchpoint="moon"), "pulse.toml", settings)
    item = toml([{"id": "i", "type": "item", "item": "speed", "text": "x"}])
    with pytest.raises(
        ConfigError, match=r"questions\[0\].item 'speed' \(question 'i'\) is not one of the items"
    ):
        parse_definition(item, "pulse.toml", settings)
    belief = toml([{**BELIEF, "touchpoint": "moon"}], audience="staff")
    with pytest.raises(ConfigError, match=r"^survey pulse: questions\[0\].touchpoint 'moon'"):
        check_against(parse_definition(belief, "pulse.toml"), settings)


def test_contrast_is_wcag_s() -> None:
    assert contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the lightest AA grey on white
    assert problem(toml(brand={"primary": "#777777"})).count("4.47:1") == 1  # rounded down, never up


def test_the_guide_s_example_is_a_valid_survey() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "surveys.md").read_text(encoding="utf-8")
    example = guide.split("```toml\n", 1)[1].split("```", 1)[0]
    definition = parse_definition(example, "docs/surveys.md", demo_settings())
    assert definition.languages == ["en", "de"] and [q.id for q in definition.shown({"nps": 4})] == [
        "nps",
        "why",
    ]
