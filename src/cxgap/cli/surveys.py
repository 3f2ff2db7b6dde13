"""`cxgap surveys ...`: being built (issue 19)."""

from __future__ import annotations

import typer

from .main import app

surveys_app = typer.Typer(
    help="Hosted surveys: definitions, links, invitations, response rates.", no_args_is_help=True
)
app.add_typer(surveys_app, name="surveys")
