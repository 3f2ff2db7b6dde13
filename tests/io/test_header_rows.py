"""Column names from two or more header rows: SurveyMonkey's matrix and multiple-answer questions name only
their group's first column in row 1; every column of such a group is named "<question> - <row label>",
a column on its own keeps its row-1 name, and what cannot be named is refused in one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxgap.errors import InputFileError
from cxgap.io.readers import SourceOptions, read_csv

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"


def _read(path: Path, text: str, header_rows: int = 2) -> tuple[list[str], dict[str, list[str | None]]]:
    """The header and the first chunk's values of `text` written to `path`."""
    path.write_text(text, encoding="utf-8")
    header, chunks = read_csv(path, SourceOptions(format="csv", header_rows=header_rows))
    return header, next(chunks).values


def _refusal(path: Path, text: str) -> str:
    """The one sentence that refuses `text`'s header."""
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        read_csv(path, SourceOptions(format="csv", header_rows=2))
    message = str(error.value)
    assert str(path) in message and "\n" not in message
    return message


def test_every_column_of_a_group_is_named_by_its_question_and_row_label(tmp_path: Path) -> None:
    header, _ = _read(
        tmp_path / "m.csv",
        "Respondent ID,Rate us on each:,,,Anything else?\n,Speed,Price,Staff,Open-Ended Response\n1,4,5,3,Ok\n",
    )
    assert header == [
        "Respondent ID",
        "Rate us on each: - Speed",  # the group's first column too
        "Rate us on each: - Price",
        "Rate us on each: - Staff",
        "Anything else?",  # a column on its own keeps its row-1 name
    ]


def test_the_data_rows_are_read_under_the_group_names(tmp_path: Path) -> None:
    _, values = _read(tmp_path / "m.csv", "id,Which did you use?,\n,Phone,Chat\n1,Phone,\n2,,Chat\n")
    assert values["Which did you use? - Phone"] == ["Phone", ""]
    assert values["Which did you use? - Chat"] == ["", "Chat"]


def test_a_blank_name_with_no_question_to_its_left_is_refused_with_its_column(tmp_path: Path) -> None:
    message = _refusal(tmp_path / "m.csv", ",id,score\nSpeed,,\n4,1,5\n")
    assert "header column 1 has no name in the first header row and no question to its left" in message


def test_a_blank_label_inside_a_group_is_refused_with_its_column(tmp_path: Path) -> None:
    message = _refusal(tmp_path / "m.csv", "id,Rate us on each:,,\n,Speed,,Staff\n1,4,5,3\n")
    assert "header column 3 (under the question 'Rate us on each:') has no label" in message


def test_names_repeated_after_grouping_are_refused_as_before(tmp_path: Path) -> None:
    text = "id,Rate us:,,Rate us: - Speed\n,Speed,Price,Response\n1,4,5,3\n"
    assert "names column 'Rate us: - Speed' more than once" in _refusal(tmp_path / "m.csv", text)


def test_one_header_row_is_read_as_before(tmp_path: Path) -> None:
    header, values = _read(tmp_path / "one.csv", "id,score,\n1,5,\n", header_rows=1)
    assert header == ["id", "score", ""]  # a trailing comma: one blank name, not grouped
    assert values["score"] == ["5"]
    with pytest.raises(InputFileError, match="names column '' more than once"):
        _read(tmp_path / "two.csv", "id,score,,\n1,5,,\n", header_rows=1)


def test_qualtrics_three_header_rows_keep_the_first_rows_names() -> None:
    path = EXPORTS / "qualtrics_relationship.csv"
    first_line = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    header, chunks = read_csv(path, SourceOptions(format="csv", header_rows=3))
    assert header == first_line
    assert len(next(chunks).rows) == 12  # the question texts and import ids are not data
