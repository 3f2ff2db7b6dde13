"""`cxgap cases ...` and `cxgap users ...`: the closed loop from the terminal, and who may use the API.

The commands that write send their work to a running `cxgap serve` when it holds the DuckDB store (see
cxgap.cli.handoff) and print the same lines as a local run."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer
from rich.markup import escape
from rich.table import Table

from cxgap.config import load_settings
from cxgap.store import Store

from .main import ConfigOption, _store, _store_or_server, app, moment, user_errors
from .output import out
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


AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Judge at this moment, YYYY-MM-DD[THH:MM] (default: the loop's clock, see [cases] as_of).",
    ),
]


def _case_table(records: list[CaseRecord], title: str, now: dt.datetime) -> Table:
    table = Table(title=title)
    for column in ("case", "opened", "team", "owner", "touchpoint", "status", "due", "summary"):
        table.add_column(column, overflow="fold")
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
            escape((r.summary or "")[:80]),  # what customers wrote: never read as markup
        )
    return table


@cases_app.command("open")
@user_errors
def open_(
    since: Annotated[
        str | None, typer.Option(help="Records since this date (default: each rule's lookback_days).")
    ] = None,
    rule: Annotated[list[str] | None, typer.Option(help="Only this rule (repeatable).")] = None,
    as_of: AsOfOption = None,
    config: ConfigOption = None,
) -> None:
    """Run the [cases] rules: one case per matching record, never two for the same record; a record of a
    customer who already holds an open case joins it (rules with group_by_customer)."""
    from cxgap.cases import loop_now, open_cases
    from cxgap.errors import CxgapError

    settings = load_settings(config)
    unknown = [r for r in rule or [] if r not in settings.cases.rules]
    if unknown:
        raise CxgapError(
            f"There is no rule '{unknown[0]}'; cxgap.toml has {', '.join(settings.cases.rules)}."
        )
    start, at = moment(since, "--since"), moment(as_of, "--as-of")
    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            run = open_cases(
                store, settings, since=start, only=tuple(rule or ()), now=loop_now(store, settings, as_of=at)
            )
        counts, joined, total, run_id = run.opened, run.joined, run.total, run.run_id
        undated = run.undated
    else:  # `cxgap serve` holds the store: it runs the rules
        sent: dict[str, Any] = {"since": start.isoformat() if start else None, "rules": rule or []}
        if at is not None:
            sent["as_of"] = at.isoformat()
        answer = target.call("/api/admin/cases/open", sent)
        counts, total, run_id = answer["opened"], answer["total"], answer["run_id"]
        joined, undated = answer.get("joined", {}), answer.get("undated", {})
    for name, opened in counts.items():
        extra = f", {joined[name]:,} joined a customer's open case" if joined.get(name) else ""
        if undated.get(name):
            extra += (
                f"; {undated[name]:,} matching records have no date, so no lookback includes them "
                "(import them with a date column to open their cases)"
            )
        out.print(f"{name}: {opened:,} cases opened{extra}")
    out.print(f"{total:,} in all (run {run_id})")


@cases_app.command("list")
@user_errors
def list_(
    queue: Annotated[str, typer.Option(help="mine, team, overdue, due_today, unassigned or all.")] = "all",
    search: Annotated[
        str | None, typer.Option(help="A case id, a customer id, or words in the summary.")
    ] = None,
    team: Annotated[str | None, typer.Option()] = None,
    status: Annotated[
        str | None, typer.Option(help="open, in_progress, resolved, closed (default: any).")
    ] = None,
    touchpoint: Annotated[str | None, typer.Option()] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open cases past their deadline.")] = False,
    as_of: AsOfOption = None,
    as_: AsOption = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    config: ConfigOption = None,
) -> None:
    """Cases, newest first, with how many match in all; `--queue mine` is the cases of `--as`."""
    from cxgap.cases import InboxQuery, loop_now
    from cxgap.cases.inbox import find_cases
    from cxgap.errors import CxgapError

    if overdue and queue not in ("all", "overdue"):
        raise CxgapError(f"--overdue and --queue {queue} ask for different queues; give one of them.")
    at = moment(as_of, "--as-of")
    query = InboxQuery(
        queue="overdue" if overdue else queue,
        search=search,
        touchpoint=touchpoint,
        status=status or "any",
        team=team,
        sort="-created_at",
    )
    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            now = loop_now(store, load_settings(config), as_of=at)
            found, counts = find_cases(
                store, query, user_id=_actor(as_), scope=None, team=team, now=now, limit=limit, offset=0
            )
            records, total = list(found), counts[query.queue]
    else:  # `cxgap serve` holds the store: it reads it
        asked: dict[str, Any] = {"team": team, "status": status, "touchpoint": touchpoint, "limit": limit}
        extra = {"queue": query.queue, "search": search, "as_of": at.isoformat() if at else None}
        asked |= {k: v for k, v in extra.items() if v not in (None, "all")} | (
            {"user": _actor(as_)} if as_ else {}
        )
        answer = target.call("/api/admin/cases/list", asked)
        rows = answer["cases"] if isinstance(answer, dict) else answer
        records = [_case_record(row) for row in rows]
        total = int(answer["total"]) if isinstance(answer, dict) else len(records)
        now = dt.datetime.fromisoformat(answer["now"]) if isinstance(answer, dict) else at or _local_now()
    out.print(_case_table(records, f"{len(records):,} of {total:,} cases", now))


def _local_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _case_record(row: dict[str, Any]) -> CaseRecord:
    """A case as a server sent it (times as ISO text)."""
    from cxgap.cases import CaseRecord

    when = {k: dt.datetime.fromisoformat(v) for k, v in row.items() if k.endswith("_at") and v}
    return CaseRecord(**(row | when))


@cases_app.command("show")
@user_errors
def show(case_id: str, config: ConfigOption = None) -> None:
    """One case, what opened it (its triggers) and its audit log, each line as a sentence."""
    from cxgap.cases import case_triggers, describe_event, events, get_case, loop_now

    with _store(config) as store:
        record, log = get_case(store, case_id), events(store, case_id)
        triggers, now = case_triggers(store, case_id), loop_now(store, load_settings(config))
    out.print(_case_table([record], record.case_id, now))
    if triggers:
        table = Table(title="triggers")
        for column in ("rule", "record", "added", "summary"):
            table.add_column(column, overflow="fold")
        for t in triggers:
            table.add_row(
                t.rule,
                f"{t.trigger_kind} {t.trigger_id}",
                f"{t.added_at:%Y-%m-%d %H:%M}",
                escape(t.summary or ""),
            )
        out.print(table)
    table = Table(title="audit log")
    for column in ("when", "what", "from", "to", "history"):
        table.add_column(column, overflow="fold")
    for e in log:
        table.add_row(
            f"{e.happened_at:%Y-%m-%d %H:%M:%S}",
            e.action,
            e.from_status or "",
            e.to_status or "",
            escape(describe_event(e)),
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
    team: Annotated[str | None, typer.Option(help="Only this team's cases (a team lead's view).")] = None,
    as_of: AsOfOption = None,
    config: ConfigOption = None,
) -> None:
    """Accountability: share acted on, unresolved, overdue, reopened; hours to act and to resolve."""
    from cxgap.cases import accountability, loop_now
    from cxgap.engine import Engine

    settings = load_settings(config)
    at = moment(as_of, "--as-of")
    with _store(config) as store:
        a = settings.analysis
        now = loop_now(store, settings, as_of=at)
        report = accountability(Engine(store), by, team=team, now=now, min_n=a.min_n, confidence=a.confidence)
    of_team = f" in team {team}" if team else ""
    table = Table(
        title=f"The loop by {by}{of_team} at {now:%Y-%m-%d %H:%M} ({report.min_n}+ cases for a share)"
    )
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
    team: Annotated[str | None, typer.Option(help="The team (team members and team leads).")] = None,
    email: Annotated[str | None, typer.Option(help="Where their notifications go.")] = None,
    password: Annotated[
        bool, typer.Option("--password", help="Ask for a password (typed twice, never shown) to sign in.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Add a user and print their first API token (shown once; only its hash is kept); with --password
    they can also sign in to the pages in a browser."""
    from cxgap.access import add_user, check_email, issue_token, set_password
    from cxgap.access.sessions import check_password

    if email is not None:
        email = check_email(email)  # before the password prompt: a typo is said at once
    secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    if secret is not None:
        check_password(secret)
    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            add_user(store, name, role, team, email=email)
            if secret is not None:
                set_password(store, name, secret)
            token = issue_token(store, name)
    else:  # `cxgap serve` holds the store: it adds the user
        sent = {"name": name, "role": role, "team": team, "password": secret}
        token = str(target.call("/api/admin/users", sent | ({"email": email} if email else {}))["token"])
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


@users_app.command("email")
@user_errors
def email(
    name: str,
    address: Annotated[str | None, typer.Argument(help="The address; leave it out with --remove.")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the user's address.")] = False,
    config: ConfigOption = None,
) -> None:
    """Set (or remove) the e-mail address a user's notifications go to."""
    from cxgap.access import check_email, set_email
    from cxgap.errors import CxgapError

    if (address is None) == (not remove):
        raise CxgapError("Give an e-mail address, or --remove to remove the user's address (not both).")
    checked = check_email(address) if address is not None else None
    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            set_email(store, name, checked)
    else:  # `cxgap serve` holds the store: it sets the address
        target.call("/api/admin/users/email", {"name": name, "email": checked})
    out.print(f"{name}'s notifications go to {checked}." if checked else f"{name} has no e-mail address now.")


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
    """Users, their roles, teams and e-mail addresses, and how many live tokens each has."""
    from cxgap.access import list_users as run

    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            rows = run(store).to_dict("records")
    else:  # `cxgap serve` holds the store: it reads it
        rows = target.call("/api/admin/users/list", {})
    table = Table(title=f"{len(rows)} users")
    for column in ("user", "role", "team", "e-mail", "live tokens"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            cell(row["user_id"]),
            cell(row["role"]),
            cell(row["team"]),
            cell(row.get("email")),
            cell(row["live_tokens"]),
        )
    out.print(table)
