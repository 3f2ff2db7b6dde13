"""`cxgap playbooks`: recovery and success cases from health, risk and value, and their measured effect."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cxgap.config import load_settings
from cxgap.errors import CxgapError

from .app import ConfigOption, _store, app, user_errors
from .output import Format, JsonOption, chosen, emit, format_option

if TYPE_CHECKING:
    from cxgap.config import Settings
    from cxgap.playbooks import PlaybookRun


playbooks_app = typer.Typer(
    help="Playbooks: recovery and success cases from health, risk and value.", no_args_is_help=True
)
app.add_typer(playbooks_app, name="playbooks")


@playbooks_app.command("run")
@user_errors
def playbooks_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be opened; change nothing.")
    ] = False,
    playbook: Annotated[list[str] | None, typer.Option(help="Only this playbook (repeatable).")] = None,
    config: ConfigOption = None,
    fmt: Annotated[
        Format, format_option("one row per playbook; json also lists each playbook's planned customers")
    ] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Score every current customer, then open one case per customer each playbook selects (owner and
    deadline from cxgap.toml), holding out a share on purpose; a rerun opens nothing twice."""
    fmt = chosen(fmt, as_json)
    from cxgap.cases.clock import loop_now
    from cxgap.churn import store_risk
    from cxgap.engine import Engine
    from cxgap.playbooks import run_playbooks

    settings = load_settings(config)
    if not settings.playbooks:
        raise CxgapError(
            "cxgap.toml has no playbooks, so there is nothing to run: write one under [playbooks] (the "
            "starter shows the form: who qualifies by health, risk and value, and the team that acts)."
        )
    unknown = [p for p in playbook or [] if p not in settings.playbooks]
    if unknown:
        raise CxgapError(
            f"There is no playbook '{unknown[0]}'; cxgap.toml has {', '.join(settings.playbooks) or 'none'}."
        )
    with _store(config) as store:
        scored = store_risk(Engine(store), settings, trend_months=1).scored
        at = loop_now(store, settings)  # the loop's clock: a demo store runs on its own calendar
        run = run_playbooks(store, scored, settings, at=at, dry_run=dry_run, only=tuple(playbook or ()))
    emit(fmt, run, lambda: [_run_table(run, settings, dry_run)])


def _run_table(run: PlaybookRun, settings: Settings, dry_run: bool) -> Table:
    """Per playbook: its owner, who qualified, was already covered, treated, held out; cases opened."""
    table = Table(title="Playbooks" + (" (dry run: nothing written)" if dry_run else f" (run {run.run_id})"))
    for column in ("playbook", "owner", "qualify", "already covered", "treated", "held out", "cases opened"):
        table.add_column(column)
    for o in run.outcomes:
        spec = settings.playbooks[o.playbook]
        owner = spec.team + (f" / {spec.owner}" if spec.owner else "")
        opened = "-" if dry_run else f"{o.opened:,}"
        table.add_row(
            o.playbook,
            owner,
            f"{o.qualifying:,}",
            f"{o.already_covered:,}",
            f"{o.treated:,}",
            f"{o.held_out:,}",
            opened,
        )
    return table


@playbooks_app.command("effect")
@user_errors
def playbooks_effect(
    name: str,
    metric: Annotated[str, typer.Option(help="churn, nps, csat, ces or promoter.")] = "churn",
    config: ConfigOption = None,
    fmt: Annotated[Format, format_option("both arms and the difference, one row each")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """The playbook's treated customers against its holdout, with the experiments module."""
    fmt = chosen(fmt, as_json)
    from cxgap.engine import Engine
    from cxgap.playbooks import playbook_effect

    from .render import experiment_table

    settings = load_settings(config)
    with _store(config) as store:
        try:
            result = playbook_effect(
                store, Engine(store), name, metric, settings.analysis.min_n, settings.analysis.confidence
            )
        except CxgapError:
            if name in settings.playbooks:
                raise
            known = ", ".join(settings.playbooks) or "none"
            raise CxgapError(
                f"There is no playbook '{name}': cxgap.toml's [playbooks] names {known}, and nobody was ever "
                "assigned under that name."
            ) from None
    emit(fmt, result, lambda: [experiment_table(result)])
