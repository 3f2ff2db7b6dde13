"""Every `cxgap` command registered on one `app`: importing this module imports every command module.

Code and tests that want the whole command line (`from cxgap.cli.main import app`) import it here. The
console script starts through `cxgap.cli.commands.main` instead, which imports only the module of the
command being run. The app itself, its shared options and helpers, and the demo, status and serve commands
live in `cxgap.cli.app`; they are re-exported here for code that imports them from this module.
"""

from __future__ import annotations

# Every command module (each registers its commands on `app` when imported; `.app` registers demo, status
# and serve first). A new one belongs in cxgap.cli.commands.COMMANDS too (tests/cli/test_startup.py checks).
from . import analyze as _analyze  # noqa: F401  (registers analyze and report)
from . import batches as _batches  # noqa: F401  (registers batches)
from . import drivers as _drivers  # noqa: F401  (registers drivers)
from . import experiment as _experiment  # noqa: F401  (registers experiment)
from . import export as _export  # noqa: F401  (registers export)
from . import impact as _impact  # noqa: F401  (registers impact)
from . import imports as _imports  # noqa: F401  (registers import)
from . import init as _init  # noqa: F401  (registers init)
from . import issues as _issues  # noqa: F401  (registers issues)
from . import journeys as _journeys  # noqa: F401  (registers journeys)
from . import loop as _loop  # noqa: F401  (registers cases)
from . import metrics as _metrics  # noqa: F401  (registers metrics)
from . import notify as _notify  # noqa: F401  (registers notify)
from . import playbooks as _playbooks  # noqa: F401  (registers playbooks)
from . import risk as _risk  # noqa: F401  (registers risk)
from . import surveys as _surveys  # noqa: F401  (registers surveys)
from . import text as _text  # noqa: F401  (registers text)
from . import users as _users  # noqa: F401  (registers users)
from .app import (
    AGAIN,
    ChannelOption,
    ConfigOption,
    SegmentOption,
    SinceOption,
    TouchpointOption,
    UntilOption,
    _store,
    _store_or_server,
    app,
    demo,
    moment,
    serve,
    status,
    user_errors,
)

__all__ = [
    "AGAIN",
    "ChannelOption",
    "ConfigOption",
    "SegmentOption",
    "SinceOption",
    "TouchpointOption",
    "UntilOption",
    "_store",
    "_store_or_server",
    "app",
    "demo",
    "main",
    "moment",
    "serve",
    "status",
    "user_errors",
]


def main() -> None:
    """Run the command line with every command loaded (`cxgap.cli.commands.main` loads only the one run)."""
    app()
