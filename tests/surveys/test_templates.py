"""Templates: built from cxgap.toml's touchpoints, items and dimensions, each valid as it stands, and each
asking what its gap needs."""

from __future__ import annotations

import pytest

from cxgap.config import Settings, demo_settings, settings_from_dict
from cxgap.errors import ConfigError
from cxgap.surveys.definition import parse_definition, to_toml
from cxgap.surveys.templates import TEMPLATES, template

# a company that is not the demo: its own words, one of them awkward for an id
OWN = settings_from_dict(
    {
        "touchpoints": ["Web Shop", "field-visit", "field_visit"],
        "dimensions": ["speed", "care"],
        "items": {"quick_reply": "speed", "kind_words": "care", "on_time": "speed"},
        "journeys": {"incidents": {}},
        "cases": {"rules": {}},
    }
)


@pytest.mark.parametrize("settings", [demo_settings(), OWN], ids=["demo", "own"])
@pytest.mark.parametrize("kind", TEMPLATES)
def test_every_template_is_valid_and_reads_back_from_its_toml(kind: str, settings: Settings) -> None:
    touchpoint = settings.touchpoints[0] if kind in ("csat", "ces") else None
    definition = template(kind, settings, touchpoint=touchpoint)
    assert parse_definition(to_toml(definition), f"{kind}.toml", settings) == definition
    assert definition.languages == ["en"]


def test_the_relational_nps_asks_why_and_whether_we_are_superior() -> None:
    definition = template("nps", demo_settings(), name="pulse-2025")
    assert definition.name == "pulse-2025" and definition.kind == "relational"
    assert [q.type for q in definition.questions] == ["nps", "comment", "superior"]
    assert definition.question("nps").required and definition.follow_up_consent


@pytest.mark.parametrize("kind", ["csat", "ces"])
def test_csat_and_ces_ask_one_touchpoint_and_only_unhappy_people_why(kind: str) -> None:
    definition = template(kind, demo_settings(), touchpoint="installation")
    assert (definition.name, definition.kind, definition.touchpoint) == (
        f"{kind}-installation",
        "transactional",
        "installation",
    )
    assert [q.id for q in definition.shown({kind: 5})] == [kind]
    assert [q.id for q in definition.shown({kind: 2})] == [kind, "what_went_wrong"]
    with pytest.raises(ConfigError, match=rf"^The {kind} template asks about one touchpoint; name it with"):
        template(kind, demo_settings())
    with pytest.raises(ConfigError, match="^Touchpoint 'moon' is not one of the touchpoints in cxgap.toml"):
        template(kind, demo_settings(), touchpoint="moon")
    assert template(kind, OWN, touchpoint="Web Shop").name == f"{kind}-web-shop"


def test_servqual_pairs_expectation_and_perception_on_every_item_by_dimension() -> None:
    definition = template("servqual", OWN)
    items = [q for q in definition.questions if q.type == "item"]
    assert [q.item for q in items] == ["quick_reply", "on_time", "kind_words"]  # speed, then care
    assert all(q.ask == ["expectation", "perception"] for q in items)  # importance: off, add it to ask
    assert items[0].text["en"].startswith("Speed: ")
    assert [q.type for q in definition.questions[len(items) :]] == ["nps", "comment"]
    assert definition.layout == "one_page"


def test_the_belief_survey_asks_leaders_what_customers_think_of_every_touchpoint_and_item() -> None:
    settings = demo_settings()
    definition = template("beliefs", settings)
    assert definition.audience == "staff"
    assert definition.questions[0].type == "superior"
    beliefs = [q for q in definition.questions if q.type == "belief"]
    by_touchpoint = {q.touchpoint: q.ask for q in beliefs if q.touchpoint}
    assert by_touchpoint == {t: ["superior_share", "nps", "csat"] for t in settings.touchpoints}
    by_item = {q.item: q.ask for q in beliefs if q.item}
    assert by_item == {i: ["expectation", "rating", "importance"] for i in settings.items}
    assert all("customers" in q.text["en"] for q in beliefs)  # about customers' views, not their own
    assert "customers think" in definition.text(definition.intro, "en")


def test_question_ids_stay_unique_when_two_codes_read_the_same() -> None:
    ids = [q.id for q in template("beliefs", OWN).questions]
    assert ids[:4] == ["superior", "tp_web_shop", "tp_field_visit", "tp_field_visit_2"]


def test_an_unknown_template_or_a_touchpoint_where_none_belongs_is_one_sentence() -> None:
    with pytest.raises(ConfigError, match="^There is no survey template 'stars'; choose one of nps, csat"):
        template("stars", demo_settings())
    with pytest.raises(ConfigError, match="^The nps template is not about one touchpoint"):
        template("nps", demo_settings(), touchpoint="support")
