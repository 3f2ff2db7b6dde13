"""The `cxgap` console entry: import only the module of the command being run, then run the app.

Importing every command module (`cxgap.cli.main`) costs seconds of start-up, mostly for libraries a given
command never uses. `main()` looks at the command name in argv and imports just the module that registers
it; for anything else (`--help`, no arguments, an unknown or mistyped command) it imports them all, so the
help lists every command and Typer's own errors read as they always did.
"""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

# Each top-level command (or sub-app) -> the module in cxgap.cli that registers it on the app. A command
# added to a module must be named here; tests/cli/test_startup.py checks the table against the full app.
COMMANDS: dict[str, str] = {
    "demo": "app",
    "status": "app",
    "serve": "app",
    "analyze": "analyze",
    "report": "analyze",
    "batches": "batches",
    "drivers": "drivers",
    "experiment": "experiment",
    "export": "export",
    "impact": "impact",
    "import": "imports",
    "init": "init",
    "issues": "issues",
    "journeys": "journeys",
    "cases": "loop",
    "metrics": "metrics",
    "notify": "notify",
    "playbooks": "playbooks",
    "risk": "risk",
    "surveys": "surveys",
    "text": "text",
    "users": "users",
}


def module_for(argv: Sequence[str]) -> str:
    """The module to import for this command line: the one registering the command it names, or
    `cxgap.cli.main` (every command) when it names none that is known."""
    name = argv[1] if len(argv) > 1 else None
    module = COMMANDS.get(name) if name is not None else None
    return f"cxgap.cli.{module}" if module is not None else "cxgap.cli.main"


def load(argv: Sequence[str]) -> None:
    """Register on the app the command that argv names (or every command, see `module_for`)."""
    importlib.import_module(module_for(argv))


def load_all() -> None:
    """Register every command on the app."""
    importlib.import_module("cxgap.cli.main")


def main() -> None:
    """Entry point of the `cxgap` script and of `python -m cxgap`."""
    # numpy asks the kernel to back every large array with huge pages; where the kernel compacts memory to
    # find them (transparent huge pages with defrag 'madvise', the default of many distributions), filling
    # a fresh array costs several times the copy itself: building the feature snapshots of a million
    # customers took 1.6-1.9 s of it against 0.9 s without. Set before numpy is imported; a user's own
    # setting wins.
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    load(sys.argv)
    from .app import app

    app()


def run() -> NoReturn:
    """The console script (and `python -m cxgap`): `main`, then the process ends without the interpreter's
    teardown of the scientific libraries, 0.3-0.6 s after every command's work is done (see `end_now`)."""
    try:
        main()
    except SystemExit as done:
        end_now(done.code)
    end_now(0)


def end_now(code: object) -> NoReturn:
    """Exit with `code` as `sys.exit` would, less the teardown: the exit handlers run (logging, temporary
    files), the output is flushed, and the process ends without freeing module by module. Where anything
    else may still be running (another thread) or the code is not a number, Python's own exit is used."""
    if not (code is None or isinstance(code, int)) or threading.active_count() > 1:
        raise SystemExit(code)
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None where the process was started with the descriptor closed
                stream.flush()
    except (OSError, ValueError):  # a closed pipe or stream: Python reports it as it always does
        raise SystemExit(code) from None
    os._exit(code or 0)
