"""The `cxgap` command line: thin commands over the library."""
