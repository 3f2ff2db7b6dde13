"""`cxgap` commands. Each parses options, calls the library and renders its result; nothing is computed here."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from cxgap.config import CONFIG_FILE, Settings, load_settings, starter_config
from cxgap.errors import CxgapError, InputFileError, StoreError, StoreInUse
from cxgap.io import PRESETS, load_mapping, mapping_from_dict
from cxgap.io import import_file as run_import
from cxgap.io.summary import ImportSummary, Problem
from cxgap.store import Store, describe_url
from cxgap.store.space import database_errors, disk_full, is_disk_full

from .render import act_first_table, batches_table, counts_table, headline_text, import_table, six_gaps_table
from .slices import analysis_json, scores_line

if TYPE_CHECKING:
    from cxgap.engine import Filters

    from .handoff import LocalServer

app = typer.Typer(
    help="cxgap measures the customer experience gap: what customers expect, what they experience, "
    "and what your leaders believe they experience.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)
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
    err.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
    return typer.Exit(error.exit_code)


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
        except database_errors() as error:
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
    return Store(load_settings(config).store.url)


def _held(error: StoreInUse, config: Path | None) -> StoreError:
    """What to say when a command cannot open the store another process holds: where a running `cxgap
    serve` shows the same figures, or what to do about a server that left a stale hand-off."""
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
    url = load_settings(config).store.url
    try:
        return Store(url)
    except StoreError as error:
        from .handoff import server_for

        return server_for(url, error)


@app.command()
@user_errors
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter configuration.")] = Path(
        CONFIG_FILE
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter cxgap.toml (touchpoints, dimensions, items, store)."""
    if path.exists() and not force:
        raise CxgapError(f"{path} already exists; use --force to overwrite it.")
    path.write_text(starter_config(), encoding="utf-8")
    load_settings(path)
    out.print(f"Wrote {path}. Edit the touchpoints and items, then run `cxgap import` or `cxgap demo`.")


@app.command("import")
@user_errors
def import_(
    file: Annotated[Path, typer.Argument(help="CSV, JSON Lines (.jsonl) or Parquet file.")],
    mapping: Annotated[
        Path | None, typer.Option("--mapping", "-m", help="Mapping file (TOML) for this source.")
    ] = None,
    preset: Annotated[
        str | None, typer.Option(help=f"Use a preset mapping as is: {', '.join(PRESETS)}.")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Load nothing if any row would be quarantined.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Import a file into the store through a mapping. Rows that do not fit are quarantined with reasons.

    Exit code 0: every row loaded or already present. 2: nothing loaded (bad file or mapping), or some
    rows quarantined (the others are loaded; see `cxgap status` and the quarantine table).
    """
    if (mapping is None) == (preset is None):
        raise CxgapError("Give exactly one of --mapping FILE or --preset NAME.")
    chosen = load_mapping(mapping) if mapping else mapping_from_dict({"preset": preset}, f"preset {preset}")
    size = file.stat().st_size if file.exists() else 0
    target = _store_or_server(config)
    if not isinstance(target, Store):  # `cxgap serve` holds the store: it imports the file
        summary = _import_through(target, file, mapping, preset, strict)
        out.print(import_table(summary))
        if summary.rows_quarantined:
            raise InputFileError(summary.first_problem or "some rows were quarantined")
        return
    with (
        target as store,  # closed on every path: a failed batch leaves nothing open or cached
        Progress(
            TextColumn("importing {task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not sys.stderr.isatty(),
        ) as bar,
    ):
        task = bar.add_task(file.name, total=size or None)
        summary = run_import(
            store, file, chosen, strict=strict, progress=lambda rows, done: bar.update(task, completed=done)
        )
    out.print(import_table(summary))
    if summary.rows_quarantined:
        raise InputFileError(summary.first_problem or "some rows were quarantined")


def _import_through(
    server: LocalServer, file: Path, mapping: Path | None, preset: str | None, strict: bool
) -> ImportSummary:
    """Import through the running server: upload the file in pieces within its body limit, then import it
    with the mapping's TOML text (or the preset); the summary a local import would have returned."""
    if not file.is_file():
        raise InputFileError(f"{file}: file not found.")
    with err.status(f"sending {file.name} to the cxgap server at {server.url}"):
        upload = server.upload(file)
        answer = server.call(
            "/api/admin/import",
            {
                "upload": upload,
                "source": str(file),
                "mapping": mapping.read_text(encoding="utf-8") if mapping else None,
                "mapping_name": str(mapping) if mapping else "mapping",
                "preset": preset,
                "strict": strict,
            },
        )
    answer["problems"] = tuple(Problem(**p) for p in answer["problems"])
    answer["unused_columns"] = tuple(answer["unused_columns"])
    return ImportSummary(**answer)


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
    from cxgap.demo import simulate, write_demo
    from cxgap.demo.loop import reset_loop, seed_loop

    settings = load_settings(config)
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
                seeded = seed_loop(store, settings, seed=seed)
        out.print(f"Demo company written to {describe_url(store.url)} (seed {seed}).")
        out.print(counts_table(store.counts()))
        if loop:
            out.print(
                f"Closed loop: {seeded.sentence()}. To sign in as one of its people (lea leads support), "
                "give them a password: cxgap users password lea"
            )
    if analysis:
        _print_analysis(settings, 10)
        _write_report(settings, report_file, None)


@app.command()
@user_errors
def status(config: ConfigOption = None) -> None:
    """Show the store: where it is, its schema revision, rows per table and the latest imports."""
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
    out.print(f"store: {shown['store']}  (schema revision {shown['revision']})")
    out.print(counts_table(shown["counts"]))
    out.print(batches_table(shown["batches"]))


@app.command()
@user_errors
def analyze(
    top: Annotated[int, typer.Option(help="How many gaps to list under 'where to act first'.", min=1)] = 10,
    since: SinceOption = None,
    until: UntilOption = None,
    segment: SegmentOption = None,
    channel: ChannelOption = None,
    touchpoint: TouchpointOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the scores, headline and gaps as JSON instead of tables.")
    ] = False,
    weighted: Annotated[
        bool,
        typer.Option(
            "--weighted",
            help="Also show NPS, CSAT and CES weighted to the customer base (raking), beside the "
            "unweighted figures, with effective n and design effect.",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Measure all six gaps and print where to act first (significance corrected across every test), for
    the whole store or a slice: the same figures as the dashboard and the report for the same filters."""
    from cxgap.engine import Filters

    slice_ = Filters(since, until, segment, channel, touchpoint)
    _print_analysis(load_settings(config), top, slice_, as_json, weighted)


@app.command()
@user_errors
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path(
        "cxgap-report.html"
    ),
    png_dir: Annotated[
        Path | None, typer.Option("--png-dir", help="Also write each chart as PNG into this folder.")
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    segment: SegmentOption = None,
    channel: ChannelOption = None,
    touchpoint: TouchpointOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the gap report: one self-contained HTML file that opens offline, charts with findings; for
    the whole store or a slice (the same figures as the dashboard for the same filters)."""
    from cxgap.engine import Filters

    slice_ = Filters(since, until, segment, channel, touchpoint)
    _write_report(load_settings(config), output, png_dir, slice_)


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


def _write_report(
    settings: Settings, output: Path, png_dir: Path | None, slice_: Filters | None = None
) -> None:
    from cxgap.engine import ALL, Engine
    from cxgap.engine.filters import checked
    from cxgap.report import build_report, write_html

    with Store(settings.store.url) as store:
        engine = Engine(store)
        chosen = checked(slice_ or ALL, engine, settings.touchpoints)
        with err.status("analysing and drawing charts"):
            written = write_html(build_report(engine, settings, chosen), output, png_dir)
        engine.close()
    out.print(f"Report written to {written}" + (f" (charts as PNG in {png_dir})" if png_dir else "") + ".")


def _print_analysis(
    settings: Settings, top: int, slice_: Filters | None = None, as_json: bool = False, weighted: bool = False
) -> None:
    from cxgap.engine import ALL, Engine
    from cxgap.engine.filters import checked
    from cxgap.gaps import analyze as run_analysis
    from cxgap.gaps.scores import headline_scores
    from cxgap.surveys.weighted import weighted_scores

    from .weighted import weighted_json, weighted_notes, weighted_table

    with Store(settings.store.url) as store:
        engine = Engine(store)
        chosen = checked(slice_ or ALL, engine, settings.touchpoints)
        result = run_analysis(engine, settings, filters=chosen)
        scores = headline_scores(engine, settings, chosen) if as_json or chosen.active else None
        raked = weighted_scores(engine, settings, chosen) if weighted else None
        engine.close()
    if as_json:
        shown = analysis_json(result, scores or {}, chosen, top)
        out.print_json(data=shown | ({"weighted": weighted_json(raked)} if raked else {}))
        return
    if chosen.active:
        out.print(f"Slice: {chosen.describe()}.", highlight=False)
    if scores and not raked:
        out.print(scores_line(scores), highlight=False)
    if raked:
        out.print(weighted_table(raked))
        for note in weighted_notes(raked):
            out.print(note, highlight=False)
    out.print(headline_text(result))
    out.print(act_first_table(result, top))
    out.print(six_gaps_table(result))


from . import drivers as _drivers  # noqa: E402,F401  (registers drivers)
from . import experiment as _experiment  # noqa: E402,F401  (registers experiment)
from . import impact as _impact  # noqa: E402,F401  (registers impact)
from . import issues as _issues  # noqa: E402,F401  (registers issues)
from . import journeys as _journeys  # noqa: E402,F401  (registers journeys)
from . import loop as _loop  # noqa: E402,F401  (registers cases and users)
from . import notify as _notify  # noqa: E402,F401  (registers notify)
from . import playbooks as _playbooks  # noqa: E402,F401  (registers playbooks)
from . import risk as _risk  # noqa: E402,F401  (registers risk)
from . import surveys as _surveys  # noqa: E402,F401  (registers surveys)
from . import text as _text  # noqa: E402,F401  (registers text)


def main() -> None:
    """Entry point for `python -m cxgap`."""
    app()
