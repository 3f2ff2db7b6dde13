"""A starter set-up proposed from the user's own files (`cxgap init --from`): which table each file feeds,
the role of every column with its evidence, and the mappings and cxgap.toml that say so, for review.

    proposal = propose([Path("exports/qualtrics.csv"), Path("crm.csv")])
    proposal.to_frame()            # one row per column: file, table, column, role, conversion, evidence
    proposal.write(Path("."))      # <stem>.mapping.toml per file and cxgap.toml
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cxgap.config import CONFIG_FILE
from cxgap.io.proposal.formats import SAMPLE_ROWS, Sample, read_sample
from cxgap.io.proposal.items import dimension_of
from cxgap.io.proposal.roles import FileProposal, Role, propose_file
from cxgap.io.proposal.writer import mapping_text, settings_text, shown, targets, validate_mapping, write

__all__ = ["SAMPLE_ROWS", "FileProposal", "Proposal", "Role", "Sample", "propose"]


@dataclass(frozen=True)
class Proposal:
    """What `cxgap init --from` proposes for a set of files."""

    files: tuple[FileProposal, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per source column: file, table, column, role (table.column, or "not used"), the
        conversion it needs, and the evidence."""
        rows = [
            {
                "file": fp.sample.path.name,
                "table": fp.table,
                "column": role.column,
                "role": _role_name(fp.table, role),
                "conversion": role.conversion(),
                "evidence": role.evidence,
            }
            for fp in self.files
            for role in fp.roles
        ]
        return pd.DataFrame(rows, columns=["file", "table", "column", "role", "conversion", "evidence"])

    @property
    def touchpoints(self) -> list[str]:
        """The touchpoints found in every file, in order of first appearance."""
        return list(dict.fromkeys(t for fp in self.files for t in fp.touchpoints))

    @property
    def items(self) -> dict[str, tuple[str | None, str]]:
        """Each item code found, with the SERVQUAL dimension its words point to (None: none does) and why."""
        found: dict[str, tuple[str | None, str]] = {}
        for fp in self.files:
            for role in fp.roles:
                if role.item and role.item not in found:
                    texts = " ".join(
                        r.column + " " + fp.sample.column(r.column).text
                        for r in fp.roles
                        if r.item == role.item
                    )
                    guess = dimension_of(role.item, texts)
                    found[role.item] = (
                        (guess[0], f"'{guess[1]}' is a SERVQUAL {guess[0]} word: check")
                        if guess
                        else (
                            None,
                            "no SERVQUAL word: name its dimension, or leave it out (its gaps are still listed)",
                        )
                    )
        return found

    def files_to_write(self, folder: Path) -> dict[Path, str]:
        """Every file the proposal writes into `folder`, with its text (each mapping validated)."""
        written: dict[Path, str] = {}
        for fp, target in zip(self.files, targets(self.files, folder), strict=True):
            text = mapping_text(fp, shown(fp.sample.path, folder), target.name)
            validate_mapping(text, str(target))
            written[target] = text
        sources = [shown(fp.sample.path, folder) for fp in self.files]
        written[folder / CONFIG_FILE] = settings_text(self.touchpoints, self.items, sources)
        return written

    def write(self, folder: Path, force: bool = False) -> list[Path]:
        """Write the mappings and cxgap.toml into `folder`; existing files are refused unless `force`."""
        files = self.files_to_write(folder)
        write(files, force)
        return list(files)


def _role_name(table: str, role: Role) -> str:
    if role.target is None:
        return "not used"
    if role.target == "item":
        return f"response_items.{role.measure}"
    return f"{table}.{role.target}"


def propose(paths: Sequence[Path], rows: int = SAMPLE_ROWS) -> Proposal:
    """Read the first `rows` rows of each file and propose its table and every column's role; a file
    that cannot be read, or whose table cannot be told, is one sentence (a CxgapError)."""
    return Proposal(tuple(propose_file(read_sample(Path(p), rows)) for p in paths))
