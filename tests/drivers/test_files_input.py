"""`cxgap drivers --file` reads its file as `cxgap import` does: an empty or header-only file, a file with
another delimiter or encoding, a row that cannot be read, a negative revenue and a mapping of another kind
are each one sentence (exit 2) naming the file, row and column, and `delimiter`/`encoding` in the mapping
read what a plain CSV reader cannot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cxgap.drivers.files import exposure_linkage, load_driver_mapping, read_driver_file
from cxgap.errors import ConfigError, CxgapError, InputFileError

MAPPING = (
    '[outcome]\ncolumn = "left"\nvalues = { Yes = 1, No = 0 }\n'
    '[drivers]\nstaff = "staff"\nspeed = "speed"\n[revenue]\ncolumn = "charges"\nfactor = 12\n'
)
HEADER = "id,staff,speed,charges,left"
ROWS = ["1,4,5,20.5,No", "2,2,1,70.25,Yes", "3,5,4,35,No", "4,1,2,99.9,Yes"]


def _files(folder: Path, text: str, top: str = "", encoding: str = "utf-8") -> tuple[Path, Path]:
    """A data file holding `text` and the driver mapping (with `top` at its top) that reads it."""
    (folder / "f.csv").write_bytes(text.encode(encoding))
    (folder / "m.toml").write_text(top + MAPPING, encoding="utf-8")
    return folder / "f.csv", folder / "m.toml"


def _read(folder: Path, text: str, top: str = "", encoding: str = "utf-8") -> np.ndarray:
    path, mapping = _files(folder, text, top, encoding)
    return read_driver_file(path, load_driver_mapping(mapping)).drivers.values


def test_an_empty_file_and_a_header_only_file_are_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"f.csv is empty \(0 bytes\); expected a header row"):
        _read(tmp_path, "")
    with pytest.raises(InputFileError, match=r"f.csv has no data rows under its header"):
        _read(tmp_path, HEADER + "\n")
    with pytest.raises(InputFileError, match=r"f.csv has no data rows under its header"):
        _read(tmp_path, HEADER + "\n\n\n")  # blank lines are no rows


def test_a_file_read_well_keeps_its_values_and_counts_rows_as_lines(tmp_path: Path) -> None:
    values = _read(tmp_path, "\n".join([HEADER, *ROWS]) + "\n")
    assert values.tolist() == [[4, 5, 0], [2, 1, 1], [5, 4, 0], [1, 2, 1]]
    text = "\n".join([HEADER, ROWS[0], "", '2,"x\ny",1,70.25,Yes', "3,5,4,35,No"]) + "\n"
    with pytest.raises(InputFileError, match=r"f.csv row 4, column 'staff': expected a number, got 'x\\ny'"):
        _read(tmp_path, text)  # the physical line the row starts on, past a blank line
    with pytest.raises(InputFileError, match=r"f.csv row 5, column 'staff': expected a number, got 'x'"):
        _read(tmp_path, "\n".join([HEADER, *ROWS[:2], "", "3,x,4,35,No"]) + "\n")


def test_a_semicolon_file_names_each_missing_column_once_and_suggests_the_delimiter(
    tmp_path: Path,
) -> None:
    text = "\n".join(line.replace(",", ";") for line in [HEADER, *ROWS]) + "\n"
    with pytest.raises(InputFileError) as caught:
        _read(tmp_path, text)
    said = str(caught.value)
    assert "f.csv: the header has a single column, so the file does not look ','-separated" in said
    assert 'set delimiter = ";" in the mapping' in said
    assert _read(tmp_path, text, top='delimiter = ";"\n').tolist()[0] == [4, 5, 0]
    mapping = MAPPING.replace('speed = "speed"', 'speed = "speed"\nagain = "wait"\nwait = "wait"')
    (tmp_path / "m.toml").write_text(mapping.replace('"left"', '"gone"'), encoding="utf-8")
    (tmp_path / "f.csv").write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        read_driver_file(tmp_path / "f.csv", load_driver_mapping(tmp_path / "m.toml"))
    assert str(caught.value) == (
        f"{tmp_path / 'f.csv'} has no column 'gone', 'wait' (the mapping names them); "
        "its columns are: id, staff, speed, charges, left."
    )


def test_a_row_that_cannot_be_read_is_named_with_its_row_and_why(tmp_path: Path) -> None:
    extra = "\n".join([HEADER, ROWS[0], "2,2,1,70.25,Yes,surplus", ROWS[2], "5,1,1,1,No,x"]) + "\n"
    with pytest.raises(InputFileError) as caught:
        _read(tmp_path, extra)
    assert str(caught.value) == (
        f"{tmp_path / 'f.csv'} row 3 has 6 fields but the header has 5; 2 rows cannot be read, and "
        "every row is needed: correct or remove them."
    )
    unclosed = "\n".join([HEADER, ROWS[0], '2,"2,1,70.25,Yes', ROWS[2]]) + "\n"
    with pytest.raises(
        InputFileError,
        match=r"f.csv row 3 opens a quoted field .*; 1 row cannot be read, and every row is needed: correct or remove it\.$",
    ):
        _read(tmp_path, unclosed)


def test_a_latin1_file_gets_the_hint_and_reads_with_its_encoding(tmp_path: Path) -> None:
    text = "\n".join([HEADER + ",city", *(row + ",Montréal" for row in ROWS)]) + "\n"
    with pytest.raises(InputFileError, match=r'line 2 is not valid utf-8 text .*encoding = "latin-1"'):
        _read(tmp_path, text, encoding="latin-1")
    assert len(_read(tmp_path, text, top='encoding = "latin-1"\n', encoding="latin-1")) == 4
    with pytest.raises(ConfigError, match=r"encoding = 'klingon' is not an encoding Python knows"):
        _read(tmp_path, text, top='encoding = "klingon"\n')


def test_a_negative_revenue_is_refused_naming_its_row_and_column(tmp_path: Path) -> None:
    text = "\n".join([HEADER, *ROWS[:2], "3,5,4,-35,No", "4,1,2,-1,Yes"]) + "\n"
    with pytest.raises(InputFileError) as caught:
        _read(tmp_path, text)
    assert str(caught.value) == (
        f"{tmp_path / 'f.csv'} row 4, column 'charges': the revenue is -35, below 0 (2 such rows); "
        "expected a customer's revenue, 0 or more."
    )


def test_an_import_mapping_or_a_churn_mapping_says_what_it_is(tmp_path: Path) -> None:
    (tmp_path / "import.toml").write_text(
        'table = "customers"\n[columns]\ncustomer_id = "id"\nchurned = "left"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_driver_mapping(tmp_path / "import.toml")
    said = str(caught.value)
    assert said.startswith(f"{tmp_path / 'import.toml'} is an import mapping (for `cxgap import`")
    assert "[outcome]" in said and "[drivers]" in said and "examples/telco_drivers.toml" in said
    assert "\n" not in said and said.endswith(".")
    churn = Path(__file__).resolve().parents[2] / "examples" / "telco_churn.toml"
    with pytest.raises(ConfigError) as caught:
        load_driver_mapping(churn)
    said = str(caught.value)
    assert "is a churn mapping (it names id" in said and "`cxgap risk --file`" in said
    assert "unknown key" not in said


def test_the_command_answers_each_bad_file_in_one_sentence_with_exit_2(cli, tmp_path: Path) -> None:
    _files(tmp_path, "")
    (tmp_path / "header.csv").write_text(HEADER + "\n", encoding="utf-8")
    (tmp_path / "import.toml").write_text('table = "customers"\n[columns]\ncustomer_id = "id"\n')
    for data, mapping, said in [
        ("f.csv", "m.toml", "is empty (0 bytes)"),
        ("header.csv", "m.toml", "has no data rows under its header"),
        ("header.csv", "import.toml", "is an import mapping"),
    ]:
        result = cli("drivers", "--file", data, "--mapping", mapping)
        assert result.exit_code == 2, result.output
        assert said in " ".join(result.stderr.split()) and "Traceback" not in result.output


def test_an_exposure_nobody_or_everybody_has_is_one_sentence(tmp_path: Path) -> None:
    path, mapping = _files(tmp_path, "\n".join([HEADER, *ROWS]) + "\n")
    (tmp_path / "m.toml").write_text(MAPPING + "[exposure]\nstaff = 3\n", encoding="utf-8")
    spec = load_driver_mapping(mapping)
    with pytest.raises(CxgapError) as caught:
        exposure_linkage(read_driver_file(path, spec), spec)
    assert str(caught.value) == (
        "[exposure] staff = 3: no customer with a known staff and outcome is at that value, so there is no "
        "one to compare them with; remove it from [exposure] for this file."
    )
