"""`python -m cxgap` runs the command line (loading only the command being run)."""

from cxgap.cli.commands import run

run()
