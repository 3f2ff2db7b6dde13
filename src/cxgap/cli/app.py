"""The `cxgap` Typer app, the options and helpers every command module shares, and the commands that have
no module of their own (demo, status, serve).

Each command module registers its commands on `app` when imported. `cxgap.cli.commands` imports only the
module of the command being run; `cxgap.cli.main` imports them all. Heavy libraries (the store, pandas,
the analytics) are imported inside the functions that use them, so that loading this module stays cheap.
Nothing is computed here.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from cxgap.config import CONFIG_FILE, Settings, demo_config_text, demo_settings, load_settings
from cxgap.errors import CxgapError, StoreError, StoreInUse

from .output import Format, JsonOption, chosen, emit, err, format_option, out, styled

if TYPE_CHECKING:
    from cxgap.store import Store

    from .handoff import LocalServer

app = typer.Typer(
    help="cxgap measures the customer experience gap: what customers expect, what they experience, "
    "and what your leaders believe they experience.",
    epilog="Commands that print results take --format table|csv|json (tables for people; CSV and JSON for "
    "tools). Text prints as written, brackets included. Off a terminal (a pipe or a file) lines are never "
    "cut or wrapped; set COLUMNS to choose a width.",
    no_args_is_help=True,
    add_completion=False,
)
F = TypeVar("F", bound=Callable[..., Any])
ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Configuration file (default: ./cxgap.toml).")
]


SinceOption = Annotated[str | None, typer.Option(help="First month of the slice, YYYY-MM.")]
UntilOption = Annotated[str | None, typer.Option(help="Last month of the slice, YYYY-MM (inclusive).")]
SegmentOption = Annotated[str | None, typer.Option(help="Only customers of this segment.")]
ChannelOption = Annotated[str | None, typer.Option(help="Only answers and interactions in this channel.")]
TouchpointOption = Annotated[str | None, typer.Option(help="Only this touchpoint's gaps and answers.")]


def moment(value: str | None, option: str) -> dt.datetime | None:
    """A date or moment the user typed for `option` (naive UTC, as the store keeps times), or one sentence
    saying how to write it."""
    if value is None:
        return None
    try:
        found = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CxgapError(
            f"{option} '{value}' is not a date; write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM."
        ) from None
    return found.astimezone(dt.UTC).replace(tzinfo=None) if found.tzinfo else found


AGAIN = {"import_": "import again", "demo": "run the demo again"}  # what to do once there is space


def _say(error: CxgapError) -> typer.Exit:
    """Print the error's one sentence on stderr; the exit to raise with its exit code."""
    err.print(styled("error:", "bold red"), str(error), soft_wrap=True)
    return typer.Exit(error.exit_code)


def _database_errors() -> tuple[type[BaseException], ...]:
    """`cxgap.store.space.database_errors()`, imported only once an error is on its way out (an `except`
    clause's expression is evaluated only then), so a command that never fails does not load the store."""
    from cxgap.store.space import database_errors

    return database_errors()


def user_errors(func: F) -> F:
    """Show a CxgapError as its one sentence and exit 2, never a traceback; so too a full disk under the
    store (the one database error a user fixes, by freeing space; any other still surfaces as a bug)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except StoreInUse as error:
            raise _say(_held(error, kwargs.get("config"))) from None
        except CxgapError as error:
            raise _say(error) from None
        except _database_errors() as error:
            from cxgap.store.space import disk_full, is_disk_full

            if not is_disk_full(error):
                raise
            url = load_settings(kwargs.get("config")).store.url
            again = AGAIN.get(func.__name__, "run the command again")
            raise _say(disk_full(error, url, again)) from None
        except KeyboardInterrupt:
            err.print("interrupted; nothing from the unfinished batch was kept.")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def _store(config: Path | None) -> Store:
    from cxgap.store import Store

    return Store(load_settings(config).store.url)


def _held(error: StoreInUse, config: Path | None) -> StoreError:
    """What to say when a command cannot open the store another process holds: where a running `cxgap
    serve` shows the same figures, or what to do about a server that left a stale hand-off."""
    from cxgap.store import describe_url

    from .handoff import server_for

    url = load_settings(config).store.url
    try:
        server = server_for(url, error)
    except StoreError as said:
        return said
    return StoreError(
        f"The store {describe_url(url)} is held by `cxgap serve` (pid {server.pid}): see these figures on "
        f"its pages and API at {server.url}, or stop the server to run the command here."
    )


def _store_or_server(config: Path | None) -> Store | LocalServer:
    """The store for a command that writes; while `cxgap serve` holds the DuckDB file, the server to send
    the write to instead (see cxgap.cli.handoff), or one sentence saying what to do."""
    from cxgap.store import Store

    url = load_settings(config).store.url
    try:
        return Store(url)
    except StoreError as error:
        from .handoff import server_for

        return server_for(url, error)


@app.command()
@user_errors
def demo(
    customers: Annotated[int, typer.Option(help="Number of simulated customers.", min=1)] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same company.")] = 42,
    report_file: Annotated[Path, typer.Option("--report", help="Where to write the HTML report.")] = Path(
        "cxgap-report.html"
    ),
    analysis: Annotated[
        bool, typer.Option(help="Print the gap summary and write the report afterwards.")
    ] = True,
    loop: Annotated[
        bool, typer.Option(help="Seed the closed loop: eight weeks of cases worked by the demo's people.")
    ] = True,
    config: ConfigOption = None,
) -> None:
    """Simulate the demo telecom company (with planted gaps) and seed its closed loop, then print the gap
    summary and write the report."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from cxgap.demo import simulate, write_demo
    from cxgap.demo.loop import reset_loop, seed_loop
    from cxgap.store import Store, describe_url

    from .render import counts_table

    settings = _demo_settings(config)
    with Store(settings.store.url) as store:  # closed on every path, a failed write included
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=not sys.stderr.isatty(),
        ) as bar:
            task = bar.add_task(f"simulating {customers:,} customers", total=None)
            data = simulate(customers, seed)
            bar.update(task, description="writing to the store", total=len(data.tables), completed=0)
            write_demo(store, data, progress=lambda name, rows: bar.advance(task))
            reset_loop(store)
            if loop:
                bar.update(task, description="seeding the closed loop")
                seeded = seed_loop(
                    store,
                    settings if settings.cases.rules else demo_settings(store=settings.store),
                    seed=seed,
                )
        out.print(f"Demo company written to {describe_url(store.url)} (seed {seed}).")
        out.print(counts_table(store.counts()))
        if loop:
            out.print(
                f"Closed loop: {seeded.sentence()}. To sign in as one of its people (lea leads support), "
                "give them a password: cxgap users password lea"
            )
    if analysis:
        from .analyze import print_analysis, write_report

        print_analysis(settings, 10)
        write_report(settings, report_file, None)


def _demo_settings(config: Path | None) -> Settings:
    """The demo's settings: where there is no configuration file yet, the demo company's own is written
    there first (its touchpoints, items, themes, rules, incidents and playbooks), so every later command
    in the folder reads it; an existing file is the user's and is used as it is."""
    path = config or Path(os.environ.get("CXGAP_CONFIG") or CONFIG_FILE)
    if not path.exists():
        path.write_text(demo_config_text(), encoding="utf-8")
        out.print(f"Wrote {path} with the demo company's configuration.", highlight=False)
        return load_settings(path)
    settings = load_settings(path)
    if not settings.cases.rules:
        out.print(
            f"{path} has no case rules: the demo's closed loop is seeded with the demo company's "
            "(templates/demo.toml), and later commands use only what the file says.",
            highlight=False,
        )
    return settings


@app.command()
@user_errors
def status(
    config: ConfigOption = None,
    fmt: Annotated[Format, format_option("rows per table")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Show the store: where it is, its schema revision, rows per table and the latest imports."""
    fmt = chosen(fmt, as_json)
    import pandas as pd

    from cxgap.store import Store, describe_url

    from .render import batches_table, counts_table

    target = _store_or_server(config)
    shown: dict[str, Any]
    if isinstance(target, Store):
        with target as store:
            shown = {
                "store": describe_url(store.url),
                "revision": store.revision(),
                "counts": store.counts(),
                "batches": store.latest_batches(),
            }
    else:  # `cxgap serve` holds the store: it reads it
        shown = target.call("/api/admin/status", {})
    emit(
        fmt,
        shown,
        lambda: [
            f"store: {shown['store']}  (schema revision {shown['revision']})",
            counts_table(shown["counts"]),
            batches_table(shown["batches"]),
        ],
        lambda: pd.DataFrame(list(shown["counts"].items()), columns=["table", "rows"]),
    )


def _can_listen(host: str, port: int) -> None:
    """One sentence where the dashboard could not listen at host:port (another server holds the port, or
    the host is no address of this machine), before it starts anything: the web server's own failure came
    after the dashboard's threads had started, and ended the process with an abort."""
    import socket

    try:
        family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the web server binds
            probe.bind(address)
    except OSError as error:  # socket.gaierror included
        why = error.strerror or str(error)
        raise CxgapError(
            f"Cannot listen on {host}:{port} ({why}): another server may hold that port; choose one with "
            "--port, or an address of this machine with --host."
        ) from None


@app.command()
@user_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    config: ConfigOption = None,
) -> None:
    """Start the dashboard and JSON API on the configured store (pages at /, API under /api/, docs at /docs).

    On a DuckDB file it leaves a hand-off file beside the database while it runs, so that `cxgap import`,
    `cxgap users ...` and `cxgap cases ...` send their writes to it instead of failing on the lock."""
    from cxgap.access.sessions import can_sign_in
    from cxgap.api import create_app

    from .handoff import run_server

    settings = load_settings(config)
    _can_listen(host, port)
    app_ = create_app(settings)
    out.print(f"cxgap dashboard on http://{host}:{port}/ (Ctrl+C stops it)")
    if not can_sign_in(app_.state.store):
        out.print(
            "Nobody can sign in to the pages yet: add a person with "
            "`cxgap users add NAME --role analyst --password` (it works while the dashboard runs)."
        )
    try:
        run_server(app_, host, port, app_.state.store, settings.server.max_body_bytes)
    except KeyboardInterrupt:  # Ctrl+C: the hand-off is already withdrawn; not an unfinished batch
        out.print("cxgap dashboard stopped.")
