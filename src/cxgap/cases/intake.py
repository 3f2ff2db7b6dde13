"""Webhook intake: deliveries of survey responses or feedback are loaded and the case rules run over what
they brought, once for all the deliveries that arrived together (one batch, one rules run), each delivery
told its own outcome and the cases its records opened."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from cxgap.cases.rules import open_cases, rules_reading
from cxgap.config import Settings
from cxgap.io.ingest import Delivery, ingest_deliveries
from cxgap.io.summary import ImportSummary
from cxgap.store import Store


@dataclass(frozen=True)
class Intake:
    """One delivery's outcome: what its records did in the store, and how many cases they opened."""

    summary: ImportSummary
    cases_opened: int


def intake(
    store: Store, settings: Settings, table: str, deliveries: Sequence[Delivery], source: str
) -> list[Intake]:
    """Load `deliveries` from one `source` as one batch, run the case rules over it, and split the outcome
    by delivery (in their order)."""
    summaries = ingest_deliveries(store, table, deliveries, source)
    rules = rules_reading(settings, table)
    new = [key for summary in summaries if summary.rows for key in summary.rows.loaded]
    run = None
    if rules and new:
        run = open_cases(store, settings, batch=summaries[0].batch_id, records=new, only=rules)
    opened = Counter(run.triggers if run else ())
    return [
        Intake(summary, sum(opened[key] for key in set(delivery.keys)))
        for summary, delivery in zip(summaries, deliveries, strict=True)
    ]
