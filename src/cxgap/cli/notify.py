"""`cxgap notify ...`: send what is due once, read the delivery log, see and set a person's preferences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from cxgap.config import load_settings
from cxgap.errors import CxgapError

from .app import ConfigOption, _store, app, moment, user_errors
from .output import Format, JsonOption, chosen, emit, format_option, out

if TYPE_CHECKING:
    import pandas as pd

    from cxgap.notify import Delivery

notify_app = typer.Typer(
    help="Notifications: e-mail and signed webhooks for the loop's events, sent once.", no_args_is_help=True
)
app.add_typer(notify_app, name="notify")


@notify_app.command("run")
@user_errors
def run(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Judge at this moment, YYYY-MM-DD[THH:MM] (default: the loop's clock)."),
    ] = None,
    config: ConfigOption = None,
    fmt: Annotated[Format, format_option("the counts, in one row")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Find the events due now, queue each once per recipient and channel, send what is pending (retries
    whose backoff has passed included) and print the counts."""
    fmt = chosen(fmt, as_json)
    from cxgap.notify import run_notifications

    settings = load_settings(config)
    at = moment(as_of, "--as-of")
    with _store(config) as store:
        result = run_notifications(store, settings, now=at)
    emit(fmt, result, [result.sentence()])


@notify_app.command("log")
@user_errors
def log(
    limit: Annotated[int, typer.Option(help="Latest deliveries to show.", min=1, max=10_000)] = 50,
    recipient: Annotated[str | None, typer.Option(help="Only this user's or webhook's.")] = None,
    config: ConfigOption = None,
    fmt: Annotated[Format, format_option("one row per delivery")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """The delivery log, newest first: event, recipient, channel, status, attempts and the last error."""
    fmt = chosen(fmt, as_json)
    from cxgap.notify import Delivery, delivery_log

    with _store(config) as store:
        rows = delivery_log(store, recipient=recipient, limit=limit)
    if not rows and fmt is Format.table:
        out.print("Nothing has been queued yet (`cxgap notify run` sends what is due).")
        return
    emit(fmt, {"deliveries": rows}, lambda: [_log_table(rows)], lambda: _frame(rows, Delivery))


def _frame(rows: Sequence[Any], kind: type) -> pd.DataFrame:
    """Rows of a dataclass as a frame with its columns, also when there are none."""
    import pandas as pd

    return pd.DataFrame([asdict(r) for r in rows], columns=[f.name for f in fields(kind)])


def _log_table(rows: list[Delivery]) -> Table:
    """The delivery log, newest first, with each delivery's last error line."""
    table = Table(title="Deliveries")
    for column in ("queued", "event", "recipient", "channel", "status", "attempts", "sent", "last error"):
        table.add_column(column, overflow="fold")
    for d in rows:
        error = (d.last_error or "").splitlines()[-1:] or [""]
        sent = f"{d.sent_at:%Y-%m-%d %H:%M}" if d.sent_at else ""
        table.add_row(
            f"{d.created_at:%Y-%m-%d %H:%M}",
            d.event,
            d.recipient,
            d.channel,
            d.status,
            str(d.attempts),
            sent,
            error[0],
        )
    return table


@notify_app.command("prefs")
@user_errors
def prefs(
    name: Annotated[str, typer.Argument(help="The user.")],
    event: Annotated[str | None, typer.Option(help="The event to change.")] = None,
    on: Annotated[bool | None, typer.Option("--on/--off", help="Told of it at all.")] = None,
    digest: Annotated[
        bool | None, typer.Option("--digest/--at-once", help="In the daily digest instead of at once.")
    ] = None,
    config: ConfigOption = None,
    fmt: Annotated[Format, format_option("one row per event")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Show a person's notification preferences; with --event, change one (--on/--off, --digest/--at-once)."""
    fmt = chosen(fmt, as_json)
    from cxgap.notify import Preference, preferences, set_preference

    if event is None and (on is not None or digest is not None):
        raise CxgapError("Say which event to change with --event (e.g. --event case_due --digest).")
    with _store(config) as store:
        if event is not None:
            current = {p.event: p for p in preferences(store, name)}
            if event not in current:
                raise CxgapError(f"--event {event!r} is not one of {', '.join(current)}.")
            was = current[event]
            set_preference(
                store,
                name,
                event,
                enabled=was.enabled if on is None else on,
                in_digest=was.in_digest if digest is None else digest,
            )
        shown = preferences(store, name)
    table = Table(title=f"Notifications for {name}")
    for column in ("event", "told", "when"):
        table.add_column(column)
    for p in shown:
        table.add_row(p.event, "yes" if p.enabled else "no", "in the digest" if p.in_digest else "at once")
    emit(fmt, {"user": name, "preferences": shown}, [table], _frame(shown, Preference))
