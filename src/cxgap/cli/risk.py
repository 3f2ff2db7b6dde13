"""`cxgap risk`: who is at risk of churning and why, with the models judged on held-out customers."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from cxgap.config import load_settings

from .app import ConfigOption, _store, app, user_errors
from .output import Format, JsonOption, chosen, emit, err, format_option, out, write_csv
from .render import cell

if TYPE_CHECKING:
    from cxgap.churn import RiskReport


def scope(report: RiskReport) -> list[str]:
    """Who was scored, in one sentence, where a file's customers who already churned were learnt from but
    not ranked (none for the store, which scores its active customers)."""
    if not report.already_churned:
        return []
    return [
        f"{len(report.scored):,} current customers scored; {report.already_churned:,} already churned are "
        "learnt from, not ranked."
    ]


def risk_tables(report: RiskReport, top: int, currency: str) -> list[Table | Text]:
    """The risk report as terminal tables (formatting only; money in `currency`)."""
    from .journeys import _ci  # here, so `cxgap risk` does not also load (and register) journeys

    within = f" within {report.horizon_days} days" if report.horizon_days else ""
    quality = Table(title=f"Churn{within}: models judged on {report.n_test:,} held-out customers")
    for column in ("model", "held-out AUC [95% CI]", "Brier"):
        quality.add_column(column)
    for s in (report.model, report.baseline, report.health):
        quality.add_row(s.name, _ci(s.auc, ".3f"), f"{s.brier:.3f}")
    if report.survival is not None:
        quality.add_row("time to churn (Cox model)", f"concordance {report.survival.concordance:.3f}", "")
    money = Table(title="Revenue at risk (expected churners x yearly revenue)")
    for column in ("segment", "customers", "expected churners", f"revenue at risk ({currency})"):
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
    return [quality, *(Text(line) for line in scope(report)), money, health, risky]


def risk_json(report: RiskReport, top: int) -> dict[str, Any]:
    """The report as the API serves it (/api/risk): everything but the scored frame, and the riskiest."""
    summary = {f.name: getattr(report, f.name) for f in fields(report) if f.repr and f.name != "scored"}
    return {"measured": True, **summary, "riskiest": report.riskiest(top)}


@app.command()
@user_errors
def risk(
    file: Annotated[
        Path | None,
        typer.Option(
            help="Learn from this CSV and score its current customers instead of the store (needs --mapping)."
        ),
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
    fmt: Annotated[
        Format, format_option("the --top riskiest customers with their reasons; --out writes them all")
    ] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Churn risk and customer health: models judged on held-out customers against a logistic baseline,
    each customer's risk with reasons in words, revenue at risk per segment, health per segment (with --json
    also its trend over the last six month ends)."""
    fmt = chosen(fmt, as_json)
    from cxgap.churn import file_risk, load_churn_mapping, read_churn_file, store_risk
    from cxgap.engine import engine_for
    from cxgap.errors import CxgapError

    if (file is None) != (mapping is None):
        raise CxgapError(
            "--file and --mapping go together: the mapping says which columns are churn and features."
        )
    settings = load_settings(config)
    if file is not None and mapping is not None:
        spec = load_churn_mapping(mapping)
        report = file_risk(read_churn_file(file, spec), spec.health, seed=seed)
    else:
        with _store(config) as store:
            months = 6 if fmt is Format.json else 1  # the tables do not show the health trend: not computed
            report = store_risk(engine_for(store, settings), settings, seed=seed, trend_months=months)
    emit(
        fmt,
        risk_json(report, top),
        lambda: risk_tables(report, top, settings.company.currency),
        lambda: report.riskiest(top),
        said=scope(report),
    )
    said = out if fmt is Format.table else err  # what was written: never inside the CSV or JSON
    if out_csv is not None:
        write_csv(report.to_frame(), out_csv)
        said.print(f"Wrote {len(report.scored):,} scored customers to {out_csv}.")
    if calibration is not None:
        import vl_convert as vlc

        from cxgap.report.journey_risk_charts import calibration_chart

        calibration.write_bytes(vlc.vegalite_to_png(calibration_chart(report), scale=2))
        said.print(f"Wrote the calibration plot to {calibration}.")
