"""`cxgap surveys ...`: survey definitions and their versions, respondent links, invitations, contacts and
opt-outs, and response rates, from the terminal. Every command takes `--format csv|json` to print its
result's table as CSV or JSON records instead (`--json` is the same as `--format json`)."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from cxgap.config import load_settings
from cxgap.errors import CxgapError

from .app import ConfigOption, _store, app, moment, user_errors
from .output import Format, FormatOption, JsonOption, chosen, emit, out
from .render import cell

if TYPE_CHECKING:
    import pandas as pd

    from cxgap.surveys.catalog import SurveyInfo
    from cxgap.surveys.definition import SurveyDefinition

surveys_app = typer.Typer(
    help="Hosted surveys: definitions, links, invitations, response rates.", no_args_is_help=True
)
contacts_app = typer.Typer(
    help="Who invitations go to: customers' and staff's addresses.", no_args_is_help=True
)
app.add_typer(surveys_app, name="surveys")
surveys_app.add_typer(contacts_app, name="contacts")

NameArgument = Annotated[str, typer.Argument(help="The survey's name (`cxgap surveys list`).")]
AsOption = Annotated[str | None, typer.Option("--as", help="Who acts (default: cli:<your login>).")]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _said(info: SurveyInfo, fmt: Format, sentence: str) -> None:
    """A survey after a change: the sentence for people, its row for tools."""
    from cxgap.surveys.catalog import surveys_frame

    frame = surveys_frame([info])
    emit(fmt, frame, [sentence], frame)


@surveys_app.command("list")
@user_errors
def list_(
    as_json: JsonOption = False,
    fmt: FormatOption = Format.table,
    config: ConfigOption = None,
) -> None:
    """Every survey: who it asks, whether it is collecting, its latest version and the one asked now."""
    from cxgap.surveys.catalog import list_surveys, surveys_frame

    with _store(config) as store:
        infos = list_surveys(store)
    frame = surveys_frame(infos)
    if chosen(fmt, as_json) is not Format.table:
        emit(chosen(fmt, as_json), frame, [], frame)
        return
    if not infos:
        out.print("No surveys yet: `cxgap surveys create --template nps` makes one.")
        return
    table = Table(title="Surveys")
    for column in ("name", "title", "audience", "status", "version", "asked", "updated"):
        table.add_column(column, overflow="fold")
    for i in infos:
        asked = str(i.published_version) if i.published_version else ""
        updated = f"{i.updated_at:%Y-%m-%d %H:%M}"
        table.add_row(i.name, i.title, i.audience, i.status, str(i.version), asked, updated)
    out.print(table)


@surveys_app.command("create")
@user_errors
def create(
    template: Annotated[
        str | None, typer.Option(help="nps, csat, ces, servqual or beliefs (built from cxgap.toml).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option(help="A survey definition in TOML (see docs/surveys.md).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="The new survey's name (default: the template's).")] = None,
    touchpoint: Annotated[str | None, typer.Option(help="csat and ces: the touchpoint asked about.")] = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
    fmt: FormatOption = Format.table,
    config: ConfigOption = None,
) -> None:
    """Create a survey as a draft, from a template or a TOML file; publish it to start asking it."""
    from cxgap.surveys.catalog import create_survey
    from cxgap.surveys.definition import parse_definition, to_toml
    from cxgap.surveys.templates import template as built

    settings = load_settings(config)
    if (template is None) == (file is None):
        raise CxgapError(
            "Say what to create from: --template nps|csat|ces|servqual|beliefs, or --file def.toml."
        )
    if file is not None:
        if touchpoint is not None:
            raise CxgapError("--touchpoint is for templates; a file names its own touchpoint.")
        definition = _read(file, settings)
        if name is not None:  # checked as if the file said it
            definition = parse_definition(to_toml(definition.model_copy(update={"name": name})), "--name")
    else:
        definition = built(str(template), settings, name=name, touchpoint=touchpoint)
    with _store(config) as store:
        info = create_survey(store, definition, by=_actor(as_))
    _said(
        info,
        chosen(fmt, as_json),
        f"Created survey {info.name} (version 1, a draft with {len(definition.questions)} questions): "
        f"`cxgap surveys show {info.name}` shows it, `cxgap surveys publish {info.name}` starts asking it.",
    )


@surveys_app.command("save")
@user_errors
def save(
    file: Annotated[Path, typer.Argument(help="The survey's new definition in TOML (its name says which).")],
    expect_version: Annotated[
        int | None, typer.Option(help="Refuse if someone saved a version after this one.", min=1)
    ] = None,
    as_: AsOption = None,
    as_json: JsonOption = False,
    fmt: FormatOption = Format.table,
    config: ConfigOption = None,
) -> None:
    """Save a new version of a survey from a TOML file; respondents keep the published version until you
    publish again."""
    from cxgap.surveys.catalog import save_version

    definition = _read(file, load_settings(config))
    with _store(config) as store:
        info = save_version(store, definition, by=_actor(as_), expected_version=expect_version)
    asked = f"; respondents are asked version {info.published_version}" if info.published_version else ""
    _said(info, chosen(fmt, as_json), f"Survey {info.name} is at version {info.version}{asked}.")


@surveys_app.command("show")
@user_errors
def show(
    name: NameArgument,
    version: Annotated[
        int | None, typer.Option(help="This version (default: the one asked now).", min=1)
    ] = None,
    toml: Annotated[
        bool, typer.Option("--toml", help="Print the definition as TOML, to edit and save.")
    ] = False,
    as_json: JsonOption = False,
    fmt: FormatOption = Format.table,
    config: ConfigOption = None,
) -> None:
    """A survey's questions, in order, with when each is shown (default: the version respondents are asked
    now, else the latest)."""
    from cxgap.surveys.catalog import definition_of, get_survey
    from cxgap.surveys.definition import to_toml

    with _store(config) as store:
        info = get_survey(store, name)
        definition, shown = definition_of(store, name, version)
    if toml:
        typer.echo(to_toml(definition), nl=False)
        return
    frame = _questions(definition)
    asked = f", asked: version {info.published_version}" if info.published_version else ""
    said = (
        f"{name}: {info.title} ({definition.audience}, {definition.kind}"
        f"{', ' + definition.touchpoint if definition.touchpoint else ''}; {info.status}, "
        f"version {shown} of {info.version}{asked}; languages {', '.join(definition.languages)})"
    )
    table = Table()
    for column in frame.columns:
        table.add_column(column, overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(cell(value) for value in row))
    emit(chosen(fmt, as_json), frame, [said, table], frame)


@surveys_app.command("publish")
@user_errors
def publish(
    name: NameArgument,
    as_json: JsonOption = False,
    fmt: FormatOption = Format.table,
    config: ConfigOption = None,
) -> None:
    """Start asking a survey's latest version (again, after closing it or saving a new version)."""
    from cxgap.surveys.catalog import publish as publish_survey

    settings = load_settings(config)
    with _store(config) as store:
        info = publish_survey(store, name, settings=settings)
    _said(
        info,
        chosen(fmt, as_json),
        f"Survey {name} is published: respondents are asked version {info.published_version}.",
    )


@surveys_app.command("close")
@user_errors
def close(
    name: NameArgument,
    as_json: JsonOption = False,
    fmt: FormatOption = Format.table,
    config: ConfigOption = None,
) -> None:
    """Stop asking a survey: its links stop working, its answers stay; publish it to reopen."""
    from cxgap.surveys.catalog import close as close_survey

    with _store(config) as store:
        info = close_survey(store, name)
    _said(
        info,
        chosen(fmt, as_json),
        f"Survey {name} is closed: its links no longer work (publish it to reopen).",
    )


@surveys_app.command("link")
@user_errors
def link(
    name: NameArgument,
    customer: Annotated[str, typer.Option(help="The customer (or, for a staff survey, the staff member).")],
    as_json: JsonOption = False,
    fmt: FormatOption = Format.table,
    config: ConfigOption = None,
) -> None:
    """Make one respondent link by hand, for a manual send or a test; prints the URL alone."""
    import pandas as pd

    from cxgap.surveys.links import link_for

    settings = load_settings(config)
    with _store(config) as store:
        made = link_for(store, settings, name, customer, _now())
    if chosen(fmt, as_json) is Format.table:
        typer.echo(made.url)
        return
    frame = pd.DataFrame([{"survey": name, "url": made.url, "expires_at": made.expires_at}])
    emit(chosen(fmt, as_json), frame, [], frame)


@surveys_app.command("invite")
@user_errors
def invite(
    name: NameArgument,
    to: Annotated[
        list[str] | None, typer.Option(help="A customer or staff id to invite (repeatable).")
    ] = None,
    staff: Annotated[
        bool, typer.Option("--staff", help="Every staff contact (a staff survey: the belief survey).")
    ] = False,
    as_json: JsonOption = False,
    fmt: FormatOption = Format.table,
    config: ConfigOption = None,
) -> None:
    """E-mail invitations now, under the contact-frequency rules (every decision is kept, sent or not)."""
    from cxgap.surveys.catalog import get_survey
    from cxgap.surveys.invitations import invite as invite_people

    settings = load_settings(config)
    if bool(to) == staff:
        raise CxgapError("Say whom to invite: --to ID (repeatable), or --staff for every staff contact.")
    with _store(config) as store:
        if staff and get_survey(store, name).audience != "staff":
            raise CxgapError(f"Survey {name} asks customers; --staff invites to a staff survey only.")
        run = invite_people(
            store, settings, name, to or None, _now(), reason="beliefs" if staff else "manual"
        )
    _run(run, chosen(fmt, as_json))


@surveys_app.command("run-invitations")
@user_errors
def run_invitations(
    survey: Annotated[str | None, typer.Option(help="Only this survey's triggers.")] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Judge at this moment, YYYY-MM-DD[THH:MM] UTC (default: now)."),
    ] = None,
    as_json: JsonOption = False,
    fmt: FormatOption = Format.table,
    config: ConfigOption = None,
) -> None:
    """Run every trigger due (`surveys.triggers` in cxgap.toml), send reminders and what waited for the quiet
    hours to end."""
    from cxgap.surveys.invitations import run_invitations as run_all

    settings = load_settings(config)
    at = moment(as_of, "--as-of") or _now()
    with _store(config) as store:
        run = run_all(store, settings, at, survey=survey)
    _run(run, chosen(fmt, as_json))


@contacts_app.command("import")
@user_errors
def import_contacts(
    file: Annotated[Path, typer.Argument(help="CSV with the columns id, email, language, role.")],
    kind: Annotated[str, typer.Option(help="customer or staff.")],
    as_json: JsonOption = False,
    fmt: FormatOption = Format.table,
    config: ConfigOption = None,
) -> None:
    """Load (or update) the addresses invitations go to; rows that cannot be used are named, not loaded."""
    from cxgap.surveys.contacts import import_contacts as load

    with _store(config) as store:
        done = load(store, file, kind, _now())
    lines = [done.sentence(), *(problem.sentence() for problem in done.problems[:20])]
    if done.refused > 20:
        lines.append(f"... and {done.refused - 20:,} more (`--format csv` lists them all).")
    emit(chosen(fmt, as_json), done.to_frame(), lines, done.to_frame())


@surveys_app.command("opt-out")
@user_errors
def opt_out(
    customer: Annotated[str | None, typer.Option(help="The customer who asked never to be surveyed.")] = None,
    staff: Annotated[
        str | None, typer.Option(help="The staff member who asked never to be surveyed.")
    ] = None,
    as_json: JsonOption = False,
    fmt: FormatOption = Format.table,
    config: ConfigOption = None,
) -> None:
    """Record that someone is never to be surveyed again (kept forever, honoured by every invitation)."""
    import pandas as pd

    from cxgap.surveys.contacts import opt_out as record

    if (customer is None) == (staff is None):
        raise CxgapError("Say who opts out: --customer ID or --staff ID.")
    kind, who = ("customer", customer) if customer is not None else ("staff", staff)
    with _store(config) as store:
        added = record(store, kind, who, None, "admin", _now())
    frame = pd.DataFrame([{"kind": kind, "id": who, "newly_opted_out": bool(added)}])
    said = "will never be surveyed again" if added else "had already opted out"
    emit(chosen(fmt, as_json), frame, [f"{kind.capitalize()} {who} {said}."], frame)


@surveys_app.command("rates")
@user_errors
def rates(
    survey: Annotated[str | None, typer.Option(help="Only this survey.")] = None,
    as_json: JsonOption = False,
    fmt: FormatOption = Format.table,
    config: ConfigOption = None,
) -> None:
    """AAPOR response rates (RR1, RR2 with 95% intervals) per survey, touchpoint and segment, with n; with
    --survey, also who answered against who was invited and the customer base (nonresponse bias)."""
    from cxgap.surveys.rates import compare_respondents, response_rates

    settings = load_settings(config)
    with _store(config) as store:
        found = response_rates(store, survey, settings.analysis.min_n, settings.analysis.confidence)
        balance = (
            compare_respondents(store, survey, settings.analysis.min_n) if survey and found.rows else None
        )
    frame = found.to_frame()
    if chosen(fmt, as_json) is not Format.table:
        emit(chosen(fmt, as_json), frame, [], frame)
        return
    if balance is not None and balance.enough:
        _print_balance(balance)
    elif balance is not None:
        out.print(balance.sentence())
    if frame.empty:
        out.print(found.sentence())
        return
    table = Table(title="Response rates (AAPOR)")
    for column in (
        "survey",
        "touchpoint / segment",
        "invited",
        "delivered",
        "answered",
        "partial",
        "RR1",
        "RR2",
    ):
        table.add_column(column, overflow="fold")
    for row in found.rows:
        within = row.touchpoint or (f"segment {row.segment}" if row.segment else "all")
        counts = (row.invited, row.delivered, row.answered, row.partial)
        shown = [_rate(row.rr1), _rate(row.rr2)] if row.rr1 else [row.status, ""]
        table.add_row(row.survey, within, *(f"{n:,}" for n in counts), *shown)
    out.print(table)


def _print_balance(balance: Any) -> None:
    """Respondents beside the invited and the base, with the standardized differences, and its sentence."""
    table = Table(title=f"Who answered {balance.survey}: respondents, the invited and the customer base")
    for column in ("variable", "base", "invited", "respondents", "difference from base"):
        table.add_column(column, overflow="fold")
    for row in balance.rows:
        what = f"{row.variable} {row.category}" if row.category else row.variable
        shown = [
            f"{100 * v:.0f}%" if row.kind == "share" else f"{v:,.2f}"
            for v in (row.base, row.invited, row.respondents)
        ]
        flag = " (imbalanced)" if row.imbalanced else ""
        table.add_row(what, *shown, f"{row.vs_base:+.2f}{flag}")
    out.print(table)
    out.print(balance.sentence())


def _rate(estimate: Any) -> str:
    """A rate with its interval, e.g. '23% [21, 25]'."""
    if estimate is None:
        return ""
    return f"{100 * estimate.value:.0f}% [{100 * estimate.low:.0f}, {100 * estimate.high:.0f}]"


def _run(run: Any, fmt: Format) -> None:
    """An invitation run: its sentence for people, one row per outcome for tools."""
    emit(fmt, run.to_frame(), [run.sentence()], run.to_frame())


def _read(file: Path, settings: Any) -> SurveyDefinition:
    """A definition file, read and checked against cxgap.toml (one sentence when it cannot be)."""
    from cxgap.surveys.definition import parse_definition

    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CxgapError(f"{file}: file not found.") from None
    except UnicodeDecodeError:
        raise CxgapError(f"{file}: not UTF-8 text; save it as UTF-8.") from None
    except OSError as error:
        raise CxgapError(f"{file}: cannot be read ({error.strerror or type(error).__name__}).") from None
    return parse_definition(text, str(file), settings)


def _actor(name: str | None) -> str:
    return name or f"cli:{getpass.getuser()}"


def _questions(definition: SurveyDefinition) -> pd.DataFrame:
    """The questions as a table: id, type, what it asks, when it is shown, its text."""
    import pandas as pd

    rows = []
    for q in definition.questions:
        about = ", ".join(filter(None, [q.touchpoint, q.item, *q.ask, *(o.value for o in q.options)]))
        when = f"{q.show_if.question} {q.show_if.op} {_value(q.show_if.value)}" if q.show_if else ""
        text = definition.text(q.text, definition.languages[0])
        rows.append(
            {
                "id": q.id,
                "type": q.type,
                "asks": about,
                "shown if": when,
                "required": q.required,
                "text": text,
            }
        )
    return pd.DataFrame(rows, columns=["id", "type", "asks", "shown if", "required", "text"])


def _value(value: Any) -> str:
    """A condition's value as written: 6, not 6.0."""
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)
