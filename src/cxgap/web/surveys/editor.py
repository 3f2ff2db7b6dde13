"""The survey editor at /surveys: the list of surveys with their response rates, a new survey from a template
(or pasted TOML), each survey's questions edited in one form and saved as a new version, a preview as a
respondent sees it, publish and close, every version readable, and a respondent link made by hand.

Analysts and admins edit; everyone else signed in reads. Each save carries the version the page read; a save
that someone else beat is refused with who saved what meanwhile, so nothing is overwritten. Every POST checks
the session's CSRF token and ends in a 303 to the page (a reload repeats nothing), except a refused one,
which shows the page again with the sentence at the field it is about.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxgap.access import AccessDenied
from cxgap.api.auth import ANALYSTS, check_csrf, form_fields
from cxgap.api.dashboard import Dashboard
from cxgap.api.routes import Board
from cxgap.errors import CxgapError, NotFound
from cxgap.surveys import catalog
from cxgap.surveys.definition import (
    SLUG,
    SurveyDefinition,
    check_against,
    parse_definition,
    to_toml,
)
from cxgap.surveys.links import link_for
from cxgap.surveys.rates import response_rates
from cxgap.surveys.templates import TEMPLATES, template
from cxgap.web.loop.page import loop_page, signed
from cxgap.web.loop.shown import when
from cxgap.web.surveys import editor_form as form
from cxgap.web.surveys.respond import render_survey

router = APIRouter()
Fields = Annotated[dict[str, str], Depends(form_fields)]
Name = Annotated[str, Path(pattern=SLUG)]
TEMPLATE_NAMES = {
    "nps": "Relational NPS",
    "csat": "Transactional CSAT (one touchpoint)",
    "ces": "Transactional CES (one touchpoint)",
    "servqual": "SERVQUAL gaps (expectation and perception per item)",
    "beliefs": "Leaders' and staff beliefs (the mirror survey)",
}
NO_INVITATIONS = {"invited": 0, "answered": 0, "rate": "no invitation sent"}
DONE = {
    "created": "The survey is created as version 1, a draft: edit it, preview it, then publish it.",
    "saved": "Saved as a new version.",
    "unchanged": "Nothing changed since the latest version, so no new version was saved.",
    "published": "Published: new invitations and links ask this version.",
    "closed": "Closed: its links take no more answers.",
}


def survey_path(name: str) -> str:
    """A survey's page in the editor."""
    return f"/surveys/{quote(name, safe='')}"


def clock(request: Request) -> dt.datetime:
    """Now, on the app's clock (naive UTC; tests move it)."""
    now: dt.datetime = request.app.state.clock()
    return now


def rates_by_survey(dashboard: Dashboard) -> dict[str, dict[str, Any]]:
    """Each survey's invitations sent, answers and response rate (AAPOR RR1 with its Wilson interval, or
    why there is none), as the list shows them."""
    rates = response_rates(dashboard.engine, min_n=dashboard.settings.analysis.min_n)
    shown: dict[str, dict[str, Any]] = {}
    for row in rates.rows:
        if row.level == "survey":
            rate = row.rr1
            said = (
                f"{100 * rate.value:.0f}% [{100 * rate.low:.0f}, {100 * rate.high:.0f}%]"
                if rate
                else row.status
            )
            shown[row.survey] = {"invited": row.invited, "answered": row.answered, "rate": said}
    return shown


def may_edit(request: Request) -> bool:
    """Whether the person asking edits surveys (analysts and admins) or only reads them."""
    return signed(request).role in ANALYSTS


@router.get("/surveys", response_class=HTMLResponse)
def surveys_page(request: Request, dashboard: Board, done: str = "") -> HTMLResponse:
    """Every survey with its state, versions and response rate; the new-survey form for editors."""
    signed(request)
    return render_list(request, dashboard, message=DONE.get(done, ""))


def render_list(
    request: Request,
    dashboard: Dashboard,
    *,
    message: str = "",
    problem: str = "",
    chosen: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The list page, with what just happened and the new-survey form as it was filled."""
    rates = rates_by_survey(dashboard)
    rows = [
        {"info": info, "updated": when(info.updated_at)} | rates.get(info.name, NO_INVITATIONS)
        for info in catalog.list_surveys(dashboard.store)
    ]
    return loop_page(
        request,
        dashboard,
        "survey_editor_list.html.j2",
        "/surveys",
        "Surveys",
        status,
        surveys=rows,
        may_edit=may_edit(request),
        templates=[(kind, TEMPLATE_NAMES[kind]) for kind in TEMPLATES],
        touchpoints=dashboard.settings.touchpoints,
        chosen={"template": "", "name": "", "touchpoint": "", "toml": ""} | (chosen or {}),
        message=message,
        problem=problem,
    )


@router.post("/surveys")
def create(request: Request, dashboard: Board, fields: Fields) -> Response:
    """A new survey from a template or from pasted TOML, then its page."""
    check_csrf(request, fields)
    signed(request).require(*ANALYSTS)
    chosen = {key: fields.get(key, "").strip() for key in ("template", "name", "touchpoint", "toml")}
    try:
        definition = new_definition(dashboard, chosen)
        with dashboard.writing():
            info = catalog.create_survey(
                dashboard.store, definition, by=signed(request).user_id, now=clock(request)
            )
    except (NotFound, AccessDenied):
        raise
    except CxgapError as error:
        return render_list(request, dashboard, problem=str(error), chosen=chosen, status=400)
    return RedirectResponse(f"{survey_path(info.name)}?done=created", status_code=303)


def new_definition(dashboard: Dashboard, chosen: dict[str, str]) -> SurveyDefinition:
    """The definition a new-survey form asks for: its pasted TOML, else the template it names."""
    settings = dashboard.settings
    if chosen["toml"]:
        return parse_definition(chosen["toml"], "The TOML you pasted", settings)
    kind = chosen["template"] or "nps"
    if chosen["name"] and not re.fullmatch(SLUG, chosen["name"]):
        raise CxgapError(
            "A survey's name is lowercase letters, digits, - and _, starting with a letter (at most 64); "
            "it is in the survey's address."
        )
    return template(kind, settings, chosen["name"] or None, chosen["touchpoint"] or None)


@router.get("/surveys/{name}", response_class=HTMLResponse)
def survey_page(request: Request, dashboard: Board, name: Name, done: str = "") -> HTMLResponse:
    """One survey: its state, its latest version in the editing form (read-only for readers), versions."""
    signed(request)
    info = catalog.get_survey(dashboard.store, name)
    definition, _ = catalog.definition_of(dashboard.store, name, info.version)
    return render_editor(request, dashboard, info, form.draft_of(definition), message=DONE.get(done, ""))


def render_editor(
    request: Request,
    dashboard: Dashboard,
    info: catalog.SurveyInfo,
    draft: form.Draft,
    *,
    expected: int | None = None,
    status: int = 200,
    **shown: Any,
) -> HTMLResponse:
    """The survey page with `draft` in the form (the latest version, or what was posted), the version the
    form saves over (`expected`, default the latest), and what just happened (`shown`: message, problem,
    problems at fields, unsaved, conflict, link, toml_text)."""
    store = dashboard.store
    saved, _ = catalog.definition_of(store, info.name, info.version)
    versions = [
        {"version": v.version, "at": when(v.created_at), "by": v.created_by}
        for v in reversed(catalog.versions(store, info.name))
    ]
    context: dict[str, Any] = {
        "message": "",
        "problem": "",
        "problems": {},
        "unsaved": False,
        "conflict": None,
        "link": None,
        "toml_text": to_toml(saved),
    } | shown
    return loop_page(
        request,
        dashboard,
        "survey_editor.html.j2",
        "/surveys",
        f"Survey {info.name}",
        status,
        info=info,
        here=survey_path(info.name),
        updated=when(info.updated_at),
        expected=info.version if expected is None else expected,
        draft=draft,
        shown=form.draft_of(saved),
        view_heading=f"Version {info.version}",
        languages=draft["languages"],
        saved_languages=saved.languages,
        versions=versions,
        may_edit=may_edit(request),
        **vocabulary(dashboard, draft),
        **context,
    )


def vocabulary(dashboard: Dashboard, draft: form.Draft) -> dict[str, Any]:
    """What the form offers to choose from: the configured touchpoints and items, layouts, conditions'
    operators, the kinds of question this survey's audience may be asked, and how each is worded."""
    settings = dashboard.settings
    return {
        "layouts": form.LAYOUTS,
        "touchpoints": settings.touchpoints,
        "items": list(settings.items),
        "ask_order": form.ask_order,
        "operators": form.OPERATORS,
        "type_names": form.TYPE_NAMES,
        "question_types": [(k, form.TYPE_NAMES[k]) for k in form.kinds_for(draft["audience"])],
        "options_text": form.options_text,
    }


def expected_of(fields: dict[str, str]) -> int:
    """The version the form was read at (every editing form carries it)."""
    sent = fields.get("expected_version", "")
    if not sent.isdigit():
        raise CxgapError("The form lacks the survey's version; reload the survey and try again.")
    return int(sent)


@router.post("/surveys/{name}", response_class=HTMLResponse)
def save(request: Request, dashboard: Board, name: Name, fields: Fields) -> Response:
    """Save the form (or the TOML) as a new version over the version it was read at; an add, move or
    remove shows the changed draft without saving; a refusal shows the page with its sentences."""
    check_csrf(request, fields)
    who = signed(request)
    who.require(*ANALYSTS)
    info = catalog.get_survey(dashboard.store, name)
    expected = expected_of(fields)
    action = fields.get("action", "save")
    if action == "save_toml":
        return save_toml(request, dashboard, info, fields, expected)
    draft = form.draft_from(fields, info.name)
    if action != "save":
        said = form.reshape(draft, action, fields.get("new_type", ""), list(dashboard.settings.items))
        return render_editor(request, dashboard, info, draft, expected=expected, message=said, unsaved=True)
    definition, problems = form.validated(draft)
    if definition is None:
        return render_editor(
            request, dashboard, info, draft, expected=expected, problems=problems, unsaved=True, status=400
        )
    return store_version(request, dashboard, info, definition, draft, expected)


def save_toml(
    request: Request, dashboard: Dashboard, info: catalog.SurveyInfo, fields: dict[str, str], expected: int
) -> Response:
    """Save the TOML of the "Edit as TOML" box; a wrong one is refused with its sentence at the box."""
    typed = fields.get("toml", "")
    try:
        definition = parse_definition(typed, "The TOML", dashboard.settings)
        if definition.name != info.name:
            raise CxgapError(
                f"The TOML names survey '{definition.name[:64]}', but this is survey '{info.name}'; "
                "a survey keeps its name (create a new one for another)."
            )
    except CxgapError as error:
        latest, _ = catalog.definition_of(dashboard.store, info.name, info.version)
        return render_editor(
            request,
            dashboard,
            info,
            form.draft_of(latest),
            expected=expected,
            problems={"toml": str(error)},
            toml_text=typed,
            status=400,
        )
    return store_version(request, dashboard, info, definition, form.draft_of(definition), expected)


def store_version(
    request: Request,
    dashboard: Dashboard,
    info: catalog.SurveyInfo,
    definition: SurveyDefinition,
    draft: form.Draft,
    expected: int,
) -> Response:
    """Save a valid definition over version `expected`: a 303 to the page, or the page with the conflict
    (someone saved since) or the catalog's sentence (say, an item cxgap.toml does not configure)."""
    try:
        check_against(definition, dashboard.settings)
        with dashboard.writing():
            saved = catalog.save_version(
                dashboard.store,
                definition,
                by=signed(request).user_id,
                now=clock(request),
                expected_version=expected,
            )
    except catalog.SurveyConflict:
        latest = catalog.get_survey(dashboard.store, info.name)
        since = [v for v in catalog.versions(dashboard.store, info.name) if v.version > expected]
        conflict = {
            "read": expected,
            "versions": [{"version": v.version, "at": when(v.created_at), "by": v.created_by} for v in since],
            "typed": to_toml(definition),
        }
        return render_editor(
            request, dashboard, latest, draft, expected=expected, conflict=conflict, unsaved=True, status=409
        )
    except (NotFound, AccessDenied):
        raise
    except CxgapError as error:
        return render_editor(
            request, dashboard, info, draft, expected=expected, problem=str(error), unsaved=True, status=400
        )
    done = "saved" if saved.version > expected else "unchanged"
    return RedirectResponse(f"{survey_path(info.name)}?done={done}", status_code=303)


def _change(
    request: Request, dashboard: Dashboard, name: str, fields: dict[str, str], action: str
) -> Response:
    """Publish or close a survey, then its page; a refusal is its sentence in the page."""
    check_csrf(request, fields)
    signed(request).require(*ANALYSTS)
    info = catalog.get_survey(dashboard.store, name)
    try:
        with dashboard.writing():
            if action == "published":
                catalog.publish(dashboard.store, name, now=clock(request), settings=dashboard.settings)
            else:
                catalog.close(dashboard.store, name, now=clock(request))
    except (NotFound, AccessDenied):
        raise
    except CxgapError as error:
        return survey_again(request, dashboard, info, problem=str(error), status=400)
    return RedirectResponse(f"{survey_path(name)}?done={action}", status_code=303)


def survey_again(
    request: Request, dashboard: Dashboard, info: catalog.SurveyInfo, **shown: Any
) -> HTMLResponse:
    """The survey page as stored, with what just happened."""
    definition, _ = catalog.definition_of(dashboard.store, info.name, info.version)
    return render_editor(request, dashboard, info, form.draft_of(definition), **shown)


@router.post("/surveys/{name}/publish", response_class=HTMLResponse)
def publish(request: Request, dashboard: Board, name: Name, fields: Fields) -> Response:
    """Publish the latest version: new invitations and links ask it."""
    return _change(request, dashboard, name, fields, "published")


@router.post("/surveys/{name}/close", response_class=HTMLResponse)
def close(request: Request, dashboard: Board, name: Name, fields: Fields) -> Response:
    """Close the survey: its links take no more answers."""
    return _change(request, dashboard, name, fields, "closed")


@router.post("/surveys/{name}/link", response_class=HTMLResponse)
def get_link(request: Request, dashboard: Board, name: Name, fields: Fields) -> HTMLResponse:
    """One respondent link for a customer (or staff member), shown once in the page (it is not kept in
    a URL or a redirect: whoever holds it may answer)."""
    check_csrf(request, fields)
    signed(request).require(*ANALYSTS)
    info = catalog.get_survey(dashboard.store, name)
    recipient = fields.get("customer", "").strip()[:128]
    if not recipient:
        return survey_again(
            request, dashboard, info, problem="Give the customer id to make a link for.", status=400
        )
    try:
        with dashboard.writing():
            made = link_for(dashboard.store, dashboard.settings, name, recipient, clock(request))
    except (NotFound, AccessDenied):
        raise
    except CxgapError as error:
        return survey_again(request, dashboard, info, problem=str(error), status=400)
    link = {"recipient": recipient, "url": made.url, "until": when(made.expires_at)}
    return survey_again(request, dashboard, info, link=link, message="A new link is made; it works once.")


@router.get("/surveys/{name}/versions/{version}", response_class=HTMLResponse)
def version_page(request: Request, dashboard: Board, name: Name, version: int) -> HTMLResponse:
    """One saved version, read-only: the wording its answers were given to."""
    signed(request)
    info = catalog.get_survey(dashboard.store, name)
    found = next((v for v in catalog.versions(dashboard.store, name) if v.version == version), None)
    if found is None:
        raise NotFound(f"Survey '{name}' has no version {version}; it has versions 1 to {info.version}.")
    definition, _ = catalog.definition_of(dashboard.store, name, version)
    return loop_page(
        request,
        dashboard,
        "survey_editor_version.html.j2",
        "/surveys",
        f"Survey {name}, version {version}",
        here=survey_path(name),
        version={"version": version, "at": when(found.created_at), "by": found.created_by},
        shown=form.draft_of(definition),
        view_heading="As respondents were asked it",
        type_names=form.TYPE_NAMES,
        toml_text=to_toml(definition),
    )


@router.get("/surveys/{name}/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    dashboard: Board,
    name: Name,
    lang: Annotated[str, Query(max_length=16)] = "",
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    step: Annotated[int | None, Query(ge=0, le=1_000)] = None,
) -> HTMLResponse:
    """A version (default the latest) as a respondent sees it, in one of its languages; nothing is stored
    and the page's form goes nowhere. Every question is shown with when it is asked; `step` shows one
    step as a respondent with no answers yet meets it."""
    signed(request)
    info = catalog.get_survey(dashboard.store, name)
    definition, asked = catalog.definition_of(dashboard.store, name, version or info.version)
    language = lang or definition.languages[0]
    if language not in definition.languages:
        raise CxgapError(
            f"Survey '{name}' is not written in '{language[:16]}'; its languages are {', '.join(definition.languages)}."
        )
    html = render_survey(
        definition, asked, language, {}, {}, step, None, True, nonce=secrets.token_urlsafe(12)
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
