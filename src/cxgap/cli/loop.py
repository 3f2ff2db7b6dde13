"""`cxgap cases ...` and `cxgap users ...`: the closed loop from the terminal, and who may use the API.

The commands that write send their work to a running `cxgap serve` when it holds the DuckDB store (see
cxgap.cli.handoff) and print the same lines as a local run."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer
from rich.table import Table

from cxgap.config import load_settings
from cxgap.store import Store

from .main import ConfigOption, _store, _store_or_server, app, out, user_errors
from .render import cell

if TYPE_CHECKING:
    from cxgap.cases import CaseRecord
    from cxgap.stats import Estimate

cases_app = typer.Typer(
    help="Closed-loop cases: open them by rule, work them, measure the loop.", no_args_is_help=True
)
users_app = typer.Typer(help="API users, roles and tokens.", no_args_is_help=True)
app.add_typer(cases_app, name="cases")
app.add_typer(users_app, name="users")

AsOption = Annotated[str | None, typer.Option("--as", help="Who acts (default: cli:<your login>).")]


def _actor(name: str | None) -> str:
    return name or f"cli:{getpass.getuser()}"


def _case_table(records: list[CaseRecord], title: str) -> Table:
    table = Table(title=title)
    for column in ("case", "opened", "team", "owner", "touchpoint", "status", "due", "summary"):
        table.add_column(column, overflow="fold")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for r in records:
        due = f"{r.due_at:%Y-%m-%d %H:%M}" if r.due_at else ""
        if r.overdue(now):
            due = f"[red]{due} overdue[/]"
        table.add_row(
            r.case_id,
            f"{r.created_at:%Y-%m-%d}",
            r.team or "",
            r.owner or "",
            r.touchpoint or "",
            r.status,
            due,
            (r.summary or "")[:80],
        )
    return table


@cases_app.command("open")
@user_errors
def open_(
    since: Annotated[
        str | None, typer.Option(help="Records since this date (default: each rule's lookback_days).")
    ] = None,
    rule: Annotated[list[str] | None, typer.Option(help="Only this rule (repeatable).")] = None,
    config: ConfigOption = None,
) -> None:
    """Run the [cases] rules: one case per matching record, never two for the same record."""
    from cxgap.cases import open_cases
    from cxgap.errors import CxgapError

    settings = load_settings(config)
    unknown = [r for r in rule or [] if r not in settings.cases.rules]
    if unknown:
        raise CxgapError(
            f"There is no rule '{unknown[0]}'; cxgap.toml has {', '.join(settings.cases.rules)}."
        )
    try:
        start = dt.datetime.fromisoformat(since) if since else None
    except ValueError:
        raise CxgapError(f"--since '{since}' is not a date; write it as YYYY-MM-DD.") from None
    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            run = open_cases(store, settings, since=start, only=tuple(rule or ()))
        counts, total, run_id = run.opened, run.total, run.run_id
    else:  # `cxgap serve` holds the store: it runs the rules
        answer = target.call(
            "/api/admin/cases/open", {"since": start.isoformat() if start else None, "rules": rule or []}
        )
        counts, total, run_id = answer["opened"], answer["total"], answer["run_id"]
    for name, opened in counts.items():
        out.print(f"{name}: {opened:,} cases opened")
    out.print(f"{total:,} in all (run {run_id})")


@cases_app.command("list")
@user_errors
def list_(
    team: Annotated[str | None, typer.Option()] = None,
    status: Annotated[str | None, typer.Option(help="open, in_progress, resolved or closed.")] = None,
    touchpoint: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    config: ConfigOption = None,
) -> None:
    """Cases, newest first."""
    from cxgap.cases import list_cases

    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            found = list(list_cases(store, team=team, status=status, touchpoint=touchpoint, limit=limit))
    else:  # `cxgap serve` holds the store: it reads it
        asked = {"team": team, "status": status, "touchpoint": touchpoint, "limit": limit}
        found = [_case_record(row) for row in target.call("/api/admin/cases/list", asked)]
    out.print(_case_table(found, f"{len(found)} cases"))


def _case_record(row: dict[str, Any]) -> CaseRecord:
    """A case as a server sent it (times as ISO text)."""
    from cxgap.cases import CaseRecord

    when = {k: dt.datetime.fromisoformat(v) for k, v in row.items() if k.endswith("_at") and v}
    return CaseRecord(**(row | when))


@cases_app.command("show")
@user_errors
def show(case_id: str, config: ConfigOption = None) -> None:
    """One case and its audit log."""
    from cxgap.cases import events, get_case

    with _store(config) as store:
        record, log = get_case(store, case_id), events(store, case_id)
    out.print(_case_table([record], record.case_id))
    table = Table(title="audit log")
    for column in ("when", "who", "what", "from", "to", "detail"):
        table.add_column(column, overflow="fold")
    for e in log:
        table.add_row(
            f"{e.happened_at:%Y-%m-%d %H:%M:%S}",
            e.actor,
            e.action,
            e.from_status or "",
            e.to_status or "",
            e.detail or "",
        )
    out.print(table)


@cases_app.command("act")
@user_errors
def act(
    case_id: str,
    action: Annotated[str, typer.Argument(help="start, resolve, close or reopen.")],
    root_cause: Annotated[
        str | None, typer.Option(help="Needed to resolve: one of [cases] root_causes.")
    ] = None,
    note: Annotated[str | None, typer.Option()] = None,
    as_: AsOption = None,
    config: ConfigOption = None,
) -> None:
    """Move a case along its workflow (every change lands in its audit log)."""
    from cxgap.cases import transition

    settings = load_settings(config)
    target = _store_or_server(config)
    if not isinstance(target, Store):  # `cxgap serve` holds the store: it moves the case
        sent = {"actor": _actor(as_), "action": action, "root_cause": root_cause, "note": note}
        answer = target.call(f"/api/admin/cases/{quote(case_id, safe='')}/act", sent)
        out.print(f"{answer['case_id']} is now {answer['status']} (version {answer['version']}).")
        return
    with target as store:
        record = transition(
            store,
            case_id,
            action,
            _actor(as_),
            root_cause=root_cause,
            note=note,
            root_causes=tuple(settings.cases.root_causes),
        )
    out.print(f"{record.case_id} is now {record.status} (version {record.version}).")


@cases_app.command("assign")
@user_errors
def assign(
    case_id: str,
    team: Annotated[str | None, typer.Option()] = None,
    owner: Annotated[str | None, typer.Option()] = None,
    as_: AsOption = None,
    config: ConfigOption = None,
) -> None:
    """Give a case to another team and/or owner."""
    from cxgap.cases import assign as run

    target = _store_or_server(config)
    if not isinstance(target, Store):  # `cxgap serve` holds the store: it assigns the case
        sent = {"actor": _actor(as_), "team": team, "owner": owner}
        answer = target.call(f"/api/admin/cases/{quote(case_id, safe='')}/assign", sent)
        out.print(f"{answer['case_id']}: team {answer['team']}, owner {answer['owner'] or '-'}.")
        return
    with target as store:
        record = run(store, case_id, _actor(as_), team=team, owner=owner)
    out.print(f"{record.case_id}: team {record.team}, owner {record.owner or '-'}.")


@cases_app.command("note")
@user_errors
def note(case_id: str, text: str, as_: AsOption = None, config: ConfigOption = None) -> None:
    """Add a note to a case's log."""
    from cxgap.cases import add_note

    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            add_note(store, case_id, _actor(as_), text)
    else:  # `cxgap serve` holds the store: it adds the note
        target.call(f"/api/admin/cases/{quote(case_id, safe='')}/note", {"actor": _actor(as_), "text": text})
    out.print(f"Noted on {case_id}.")


@cases_app.command("metrics")
@user_errors
def metrics(
    by: Annotated[str, typer.Option(help="team, owner, touchpoint, rule or month.")] = "team",
    config: ConfigOption = None,
) -> None:
    """Accountability: share acted on, unresolved, overdue, reopened; hours to act and to resolve."""
    from cxgap.cases import accountability
    from cxgap.engine import Engine

    settings = load_settings(config)
    with _store(config) as store:
        a = settings.analysis
        report = accountability(Engine(store), by, min_n=a.min_n, confidence=a.confidence)
    table = Table(title=f"The loop by {by} ({report.min_n}+ cases for a share)")
    for column in (
        by,
        "cases",
        "acted on",
        "unresolved",
        "overdue",
        "reopened",
        "first action h (median/p90)",
        "resolve h (median/p90)",
    ):
        table.add_column(column)

    def share(e: Estimate | None) -> str:
        return f"{e.value:.0%} [{e.low:.0%}, {e.high:.0%}]" if e else "insufficient data"

    def hours(pair: tuple[float | None, float | None]) -> str:
        return " / ".join("-" if h is None else f"{h:.1f}" for h in pair)

    for g in report.groups:
        table.add_row(
            g.group or "(none)",
            f"{g.cases:,}",
            share(g.acted_on),
            share(g.unresolved),
            f"{g.overdue:,}",
            share(g.reopened),
            hours(g.hours_to_first_action),
            hours(g.hours_to_resolve),
        )
    out.print(table)


@users_app.command("add")
@user_errors
def add(
    name: str,
    role: Annotated[str, typer.Option(help="admin, analyst, team_lead, team_member or viewer.")],
    team: Annotated[str | None, typer.Option(help="The team (team members).")] = None,
    password: Annotated[
        bool, typer.Option("--password", help="Ask for a password (typed twice, never shown) to sign in.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Add a user and print their first API token (shown once; only its hash is kept); with --password
    they can also sign in to the pages in a browser."""
    from cxgap.access import add_user, issue_token, set_password
    from cxgap.access.sessions import check_password

    secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    if secret is not None:
        check_password(secret)
    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            add_user(store, name, role, team)
            if secret is not None:
                set_password(store, name, secret)
            token = issue_token(store, name)
    else:  # `cxgap serve` holds the store: it adds the user
        sent = {"name": name, "role": role, "team": team, "password": secret}
        token = str(target.call("/api/admin/users", sent)["token"])
    out.print(f"Added {name} ({role}{', team ' + team if team else ''}). Token, shown only now:")
    out.print(token, highlight=False, soft_wrap=True)


@users_app.command("password")
@user_errors
def password(name: str, config: ConfigOption = None) -> None:
    """Set or change a user's password for browser sign-in (typed twice, never shown)."""
    from cxgap.access import set_password

    secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            set_password(store, name, secret)
    else:  # `cxgap serve` holds the store: it sets the password
        target.call("/api/admin/users/password", {"name": name, "password": secret})
    out.print(f"{name} can now sign in at /sign-in.")


@users_app.command("token")
@user_errors
def token(name: str, config: ConfigOption = None) -> None:
    """Issue another token for a user (shown once)."""
    from cxgap.access import issue_token

    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            issued = issue_token(store, name)
    else:  # `cxgap serve` holds the store: it issues the token
        issued = str(target.call("/api/admin/users/token", {"name": name})["token"])
    out.print(issued, highlight=False, soft_wrap=True)


@users_app.command("revoke")
@user_errors
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token, or its id (the part after cxg_).")],
    config: ConfigOption = None,
) -> None:
    """Revoke a token: the API refuses it from now on."""
    from cxgap.access import revoke_token

    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            revoke_token(store, token_id)
    else:  # `cxgap serve` holds the store: it revokes the token
        target.call("/api/admin/tokens/revoke", {"token": token_id})
    out.print("Revoked.")


@users_app.command("list")
@user_errors
def list_users(config: ConfigOption = None) -> None:
    """Users, their roles and teams, and how many live tokens each has."""
    from cxgap.access import list_users as run

    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            rows = run(store).to_dict("records")
    else:  # `cxgap serve` holds the store: it reads it
        rows = target.call("/api/admin/users/list", {})
    table = Table(title=f"{len(rows)} users")
    for column in ("user", "role", "team", "live tokens"):
        table.add_column(column)
    for row in rows:
        table.add_row(cell(row["user_id"]), cell(row["role"]), cell(row["team"]), cell(row["live_tokens"]))
    out.print(table)
