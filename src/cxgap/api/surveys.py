"""The analysts' survey API (/api/surveys): the surveys cxgap hosts, their versions, publishing and closing,
a respondent link made by hand, invitations sent now, and response rates.

Analysts and admins write; every other signed-in role (viewers, team leads and members) reads. A new version
names the version it was edited from (`expected_version`); when someone else saved first the answer is 409
with who-did-what in one sentence, and nothing is overwritten. A definition that does not validate is 400
with one sentence naming the key and what was expected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cxgap.api.dashboard import Dashboard
from cxgap.api.loop import ANALYSTS, User
from cxgap.api.results import plain
from cxgap.api.routes import Board
from cxgap.errors import CxgapError
from cxgap.surveys import catalog
from cxgap.surveys.definition import SLUG, SurveyDefinition, parse_definition, to_toml
from cxgap.surveys.invitations import invite
from cxgap.surveys.links import link_for
from cxgap.surveys.rates import ResponseRates, response_rates
from cxgap.surveys.templates import template

READERS = (*ANALYSTS, "viewer", "team_lead", "team_member")
MAX_TOML = 200_000  # characters: a survey of a few hundred questions in several languages
MAX_RECIPIENTS = 10_000
MAX_VERSION = 1_000_000
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"  # an id as typed: no control characters
Template = Literal["nps", "csat", "ces", "servqual", "beliefs"]
Name = Annotated[str, Path(pattern=SLUG, description="The survey's name.")]


class NewSurvey(BaseModel):
    """A survey from a template (`template`, optional `name` and, for csat and ces, `touchpoint`), or a
    whole definition as TOML (`toml`)."""

    model_config = ConfigDict(extra="forbid")
    template: Template | None = None
    name: str | None = Field(None, pattern=SLUG)
    touchpoint: str | None = Field(None, min_length=1, max_length=64, pattern=PRINTABLE)
    toml: str | None = Field(None, min_length=1, max_length=MAX_TOML)

    @model_validator(mode="after")
    def _one_source(self) -> NewSurvey:
        if (self.template is None) == (self.toml is None):
            raise ValueError("give either template (with name and touchpoint) or toml, not both")
        if self.toml is not None and (self.name or self.touchpoint):
            raise ValueError("the TOML names the survey itself; leave out name and touchpoint")
        return self


class NewVersion(BaseModel):
    """The survey's new wording as TOML, and the version it was edited from (a newer one answers 409)."""

    model_config = ConfigDict(extra="forbid")
    toml: str = Field(min_length=1, max_length=MAX_TOML)
    expected_version: int | None = Field(
        None, ge=1, le=MAX_VERSION, description="The version you read; omit to save over any."
    )


class LinkRequest(BaseModel):
    """Whom a respondent link is for: a customer id (a staff member's id on a staff survey)."""

    model_config = ConfigDict(extra="forbid")
    customer: str = Field(min_length=1, max_length=128, pattern=PRINTABLE)


class InviteRequest(BaseModel):
    """Whom to invite now: these ids, or every contact of the survey's audience. Whether they are customers
    or staff follows the survey's audience; `staff`, when given, must agree with it."""

    model_config = ConfigDict(extra="forbid")
    recipients: list[Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)]] | None = Field(
        None, min_length=1, max_length=MAX_RECIPIENTS
    )
    staff: bool | None = Field(None, description="true: the recipients are staff (a staff survey).")


router = APIRouter(prefix="/api/surveys", tags=["surveys"])


def now_of(request: Request) -> dt.datetime:
    """Now, on the app's clock (naive UTC)."""
    now: dt.datetime = request.app.state.clock()
    return now


def info_json(info: catalog.SurveyInfo) -> dict[str, Any]:
    """A survey as JSON."""
    return dict(plain(asdict(info)))


def conflict(error: catalog.SurveyConflict) -> JSONResponse:
    """Someone else saved first, or the name is taken: 409 with the catalog's sentence."""
    return JSONResponse({"detail": str(error)}, status_code=409)


def rates_json(rates: ResponseRates) -> dict[str, Any]:
    """Response rates as JSON: each row with its level and status, and the rates in words."""
    rows = [plain(asdict(row)) | {"level": row.level, "status": row.status} for row in rates.rows]
    return {"min_n": rates.min_n, "rows": rows, "sentence": rates.sentence()}


@router.get("")
def list_surveys(dashboard: Board, user: User) -> list[dict[str, Any]]:
    """Every survey: its state, latest version and the version respondents are asked now."""
    user.require(*READERS)
    return [info_json(info) for info in catalog.list_surveys(dashboard.store)]


@router.get("/rates")
def rates(
    dashboard: Board, user: User, survey: Annotated[str | None, Query(pattern=SLUG)] = None
) -> dict[str, Any]:
    """AAPOR response rates (RR1, RR2 with Wilson intervals) per survey, touchpoint and segment."""
    user.require(*READERS)
    found = response_rates(dashboard.engine, survey, min_n=dashboard.settings.analysis.min_n)
    return rates_json(found)


@router.post("", status_code=201, response_model=None)
def create(request: Request, dashboard: Board, user: User, body: NewSurvey) -> dict[str, Any] | JSONResponse:
    """A new survey (a draft at version 1) from a template or from TOML; 409 when the name is taken."""
    user.require(*ANALYSTS)
    settings = dashboard.settings
    if body.toml is not None:
        definition = parse_definition(body.toml, "The TOML sent", settings)
    else:
        definition = template(body.template or "nps", settings, body.name, body.touchpoint)
    try:
        with dashboard.writing():
            info = catalog.create_survey(dashboard.store, definition, by=user.user_id, now=now_of(request))
    except catalog.SurveyConflict as error:
        return conflict(error)
    return survey_json(dashboard, info, definition, info.version)


def survey_json(
    dashboard: Dashboard, info: catalog.SurveyInfo, definition: SurveyDefinition, version: int
) -> dict[str, Any]:
    """A survey with one version's definition (as data and as TOML) and every version's who and when."""
    history = [plain(asdict(v)) for v in catalog.versions(dashboard.store, info.name)]
    shown = {"version_shown": version, "definition": definition.model_dump(mode="json")}
    return info_json(info) | shown | {"toml": to_toml(definition), "versions": history}


@router.get("/{name}")
def get_survey(
    dashboard: Board,
    user: User,
    name: Name,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
) -> dict[str, Any]:
    """One survey with a version's definition: `version`, else the one asked now, else the latest."""
    user.require(*READERS)
    info = catalog.get_survey(dashboard.store, name)
    definition, shown = catalog.definition_of(dashboard.store, name, version)
    return survey_json(dashboard, info, definition, shown)


@router.put("/{name}", response_model=None)
def save(
    request: Request, dashboard: Board, user: User, name: Name, body: NewVersion
) -> dict[str, Any] | JSONResponse:
    """Save a new version from TOML (nothing is added when the wording is unchanged); 409 when someone
    saved since `expected_version`."""
    user.require(*ANALYSTS)
    catalog.get_survey(dashboard.store, name)  # 404 before the body is judged
    definition = parse_definition(body.toml, "The TOML sent", dashboard.settings)
    if definition.name != name:
        raise CxgapError(
            f"The TOML names survey '{definition.name}', but this is survey '{name}'; a survey keeps its name."
        )
    try:
        with dashboard.writing():
            info = catalog.save_version(
                dashboard.store,
                definition,
                by=user.user_id,
                now=now_of(request),
                expected_version=body.expected_version,
            )
    except catalog.SurveyConflict as error:
        return conflict(error)
    return survey_json(dashboard, info, definition, info.version)


@router.post("/{name}/publish", response_model=None)
def publish(request: Request, dashboard: Board, user: User, name: Name) -> dict[str, Any] | JSONResponse:
    """Ask the latest version from now on (new invitations and links); answers given keep their version."""
    user.require(*ANALYSTS)
    try:
        with dashboard.writing():
            info = catalog.publish(dashboard.store, name, now=now_of(request), settings=dashboard.settings)
    except catalog.SurveyConflict as error:
        return conflict(error)
    return info_json(info)


@router.post("/{name}/close", response_model=None)
def close(request: Request, dashboard: Board, user: User, name: Name) -> dict[str, Any] | JSONResponse:
    """Stop taking answers: the survey's links stop working; publish it again to reopen."""
    user.require(*ANALYSTS)
    try:
        with dashboard.writing():
            info = catalog.close(dashboard.store, name, now=now_of(request))
    except catalog.SurveyConflict as error:
        return conflict(error)
    return info_json(info)


@router.post("/{name}/link")
def link(request: Request, dashboard: Board, user: User, name: Name, body: LinkRequest) -> dict[str, Any]:
    """One respondent link for a customer (or staff member), for a manual send or a test; it works once."""
    user.require(*ANALYSTS)
    with dashboard.writing():
        made = link_for(dashboard.store, dashboard.settings, name, body.customer, now_of(request))
    return dict(plain(asdict(made)))


@router.post("/{name}/invite")
def send_invitations(
    request: Request, dashboard: Board, user: User, name: Name, body: InviteRequest | None = None
) -> dict[str, Any]:
    """Invite now and e-mail at once (outside quiet hours), under the contact-frequency rules: every
    decision is kept, sent or why not. The store's writer lock is held while writing, never while mailing."""
    user.require(*ANALYSTS)
    asked = body or InviteRequest()
    info = catalog.get_survey(dashboard.store, name)
    if asked.staff is not None and asked.staff != (info.audience == "staff"):
        raise CxgapError(
            f"Survey {name} asks {info.audience}; send staff = {str(info.audience == 'staff').lower()} "
            "or leave staff out."
        )
    run = invite(
        dashboard.store,
        dashboard.settings,
        name,
        asked.recipients,
        now_of(request),
        writing=dashboard.writing,
    )
    return dict(plain(asdict(run))) | {"sentence": run.sentence()}
