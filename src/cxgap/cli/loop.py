"""`cxgap cases ...`: the closed loop from the terminal.

The commands that write send their work to a running `cxgap serve` when it holds the DuckDB store (see
cxgap.cli.handoff) and print the same lines as a local run."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer
from rich.table import Table
from rich.text import Text

from cxgap.config import load_settings

from .app import ConfigOption, _store, _store_or_server, app, moment, user_errors
from .output import Format, JsonOption, chosen, emit, format_option, out, plain_data

if TYPE_CHECKING:
    import pandas as pd

    from cxgap.cases import AccountabilityReport, CaseEvent, CaseRecord, CaseTrigger
    from cxgap.stats import Estimate

cases_app = typer.Typer(
    help="Closed-loop cases: open them by rule, work them, measure the loop.", no_args_is_help=True
)
app.add_typer(cases_app, name="cases")

AsOption = Annotated[str | None, typer.Option("--as", help="Who acts (default: cli:<your login>).")]


def _actor(name: str | None) -> str:
    return name or f"cli:{getpass.getuser()}"


AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Judge at this moment, YYYY-MM-DD[THH:MM] (default: the loop's clock, see \\[cases] as_of).",
    ),
]


def _case_table(records: list[CaseRecord], title: str, now: dt.datetime) -> Table:
    table = Table(title=title)
    for column in ("case", "opened", "team", "owner", "touchpoint", "status", "due", "summary"):
        table.add_column(column, overflow="fold")
    for r in records:
        due: str | Text = f"{r.due_at:%Y-%m-%d %H:%M}" if r.due_at else ""
        if r.overdue(now):
            due = Text(f"{due} overdue", style="red")
        table.add_row(
            r.case_id,
            f"{r.created_at:%Y-%m-%d}",
            r.team or "",
            r.owner or "",
            r.touchpoint or "",
            r.status,
            due,
            (r.summary or "")[:80],  # a glance: --format csv or json gives the whole summary
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
    fmt: Annotated[Format, format_option("one row per rule")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Run the \\[cases] rules: one case per matching record, never two for the same record; a record of a
    customer who already holds an open case joins it (rules with group_by_customer)."""
    fmt = chosen(fmt, as_json)
    from cxgap.cases import loop_now, open_cases
    from cxgap.errors import CxgapError
    from cxgap.store import Store

    settings = load_settings(config)
    if not settings.cases.rules:
        raise CxgapError(
            "cxgap.toml has no case rules, so there is nothing to open: write one under [cases.rules] "
            "(the starter shows the form; triggers: detractor, low_csat, negative_feedback, unresolved_interaction)."
        )
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
    ran = {"run_id": run_id, "total": total, "opened": counts, "joined": joined, "undated": undated}
    emit(fmt, ran, lambda: _opened_lines(ran), lambda: _opened_frame(ran))


def _opened_lines(ran: dict[str, Any]) -> list[str]:
    """Per rule, the cases opened, records joined and records without a date; then the total."""
    lines = []
    joined, undated = ran["joined"], ran["undated"]
    for name, opened in ran["opened"].items():
        extra = f", {joined[name]:,} joined a customer's open case" if joined.get(name) else ""
        if undated.get(name):
            extra += (
                f"; {undated[name]:,} matching records have no date, so no lookback includes them "
                "(import them with a date column to open their cases)"
            )
        lines.append(f"{name}: {opened:,} cases opened{extra}")
    return [*lines, f"{ran['total']:,} in all (run {ran['run_id']})"]


def _opened_frame(ran: dict[str, Any]) -> pd.DataFrame:
    """One row per rule: cases opened, records joined to open cases, records without a date."""
    import pandas as pd

    joined, undated = ran["joined"], ran["undated"]
    rows = [[name, n, joined.get(name, 0), undated.get(name, 0)] for name, n in ran["opened"].items()]
    return pd.DataFrame(rows, columns=["rule", "opened", "joined", "undated"])


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
    fmt: Annotated[Format, format_option("one row per case, with whether it is overdue")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Cases, newest first, with how many match in all; `--queue mine` is the cases of `--as`."""
    fmt = chosen(fmt, as_json)
    from cxgap.cases import InboxQuery, loop_now
    from cxgap.cases.inbox import find_cases
    from cxgap.errors import CxgapError
    from cxgap.store import Store

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
    shown = {"total": total, "now": now, "cases": [_case_json(r, now) for r in records]}
    emit(
        fmt,
        shown,
        lambda: [_case_table(records, f"{len(records):,} of {total:,} cases", now)],
        lambda: _cases_frame(records, now),
    )


def _case_json(record: CaseRecord, now: dt.datetime) -> dict[str, Any]:
    """A case as the API serves it: its fields, and whether it is overdue at the loop's clock."""
    return dict(plain_data(record)) | {"overdue": record.overdue(now)}


def _cases_frame(records: list[CaseRecord], now: dt.datetime) -> pd.DataFrame:
    """Cases as CSV gives them: one row each, every field, and whether it is overdue at `now`."""
    from cxgap.cases import cases_frame

    return cases_frame(records).assign(overdue=[r.overdue(now) for r in records])


def _local_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _case_record(row: dict[str, Any]) -> CaseRecord:
    """A case as a server sent it (times as ISO text)."""
    from cxgap.cases import CaseRecord

    when = {k: dt.datetime.fromisoformat(v) for k, v in row.items() if k.endswith("_at") and v}
    return CaseRecord(**(row | when))


@cases_app.command("show")
@user_errors
def show(
    case_id: str,
    config: ConfigOption = None,
    fmt: Annotated[Format, format_option("the audit log, one row per event")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """One case, what opened it (its triggers) and its audit log, each line as a sentence."""
    fmt = chosen(fmt, as_json)
    import pandas as pd

    from cxgap.cases import case_triggers, describe_event, detail_of, events, get_case, loop_now

    with _store(config) as store:
        record, log = get_case(store, case_id), events(store, case_id)
        triggers, now = case_triggers(store, case_id), loop_now(store, load_settings(config))
    said = [{"sentence": describe_event(e), "detail": detail_of(e)} for e in log]
    shown = _case_json(record, now) | {
        "triggers": plain_data(triggers),
        "events": [dict(plain_data(e)) | s for e, s in zip(log, said, strict=True)],
    }
    emit(fmt, shown, lambda: _case_tables(record, triggers, log, now), lambda: pd.DataFrame(shown["events"]))


def _case_tables(
    record: CaseRecord, triggers: list[CaseTrigger], log: list[CaseEvent], now: dt.datetime
) -> list[Table]:
    """The case, its triggers (when any) and its audit log, each event as a sentence."""
    from cxgap.cases import describe_event

    tables = [_case_table([record], record.case_id, now)]
    if triggers:
        table = Table(title="triggers")
        for column in ("rule", "record", "added", "summary"):
            table.add_column(column, overflow="fold")
        for t in triggers:
            table.add_row(
                t.rule, f"{t.trigger_kind} {t.trigger_id}", f"{t.added_at:%Y-%m-%d %H:%M}", t.summary or ""
            )
        tables.append(table)
    table = Table(title="audit log")
    for column in ("when", "what", "from", "to", "history"):
        table.add_column(column, overflow="fold")
    for e in log:
        table.add_row(
            f"{e.happened_at:%Y-%m-%d %H:%M:%S}",
            e.action,
            e.from_status or "",
            e.to_status or "",
            describe_event(e),
        )
    return [*tables, table]


@cases_app.command("act")
@user_errors
def act(
    case_id: str,
    action: Annotated[str, typer.Argument(help="start, resolve, close or reopen.")],
    root_cause: Annotated[
        str | None, typer.Option(help="Needed to resolve: one of \\[cases] root_causes.")
    ] = None,
    note: Annotated[str | None, typer.Option()] = None,
    as_: AsOption = None,
    config: ConfigOption = None,
) -> None:
    """Move a case along its workflow (every change lands in its audit log)."""
    from cxgap.cases import transition
    from cxgap.store import Store

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
    from cxgap.store import Store

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
    from cxgap.store import Store

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
    fmt: Annotated[Format, format_option("one row per group")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Accountability: share acted on, unresolved, overdue, reopened; hours to act and to resolve."""
    fmt = chosen(fmt, as_json)
    from cxgap.cases import accountability, loop_now
    from cxgap.engine import Engine

    settings = load_settings(config)
    at = moment(as_of, "--as-of")
    with _store(config) as store:
        a = settings.analysis
        now = loop_now(store, settings, as_of=at)
        report = accountability(Engine(store), by, team=team, now=now, min_n=a.min_n, confidence=a.confidence)
    shown = {"by": by, "team": team, "now": now, "min_n": report.min_n, "groups": report.as_dicts()}
    emit(fmt, shown, lambda: [_metrics_table(report, by, team, now)], report.to_frame)


def _metrics_table(report: AccountabilityReport, by: str, team: str | None, now: dt.datetime) -> Table:
    """Per group: cases, shares acted on, unresolved and reopened (Wilson intervals), overdue, hours."""
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
    return table
