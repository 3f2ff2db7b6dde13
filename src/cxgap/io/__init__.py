"""Import: CSV, JSON Lines and Parquet through mapping files and presets; nothing is lost or coerced silently."""

from __future__ import annotations

from cxgap.io.importer import import_file
from cxgap.io.ingest import INGESTIBLE, ingest_records
from cxgap.io.mapping import PRESETS, Mapping, load_mapping, mapping_from_dict
from cxgap.io.summary import ImportSummary, Problem

__all__ = [
    "INGESTIBLE",
    "PRESETS",
    "ImportSummary",
    "Mapping",
    "Problem",
    "import_file",
    "ingest_records",
    "load_mapping",
    "mapping_from_dict",
]
