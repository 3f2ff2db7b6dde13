"""`cxgap journeys`, `cxgap risk` (and playbooks): where journeys break, and who is at risk and why."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cxgap.config import load_settings

from .main import ConfigOption, _store, app, out, user_errors
from .render import _interval, cell

if TYPE_CHECKING:
    from cxgap.churn import RiskReport
    from cxgap.journeys import JourneyReport
    from cxgap.stats import Difference, Estimate


def _ci(e: Estimate | Difference, fmt: str = ".2f") -> str:
    return _interval(e.value, e.low, e.high, fmt)


def journey_tables(report: JourneyReport) -> list[Table]:
    """The journey report as terminal tables (formatting only)."""
    load = Table(title="Incidents per customer journey")
    for column in ("customers", "n", "mean", "none", "one", "two", "three or more"):
        load.add_column(column)
    for g in report.load:
        shares = [f"{g.shares[b].value:.0%}" for b in ("0", "1", "2", "3+")]
        load.add_row(g.group, f"{g.customers:,}", _ci(g.mean), *shares)
    s = report.synergy
    damage = Table(title=f"Damage to {s.outcome} (points; n = {s.n:,})")
    damage.add_column("incident")
    damage.add_column("damage [95% CI]")
    for name, e in s.single.items():
        damage.add_row(name, _ci(e))
    if s.per_extra_incident is not None:
        damage.add_row("[bold]each incident beyond the first[/]", _ci(s.per_extra_incident))
    else:
        damage.add_row("each incident beyond the first", s.status)
    upstream = Table(
        title="Upstream causes: an earlier failure raises the chance of a later one (BH q <= 0.05)"
    )
    for column in ("upstream -> downstream", "fails after upstream failure", "otherwise", "rise [CI]", "q"):
        upstream.add_column(column)
    for u in report.top_upstream(10):
        upstream.add_row(
            f"{u.upstream} -> {u.downstream}",
            _ci(u.after_failure, ".1%"),
            _ci(u.otherwise, ".1%"),
            _ci(u.difference, "+.1%"),
            f"{u.q_value:.2g}",
        )
    channels = Table(title="Same need, online vs offline: share resolved (significant after BH)")
    for column in ("touchpoint: reason", "online", "offline", "difference [CI]"):
        channels.add_column(column)
    for c in (c for c in report.channels if c.significant):
        channels.add_row(
            f"{c.touchpoint}: {c.reason}",
            _ci(c.online, ".0%"),
            _ci(c.offline, ".0%"),
            _ci(c.difference, "+.1%"),
        )
    repeats = Table(title="Asked the same again (next contact about the same reason within the window)")
    for column in ("touchpoint", "contacts", "asked again", "after unresolved", "after resolved"):
        repeats.add_column(column)
    for r in report.repeats:
        repeats.add_row(
            r.touchpoint,
            f"{r.contacts:,}",
            _ci(r.asked_again, ".1%"),
            _ci(r.after_unresolved, ".1%"),
            _ci(r.after_resolved, ".1%"),
        )
    return [load, damage, upstream, channels, repeats]


@app.command()
@user_errors
def journeys(
    customer: Annotated[str | None, typer.Option(help="Show this customer's journey, step by step.")] = None,
    config: ConfigOption = None,
) -> None:
    """Critical incidents across the journey: how many, how they compound, which upstream failure causes
    a downstream one, online vs offline outcomes, and customers asking the same again."""
    from cxgap.engine import Engine
    from cxgap.journeys import analyze_journeys, customer_journey

    settings = load_settings(config)
    if customer is not None:
        with _store(config) as store:
            journey = customer_journey(Engine(store), settings, customer)
        table = Table(title=f"The journey of {customer} ({journey.incidents} incidents)")
        for column in ("when", "what", "touchpoint", "channel", "incident"):
            table.add_column(column, overflow="fold")
        for e in journey.events:
            flag = f"[red]{', '.join(e.incidents)}[/]" if e.incidents else ""
            table.add_row(f"{e.at:%Y-%m-%d %H:%M}", e.what, e.touchpoint or "", e.channel or "", flag)
        out.print(table)
        return
    with _store(config) as store:
        report = analyze_journeys(Engine(store), settings)
    for table in journey_tables(report) if report.measured else []:
        out.print(table)
    for note in report.notes:
        out.print(f"[yellow]{note}[/]")


def risk_tables(report: RiskReport, top: int) -> list[Table]:
    """The risk report as terminal tables (formatting only)."""
    within = f" within {report.horizon_days} days" if report.horizon_days else ""
    quality = Table(title=f"Churn{within}: models judged on {report.n_test:,} held-out customers")
    for column in ("model", "held-out AUC [95% CI]", "Brier"):
        quality.add_column(column)
    for s in (report.model, report.baseline, report.health):
        quality.add_row(s.name, _ci(s.auc, ".3f"), f"{s.brier:.3f}")
    if report.survival is not None:
        quality.add_row("time to churn (Cox model)", f"concordance {report.survival.concordance:.3f}", "")
    money = Table(title="Revenue at risk (expected churners x yearly revenue)")
    for column in ("segment", "customers", "expected churners", "revenue at risk"):
        money.add_column(column)
    for r in report.revenue:
        money.add_row(r.group, f"{r.customers:,}", _ci(r.churners, ",.0f"), _ci(r.revenue, ",.0f"))
    health = Table(title="Customer health (0-100)")
    for column in ("segment", "customers", "mean health", "below 40"):
        health.add_column(column)
    for h in report.segments:
        health.add_row(h.segment, f"{h.customers:,}", _ci(h.mean, ".1f"), _ci(h.below_40, ".0%"))
    risky = Table(title=f"The {top} customers most at risk")
    for column in ("customer", "segment", "risk", "health", "why"):
        risky.add_column(column, overflow="fold")
    for row in report.riskiest(top).to_dict("records"):
        risky.add_row(
            cell(row["customer_id"]),
            cell(row["segment"]),
            f"{row['risk']:.0%}",
            f"{row['health']:.0f}",
            cell(row["reasons"]),
        )
    return [quality, money, health, risky]


@app.command()
@user_errors
def risk(
    file: Annotated[
        Path | None, typer.Option(help="Score this CSV instead of the store (needs --mapping).")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="Churn mapping for --file: outcome, drivers, health.")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="How many of the riskiest customers to list.")] = 15,
    out_csv: Annotated[
        Path | None, typer.Option("--out", help="Write every scored customer to this CSV.")
    ] = None,
    calibration: Annotated[
        Path | None, typer.Option(help="Write the held-out calibration plot (PNG) here.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the train/held-out split and the models.")] = 0,
    config: ConfigOption = None,
) -> None:
    """Churn risk and customer health: models judged on held-out customers against a logistic baseline,
    each customer's risk with reasons in words, revenue at risk per segment, health per segment."""
    from cxgap.churn import file_risk, load_churn_mapping, read_churn_file, store_risk
    from cxgap.engine import Engine
    from cxgap.errors import CxgapError

    if (file is None) != (mapping is None):
        raise CxgapError(
            "--file and --mapping go together: the mapping says which columns are churn and features."
        )
    if file is not None and mapping is not None:
        spec = load_churn_mapping(mapping)
        report = file_risk(read_churn_file(file, spec), spec.health, seed=seed)
    else:
        settings = load_settings(config)
        with _store(config) as store:
            report = store_risk(Engine(store), settings, seed=seed)
    for table in risk_tables(report, top):
        out.print(table)
    if out_csv is not None:
        report.to_frame().to_csv(out_csv, index=False)
        out.print(f"Wrote {len(report.scored):,} scored customers to {out_csv}.")
    if calibration is not None:
        import vl_convert as vlc

        from cxgap.report.early_charts import calibration_chart

        calibration.write_bytes(vlc.vegalite_to_png(calibration_chart(report), scale=2))
        out.print(f"Wrote the calibration plot to {calibration}.")


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
) -> None:
    """Score every current customer, then open one case per customer each playbook selects (owner and
    deadline from cxgap.toml), holding out a share on purpose; a rerun opens nothing twice."""
    from cxgap.churn import store_risk
    from cxgap.engine import Engine
    from cxgap.errors import CxgapError
    from cxgap.playbooks import run_playbooks

    settings = load_settings(config)
    unknown = [p for p in playbook or [] if p not in settings.playbooks]
    if unknown:
        raise CxgapError(
            f"There is no playbook '{unknown[0]}'; cxgap.toml has {', '.join(settings.playbooks) or 'none'}."
        )
    with _store(config) as store:
        scored = store_risk(Engine(store), settings, trend_months=1).scored
        run = run_playbooks(store, scored, settings, dry_run=dry_run, only=tuple(playbook or ()))
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
    out.print(table)


@playbooks_app.command("effect")
@user_errors
def playbooks_effect(
    name: str,
    metric: Annotated[str, typer.Option(help="churn, nps, csat, ces or promoter.")] = "churn",
    config: ConfigOption = None,
) -> None:
    """The playbook's treated customers against its holdout, with the experiments module."""
    from cxgap.engine import Engine
    from cxgap.playbooks import playbook_effect

    from .render import experiment_table

    settings = load_settings(config)
    with _store(config) as store:
        result = playbook_effect(
            store, Engine(store), name, metric, settings.analysis.min_n, settings.analysis.confidence
        )
    out.print(experiment_table(result))
