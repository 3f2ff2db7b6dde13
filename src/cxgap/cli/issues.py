"""`cxgap issues ...`: the outer loop from the terminal: recurring root causes, systemic issues with owners
and actions, and whether each action closed its gap."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cxgap.config import load_settings

from .app import ConfigOption, _store, app, user_errors
from .loop import AsOption, _actor
from .output import Format, JsonOption, chosen, emit, format_option, out, plain_data

if TYPE_CHECKING:
    import pandas as pd

    from cxgap.cases import IssueRecord, Pattern
    from cxgap.gaps import Gap

issues_app = typer.Typer(
    help="Systemic issues: cases grouped by root cause and touchpoint, an owner, an action, its effect.",
    no_args_is_help=True,
)
app.add_typer(issues_app, name="issues")

GapOption = Annotated[
    str | None,
    typer.Option("--gap", help="The gap to close as KIND:SUBJECT, e.g. implementation:on_time_rate."),
]


def _gap(value: str | None) -> tuple[str | None, str | None]:
    from cxgap.errors import CxgapError

    if value is None:
        return None, None
    kind, sep, subject = value.partition(":")
    if not sep or not subject:
        raise CxgapError(f"--gap '{value}' is not KIND:SUBJECT, e.g. implementation:on_time_rate.")
    return kind, subject


def _when(value: str) -> dt.datetime:
    from cxgap.errors import CxgapError

    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise CxgapError(f"--at '{value}' is not a date; write it as YYYY-MM-DD.") from None


def _issues_frame(records: list[IssueRecord]) -> pd.DataFrame:
    """Issues as CSV gives them: one row each, every field."""
    import pandas as pd

    from cxgap.cases import IssueRecord

    return pd.DataFrame(plain_data(records), columns=[f.name for f in fields(IssueRecord)])


def _issue_table(records: list[IssueRecord], title: str) -> Table:
    table = Table(title=title)
    for column in (
        "issue",
        "raised",
        "root cause",
        "touchpoint",
        "cases",
        "owner",
        "team",
        "status",
        "action",
        "gap",
    ):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(
            r.issue_id,
            f"{r.created_at:%Y-%m-%d}",
            r.root_cause,
            r.touchpoint or "",
            f"{r.cases:,}",
            r.owner or "",
            r.team or "",
            r.status,
            (r.action or "") + (f" (from {r.action_at:%Y-%m-%d})" if r.action_at else ""),
            f"{r.gap_kind}:{r.gap_subject}" if r.gap_kind else "",
        )
    return table


@issues_app.command("patterns")
@user_errors
def patterns(
    min_cases: Annotated[int, typer.Option(min=1, help="Smallest group shown.")] = 5,
    config: ConfigOption = None,
    fmt: Annotated[Format, format_option("one row per recurring root cause")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Root causes that recur at a touchpoint (cases not yet in an issue), with the gap each might close."""
    fmt = chosen(fmt, as_json)
    import pandas as pd

    from cxgap.cases import find_patterns, suggest_gap
    from cxgap.engine import Engine
    from cxgap.gaps import analyze

    settings = load_settings(config)
    with _store(config) as store:
        found = find_patterns(store, min_cases=min_cases)
        report = analyze(Engine(store), settings) if found else None
    gaps = [suggest_gap(report, p.touchpoint) if report else None for p in found]
    shown = [plain_data(p) | {"largest_gap": plain_data(g)} for p, g in zip(found, gaps, strict=True)]
    if not found and fmt is Format.table:
        out.print(
            f"No root cause recurs yet: no {min_cases} or more cases outside an issue share a root cause at "
            "one touchpoint (a case gets its root cause when it is resolved: cxgap cases act CASE resolve "
            "--root-cause CAUSE)."
        )
        return
    emit(
        fmt, {"patterns": shown}, lambda: [_patterns_table(found, gaps, min_cases)], pd.json_normalize(shown)
    )


def _patterns_table(found: list[Pattern], gaps: list[Gap | None], min_cases: int) -> Table:
    """Each recurring root cause at its touchpoint with its share (Wilson interval) and the largest gap."""
    table = Table(title=f"{len(found)} recurring root causes ({min_cases}+ cases)")
    for column in (
        "root cause",
        "touchpoint",
        "cases",
        "customers",
        "share of the touchpoint's",
        "largest gap there",
    ):
        table.add_column(column, overflow="fold")
    for p, gap in zip(found, gaps, strict=True):
        table.add_row(
            p.root_cause,
            p.touchpoint or "",
            f"{p.cases:,}",
            f"{p.customers:,}",
            f"{p.share.value:.0%} [{p.share.low:.0%}, {p.share.high:.0%}]",
            f"{gap.kind}:{gap.subject}" if gap else "",
        )
    return table


@issues_app.command("raise")
@user_errors
def raise_(
    root_cause: str,
    touchpoint: Annotated[str | None, typer.Argument(help="Touchpoint of the cases (omit for none).")] = None,
    title: Annotated[str | None, typer.Option()] = None,
    owner: Annotated[str | None, typer.Option()] = None,
    team: Annotated[str | None, typer.Option()] = None,
    action: Annotated[str | None, typer.Option(help="The improvement action, if already known.")] = None,
    gap: GapOption = None,
    as_: AsOption = None,
    config: ConfigOption = None,
) -> None:
    """Raise a systemic issue for a root cause at a touchpoint and link its cases."""
    from cxgap.cases import raise_issue

    settings = load_settings(config)
    kind, subject = _gap(gap)
    with _store(config) as store:
        issue = raise_issue(
            store,
            _actor(as_),
            root_cause=root_cause,
            touchpoint=touchpoint,
            title=title,
            owner=owner,
            team=team,
            action=action,
            gap_kind=kind,
            gap_subject=subject,
            root_causes=tuple(settings.cases.root_causes),
        )
    out.print(f"Raised {issue.issue_id}: {issue.title} ({issue.cases:,} cases linked).")


@issues_app.command("list")
@user_errors
def list_(
    status: Annotated[str | None, typer.Option(help="open, acting or done.")] = None,
    team: Annotated[str | None, typer.Option()] = None,
    config: ConfigOption = None,
    fmt: Annotated[Format, format_option("one row per issue")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Systemic issues, newest first."""
    fmt = chosen(fmt, as_json)
    from cxgap.cases import list_issues

    with _store(config) as store:
        found = list_issues(store, status=status, team=team)
    shown = {"issues": found}
    emit(fmt, shown, [_issue_table(found, f"{len(found)} systemic issues")], _issues_frame(found))


@issues_app.command("show")
@user_errors
def show(
    issue_id: str,
    config: ConfigOption = None,
    fmt: Annotated[Format, format_option("the audit log, one row per event")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """One issue and its audit log."""
    fmt = chosen(fmt, as_json)
    import pandas as pd

    from cxgap.cases import IssueEvent, get_issue, issue_events

    with _store(config) as store:
        record, log = get_issue(store, issue_id), issue_events(store, issue_id)
    table = Table(title="audit log")
    for column in ("when", "who", "what", "detail"):
        table.add_column(column, overflow="fold")
    for e in log:
        table.add_row(f"{e.happened_at:%Y-%m-%d %H:%M:%S}", e.actor, e.action, e.detail or "")
    shown = dict(plain_data(record)) | {"events": log}
    events = pd.DataFrame(plain_data(log), columns=[f.name for f in fields(IssueEvent)])
    emit(fmt, shown, [_issue_table([record], record.title), table], events)


@issues_app.command("plan")
@user_errors
def plan(
    issue_id: str,
    action: str,
    at: Annotated[str, typer.Option("--at", help="When the action takes effect (YYYY-MM-DD).")],
    gap: GapOption = None,
    as_: AsOption = None,
    config: ConfigOption = None,
) -> None:
    """Record the improvement action, its date and the gap it should close; the issue is then acting."""
    from cxgap.cases import plan_action

    kind, subject = _gap(gap)
    with _store(config) as store:
        record = plan_action(
            store,
            issue_id,
            _actor(as_),
            action=action,
            action_at=_when(at),
            gap_kind=kind,
            gap_subject=subject,
        )
    out.print(f"{record.issue_id} is acting from {record.action_at:%Y-%m-%d}.")


@issues_app.command("assign")
@user_errors
def assign(
    issue_id: str,
    owner: Annotated[str | None, typer.Option()] = None,
    team: Annotated[str | None, typer.Option()] = None,
    as_: AsOption = None,
    config: ConfigOption = None,
) -> None:
    """Give an issue to another owner and/or team."""
    from cxgap.cases import assign_issue

    with _store(config) as store:
        record = assign_issue(store, issue_id, _actor(as_), owner=owner, team=team)
    out.print(f"{record.issue_id}: owner {record.owner or '-'}, team {record.team or '-'}.")


@issues_app.command("done")
@user_errors
def done(issue_id: str, as_: AsOption = None, config: ConfigOption = None) -> None:
    """Mark an acting issue done."""
    from cxgap.cases import finish_issue

    with _store(config) as store:
        finish_issue(store, issue_id, _actor(as_))
    out.print(f"{issue_id} is done.")


@issues_app.command("reopen")
@user_errors
def reopen(issue_id: str, as_: AsOption = None, config: ConfigOption = None) -> None:
    """Reopen a done issue (its action did not close the gap)."""
    from cxgap.cases import reopen_issue

    with _store(config) as store:
        reopen_issue(store, issue_id, _actor(as_))
    out.print(f"{issue_id} is acting again.")


@issues_app.command("link")
@user_errors
def link(issue_id: str, as_: AsOption = None, config: ConfigOption = None) -> None:
    """Link cases of the issue's root cause and touchpoint resolved since it was raised."""
    from cxgap.cases import link_cases

    with _store(config) as store:
        linked = link_cases(store, issue_id, _actor(as_))
    out.print(f"{linked:,} cases linked to {issue_id}.")


@issues_app.command("effect")
@user_errors
def effect(
    issue_id: str,
    months: Annotated[int, typer.Option(min=1, max=36, help="Months compared on each side.")] = 6,
    config: ConfigOption = None,
    fmt: Annotated[Format, format_option("one row per period compared")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """The issue's gap before and after its action, with intervals (and beyond the other touchpoints)."""
    fmt = chosen(fmt, as_json)
    from cxgap.cases import get_issue, issue_effect, loop_now
    from cxgap.engine import Engine

    settings = load_settings(config)
    with _store(config) as store:
        now = loop_now(store, settings)
        result = issue_effect(Engine(store), settings, get_issue(store, issue_id), months=months, now=now)
    frame = result.to_frame()
    shown: list[str] = [result.sentence()]
    if result.status == "measured":
        shown.append(frame.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    emit(fmt, result, shown, frame, said=[result.sentence()])
