"""`python -m cxgap` runs the command line."""

from cxgap.cli.main import main

main()
