"""The respondent pages: a survey at /s/<token>, opened from an invitation's link or a public one
(/s/a/<name>), with no account (the signed link is the credential) and none of the dashboard's frame: the
respondent sees the company's name and colours only.

The pages are plain forms that work without script. `one_at_a_time` asks one question per step (skip logic
decided by the server between steps, each step saving the answers so far, so a reopened link goes on where
it stopped); `one_page` asks every question shown so far, and a question an answer brings up appears after
the post. Answers go to `cxgap.surveys.answers.submit` (validation, redaction, case rules); its problems
come back beside their questions with an error summary that takes focus. `render_survey` is also the
editor's preview."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cxgap.api.dashboard import Dashboard
from cxgap.api.respond import client_of, grouped, guard_of, now_of
from cxgap.colours import luminance
from cxgap.errors import CxgapError, NotFound
from cxgap.limits import RateLimited
from cxgap.surveys.anonymous import HONEYPOT_FIELD, is_bot, open_anonymous
from cxgap.surveys.answers import (
    LinkExpired,
    LinkUsed,
    Respondent,
    open_link,
    record_consent,
    save_partial,
    submit,
)
from cxgap.surveys.catalog import definition_of
from cxgap.surveys.checks import AnswerProblems, asked, check_answers
from cxgap.surveys.definition import Question, SurveyDefinition
from cxgap.surveys.links import SurveyClosed
from cxgap.surveys.tokens import InvalidLink, read_token, survey_secret
from cxgap.web.loop.shown import posted
from cxgap.web.pages.render import TEMPLATES
from cxgap.web.surveys.respond_form import Posted, fields, merged, read_form, unanswered
from cxgap.web.surveys.respond_words import language_name, words

router = APIRouter(include_in_schema=False)
REQUIRED = "Please answer this question."  # cxgap.surveys.checks' sentence, said in the survey's language
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
REFUSALS: tuple[tuple[type[Exception], int, str], ...] = (  # the most specific first
    (LinkUsed, 409, "Already answered"),
    (LinkExpired, 410, "This link has expired"),
    (SurveyClosed, 410, "This survey is closed"),
    (InvalidLink, 404, "This link does not work"),
    (NotFound, 404, "There is no such survey"),
    (RateLimited, 429, "Too many answers at once"),
)


def _headers(nonce: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """No caching, no referrer (the token is in the address), and a CSP that allows this site's own
    script and styles plus the one <style> of brand colours carrying this response's nonce."""
    policy = (
        "default-src 'self'; script-src 'self'; img-src 'self' data:; base-uri 'none'; "
        f"form-action 'self'; object-src 'none'; style-src 'self' 'nonce-{nonce}'"
    )
    return {**PRIVATE, "Content-Security-Policy": policy, **(extra or {})}


def _readable_on(colour: str) -> str:
    """Near-black or white, whichever reads better on `colour`."""
    return "#1f1f1f" if luminance(colour) > 0.179 else "#ffffff"


def colours(definition: SurveyDefinition | None) -> dict[str, str]:
    """The page's colours: the brand's, with text colours that read on them."""
    primary = definition.brand.primary if definition else "#0b5394"
    page = definition.brand.background if definition else "#ffffff"
    return {"brand": primary, "on_brand": _readable_on(primary), "page": page, "ink": _readable_on(page)}


def _frame(definition: SurveyDefinition | None, language: str, nonce: str, title: str) -> dict[str, Any]:
    company = definition.brand.company if definition else ""
    return {
        "language": language,
        "nonce": nonce,
        "colours": colours(definition),
        "company": company,
        "page_title": f"{title} · {company}" if company else title,
        "w": words(language),
    }


def _language(definition: SurveyDefinition, wanted: str | None) -> str:
    return wanted if wanted in definition.languages else definition.languages[0]


def _condition(question: Question) -> str:
    """A preview's note on when a question is asked: 'Asked only when nps <= 6.'"""
    shown_if = question.show_if
    if shown_if is None:
        return ""
    value = shown_if.value if not isinstance(shown_if.value, list) else ", ".join(map(str, shown_if.value))
    return f"Asked only when {shown_if.question} {shown_if.op} {value}."


def render_survey(
    definition: SurveyDefinition,
    version: int,
    language: str,
    answers: Mapping[str, Any],
    problems: Mapping[str, str],
    step: int | None,
    token: str | None,
    preview: bool,
    *,
    nonce: str = "",
    honeypot: bool = False,
    note: str = "",
) -> str:
    """A survey page. `step`: the index of the question asked, among those shown (one_at_a_time); None
    on a one_page survey, or in a preview to show every question with a note on when it is asked.
    `token`: where the form posts (none in a preview, which has no form action and a "Preview" banner)."""
    language = _language(definition, language)
    w = words(language)
    shown = asked(definition, answers)
    if preview and step is None:
        on_page = list(definition.questions)
    elif definition.layout == "one_at_a_time" and shown:
        step = min(max(step or 0, 0), len(shown) - 1)
        on_page = [shown[step]]
    else:
        on_page, step = shown, None
    said = {q: w["problem_required"] if p == REQUIRED else p for q, p in problems.items()}
    view = fields(definition, on_page, language, w, answers, said)
    if preview:
        view = [replace(f, condition=_condition(q)) for f, q in zip(view, on_page, strict=True)]
    last = step is None or step == len(shown) - 1
    title = definition.text(definition.title, language)
    context = {
        **_frame(definition, language, nonce, title),
        "title": title,
        "preview": preview,
        "languages": [(code, language_name(code)) for code in definition.languages],
        "intro": definition.text(definition.intro, language) if not step else "",
        "progress": w["progress"].format(n=step + 1, total=len(shown)) if step is not None else "",
        "fields": view,
        "troubled": [f for f in view if f.problem],
        "action": f"/s/{token}" if token else "",
        "step_id": on_page[0].id if step is not None else "",
        "last": last,
        "can_back": bool(step),
        "honeypot": HONEYPOT_FIELD if honeypot else "",
        "note": note,
        "version": version,
    }
    return TEMPLATES.get_template("survey_respond.html.j2").render(**context)


def _page(html: str, nonce: str, status: int = 200, extra: Mapping[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=_headers(nonce, extra))


def refusal(error: CxgapError, definition: SurveyDefinition | None = None, language: str = "en") -> Response:
    """A link that cannot be answered, or any other user error: a friendly page with its sentence."""
    status, heading = next(
        ((code, said) for kind, code, said in REFUSALS if isinstance(error, kind)),
        (400, "Something is not right"),
    )
    extra = {"Retry-After": f"{error.retry_after:.0f}"} if isinstance(error, RateLimited) else None
    nonce = secrets.token_urlsafe(12)
    html = TEMPLATES.get_template("survey_respond_error.html.j2").render(
        **_frame(definition, language, nonce, heading), heading=heading, message=str(error)
    )
    return _page(html, nonce, status, extra)


def _resume(definition: SurveyDefinition, answers: Mapping[str, Any]) -> int:
    """Where a reopened link goes on: the first question shown that has no answer yet."""
    shown = asked(definition, answers)
    return next((i for i, q in enumerate(shown) if unanswered(q, answers)), max(len(shown) - 1, 0))


def _show(
    respondent: Respondent,
    answers: Mapping[str, Any],
    token: str,
    step: int | None,
    problems: Mapping[str, str] | None = None,
    status: int = 200,
    note: str = "",
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(12)
    html = render_survey(
        respondent.definition,
        respondent.version,
        respondent.language,
        answers,
        problems or {},
        step,
        token,
        preview=False,
        nonce=nonce,
        honeypot=respondent.recipient_kind == "anonymous",
        note=note,
    )
    return _page(html, nonce, status)


def _thanks(
    survey: tuple[str, int, SurveyDefinition],
    language: str,
    token: str,
    consent_asked: bool,
    consent_saved: bool = False,
) -> HTMLResponse:
    """The thank-you page (`survey`: its name, version and definition), asking the follow-up consent
    when `consent_asked`."""
    name, version, definition = survey
    nonce = secrets.token_urlsafe(12)
    thanks = definition.text(definition.thanks, language)
    question = definition.text(definition.follow_up_consent, language) if consent_asked else ""
    html = TEMPLATES.get_template("survey_respond_thanks.html.j2").render(
        **_frame(definition, language, nonce, thanks),
        thanks=thanks,
        consent_question=question,
        consent_action=f"/s/{token}/consent",
        consent_saved=consent_saved,
        survey=name,
        version=version,
    )
    return _page(html, nonce)


def _survey(respondent: Respondent) -> tuple[str, int, SurveyDefinition]:
    return respondent.survey, respondent.version, respondent.definition


def _dashboard(request: Request) -> Dashboard:
    dashboard: Dashboard = request.app.state.dashboard
    return dashboard


def _open(request: Request, token: str, language: str | None, mark_opened: bool = True) -> Respondent:
    """The link's respondent; a page view marks it opened (a write, one writer at a time on DuckDB), a
    post does not (its submission marks it when claiming it)."""
    dashboard = _dashboard(request)
    if not mark_opened:
        return open_link(dashboard.store, dashboard.settings, token, now_of(request), language, False)
    with dashboard.writing():
        return open_link(dashboard.store, dashboard.settings, token, now_of(request), language=language)


@router.get("/s/a/{name}")
def anonymous_link(request: Request, name: str, lang: str | None = None) -> Response:
    """A survey's public link: a fresh anonymous invitation, then its page (limited per address)."""
    dashboard = _dashboard(request)
    try:
        guard_of(request).check(client_of(request))
        with dashboard.writing():
            link = open_anonymous(dashboard.store, dashboard.settings, name, now_of(request))
    except CxgapError as error:
        return refusal(error)
    target = f"/s/{link.token}" + (f"?lang={lang}" if lang and lang.isascii() and lang.isalnum() else "")
    return RedirectResponse(target, status_code=303, headers=PRIVATE)


@router.get("/s/{token}")
def survey_page(request: Request, token: str, lang: str | None = None) -> Response:
    """The survey, where the respondent left off, in their language (`?lang=` switches)."""
    try:
        respondent = _open(request, token, lang)
    except CxgapError as error:
        return refusal(error)
    answers = respondent.partial
    step = (
        _resume(respondent.definition, answers) if respondent.definition.layout == "one_at_a_time" else None
    )
    return _show(respondent, answers, token, step)


@router.post("/s/{token}")
async def answer_page(request: Request, token: str) -> Response:
    """A step's or a page's answers: saved, and the next step, the same page with its problems, or the
    thanks once submitted."""
    form = Posted(await posted(request))
    return await run_in_threadpool(_answer, request, token, form)


def _answer(request: Request, token: str, form: Posted) -> Response:
    lang = str(form.get("lang") or "") or None
    try:
        respondent = _open(request, token, lang, mark_opened=False)
    except CxgapError as error:
        return refusal(error)
    definition, language = respondent.definition, respondent.language
    if respondent.recipient_kind == "anonymous" and is_bot(form.first()):
        return _thanks(
            _survey(respondent), language, token, consent_asked=False
        )  # a bot hears thanks; nothing is kept
    if "shown" not in form:  # a client posting answers straight to the link, not from our page: submit them
        posted = read_form(definition.questions, form)
        answers = {**respondent.partial, **{k: v for k, v in posted.items() if v is not None}}
        return _submit(request, respondent, token, answers)
    on_page = [q for q in definition.questions if q.id in str(form.get("shown")).split()]
    answers = merged(respondent.partial, read_form(on_page, form))
    action = str(form.get("action") or "next")
    if definition.layout == "one_at_a_time":
        return _step(request, respondent, token, answers, str(form.get("step") or ""), action)
    seen = {q.id for q in on_page}
    if any(q.id not in seen for q in asked(definition, answers)):
        # an answer brought up questions the respondent has not seen: show them before submitting
        _save(request, respondent, answers)
        return _show(respondent, answers, token, None, note=words(language)["more_questions"])
    return _submit(request, respondent, token, answers)


def _step(
    request: Request, respondent: Respondent, token: str, answers: dict[str, Any], at: str, action: str
) -> Response:
    """One step of a one_at_a_time survey: back, next (once its answer is fine), or submit after the
    last."""
    shown = asked(respondent.definition, answers)
    ids = [q.id for q in shown]
    here = ids.index(at) if at in ids else _resume(respondent.definition, answers)
    if action == "back":
        _save(request, respondent, answers)
        return _show(respondent, answers, token, max(here - 1, 0))
    try:
        check_answers(respondent.definition, answers, only=ids[here : here + 1])
    except AnswerProblems as found:
        return _show(respondent, answers, token, here, found.problems, status=422)
    if here + 1 < len(shown):
        _save(request, respondent, answers)
        return _show(respondent, answers, token, here + 1)
    return _submit(request, respondent, token, answers)


def _save(request: Request, respondent: Respondent, answers: dict[str, Any]) -> None:
    dashboard = _dashboard(request)
    with dashboard.writing():
        save_partial(dashboard.store, respondent, answers, now_of(request))


def _submit(request: Request, respondent: Respondent, token: str, answers: dict[str, Any]) -> Response:
    """Store the answers (a detractor's opens a case at once) and thank; problems go back to the page,
    on a one_at_a_time survey to the first step with one."""
    dashboard = _dashboard(request)
    definition = respondent.definition
    try:
        if respondent.recipient_kind == "anonymous":
            guard_of(request).check(client_of(request))
        submit(
            dashboard.store, dashboard.settings, respondent, answers, now_of(request), load=grouped(dashboard)
        )
    except AnswerProblems as found:
        step = None
        if definition.layout == "one_at_a_time":
            ids = [q.id for q in asked(definition, answers)]
            step = min((ids.index(q) for q in found.problems if q in ids), default=0)
        return _show(respondent, answers, token, step, found.problems, status=422)
    except CxgapError as error:
        return refusal(error, definition, respondent.language)
    asks = bool(definition.follow_up_consent)
    return _thanks(_survey(respondent), respondent.language, token, consent_asked=asks)


@router.post("/s/{token}/consent")
async def consent_page(request: Request, token: str) -> Response:
    """The follow-up consent asked on the thank-you page: yes or no, kept with the stored answer."""
    form = Posted(await posted(request))
    return await run_in_threadpool(_consent, request, token, form)


def _consent(request: Request, token: str, form: Posted) -> Response:
    dashboard = _dashboard(request)
    try:
        invitation_id = read_token(survey_secret(dashboard.store), token)
        # the thank-you page's survey and version, for its wording and colours only
        name, version = str(form.get("survey") or ""), str(form.get("version") or "")
        definition, number = definition_of(dashboard.store, name, int(version) if version.isdigit() else 0)
        with dashboard.writing():
            record_consent(dashboard.store, invitation_id, str(form.get("consent") or "") == "yes")
    except CxgapError as error:
        return refusal(error)
    language = _language(definition, str(form.get("lang") or ""))
    return _thanks((name, number, definition), language, token, consent_asked=False, consent_saved=True)


@router.get("/s/{token}/consent")
def consent_again(token: str) -> Response:
    """The consent's address opened again (a reload, a bookmark): back to the link, which says where it
    stands."""
    return RedirectResponse(f"/s/{token}", status_code=303, headers=PRIVATE)
