"""The catalog on both backends: versions are immutable, a published survey keeps asking the version it
was published with, a stale save is refused in one sentence, and two saves at once cannot both win."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from cxgap.config import Settings, demo_settings
from cxgap.errors import ConfigError, CxgapError, NotFound
from cxgap.store import Store
from cxgap.surveys.catalog import (
    SurveyConflict,
    close,
    create_survey,
    definition_of,
    get_survey,
    list_surveys,
    publish,
    save_version,
    surveys_frame,
    versions,
)
from cxgap.surveys.templates import template

T0 = dt.datetime(2025, 3, 1, 9, 0)


def _reworded(text: str, settings: Settings | None = None) -> object:
    definition = template("nps", settings or demo_settings())
    nps = definition.questions[0].model_copy(update={"text": {"en": text}})
    return definition.model_copy(update={"questions": [nps, *definition.questions[1:]]})


def test_a_survey_is_created_saved_published_closed_and_published_again(store: Store) -> None:
    created = create_survey(store, template("nps", demo_settings()), by="ana", now=T0)
    assert (created.status, created.version, created.published_version, created.created_by) == (
        "draft",
        1,
        None,
        "ana",
    )
    assert definition_of(store, "nps")[1] == 1  # a draft: its latest version
    published = publish(store, "nps", now=T0 + dt.timedelta(hours=1))
    assert (published.status, published.published_version) == ("published", 1)

    saved = save_version(store, _reworded("Would you recommend us?"), by="bo", now=T0 + dt.timedelta(hours=2))
    assert (saved.version, saved.published_version, saved.status) == (2, 1, "published")
    asked, version = definition_of(store, "nps")
    assert version == 1 and asked.questions[0].text["en"] != "Would you recommend us?"  # still version 1
    assert definition_of(store, "nps", 2)[0].questions[0].text["en"] == "Would you recommend us?"

    assert publish(store, "nps").published_version == 2  # publishing again moves it
    closed = close(store, "nps", now=T0 + dt.timedelta(days=1))
    assert (closed.status, closed.published_version, closed.updated_at) == (
        "closed",
        2,
        T0 + dt.timedelta(days=1),
    )
    assert publish(store, "nps").status == "published"
    listed = versions(store, "nps")
    assert [(v.version, v.created_by, v.published) for v in listed] == [(1, "ana", False), (2, "bo", True)]
    assert surveys_frame(list_surveys(store)).loc[0, "name"] == "nps"


def test_saving_the_same_wording_again_adds_no_version(store: Store) -> None:
    create_survey(store, template("nps", demo_settings()), now=T0)
    assert save_version(store, template("nps", demo_settings()), now=T0).version == 1
    assert len(versions(store, "nps")) == 1


def test_a_stale_save_is_refused_and_names_the_version_that_came_first(store: Store) -> None:
    create_survey(store, template("nps", demo_settings()), now=T0)
    save_version(store, _reworded("First edit"), expected_version=1, now=T0)
    with pytest.raises(
        SurveyConflict, match=r"^Someone else saved version 2 of survey nps since you opened it\.$"
    ):
        save_version(store, _reworded("Second edit"), expected_version=1, now=T0)
    assert get_survey(store, "nps").version == 2


def test_two_saves_at_once_cannot_both_win(store: Store) -> None:
    create_survey(store, template("nps", demo_settings()), now=T0)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def save(text: str) -> None:
        start.wait()
        try:
            save_version(store, _reworded(text), expected_version=1, now=T0)
            outcomes.append("saved")
        except SurveyConflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=save, args=(text,)) for text in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "saved"]
    assert [v.version for v in versions(store, "nps")] == [1, 2]


def test_names_statuses_and_versions_that_do_not_fit_are_one_sentence(store: Store) -> None:
    create_survey(store, template("nps", demo_settings()), now=T0)
    with pytest.raises(SurveyConflict, match="^There is already a survey named 'nps'; choose another name"):
        create_survey(store, template("nps", demo_settings()), now=T0)
    with pytest.raises(
        NotFound, match=r"^There is no survey named 'pulse' \(`cxgap surveys list` shows them\)\.$"
    ):
        publish(store, "pulse")
    with pytest.raises(
        CxgapError, match="^Survey nps is a draft that was never published; there is nothing to close"
    ):
        close(store, "nps")
    with pytest.raises(NotFound, match="^Survey nps has no version 7; it has versions 1 to 1"):
        definition_of(store, "nps", 7)
    staff = template("beliefs", demo_settings()).model_copy(update={"name": "nps"})
    with pytest.raises(CxgapError, match="^Survey nps asks customers; its audience cannot change"):
        save_version(store, staff)


def test_publishing_with_settings_checks_the_version_against_cxgap_toml(store: Store) -> None:
    create_survey(store, template("csat", demo_settings(), touchpoint="app"), now=T0)
    fewer = Settings.model_validate({"touchpoints": ["support"]})
    with pytest.raises(ConfigError, match="^survey csat-app version 1: touchpoint 'app' is not one of"):
        publish(store, "csat-app", settings=fewer)
    assert publish(store, "csat-app", settings=demo_settings()).status == "published"
