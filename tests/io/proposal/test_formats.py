"""Reading a sample of an export and recognising what produced it, as `cxgap import` will read it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxgap.errors import InputFileError
from cxgap.io.proposal.formats import read_sample, recognise

from .exports import export


@pytest.mark.parametrize(
    ("name", "kind", "header_rows"),
    [
        ("qualtrics_relationship.csv", "qualtrics", 3),
        ("surveymonkey_support.csv", "surveymonkey", 2),
        ("surveymonkey_servqual.csv", "surveymonkey", 2),
        ("typeform_effort.csv", "typeform", 1),
        ("zendesk_tickets.csv", "zendesk", 1),
        ("formbricks_app.csv", "formbricks", 1),
        ("crm_customers.csv", "plain", 1),
    ],
)
def test_each_export_is_recognised_with_its_header_rows(name: str, kind: str, header_rows: int) -> None:
    sample = read_sample(export(name))
    assert (sample.export, sample.header_rows) == (kind, header_rows)
    assert sample.rows > 0 and all(len(c.values) == sample.rows for c in sample.columns)


def test_qualtrics_questions_come_from_the_second_row_and_text_entries_from_the_import_ids() -> None:
    sample = read_sample(export("qualtrics_relationship.csv"))
    assert sample.column("Q1").text.startswith("How likely are you to recommend")
    assert sample.column("Q3_1").text.endswith("- Excellent providers keep their promises")
    assert [c.name for c in sample.columns if c.open_ended] == ["Q5"]  # ImportId QID5_TEXT
    assert sample.rows == 12  # the three header rows are not data


def test_surveymonkey_open_ended_answers_are_marked_by_its_second_row() -> None:
    sample = read_sample(export("surveymonkey_support.csv"))
    assert [c.name for c in sample.columns if c.open_ended] == ["What could we do better?"]
    assert sample.rows == 10


def test_delimiter_and_encoding_are_found(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_bytes("Kunde;Zufriedenheit;Bemerkung\nK1;5;Schöne Grüße\nK2;4;Gut\n".encode("cp1252"))
    sample = read_sample(path)
    assert (sample.delimiter, sample.encoding) == (";", "cp1252")
    assert sample.column("Bemerkung").values == ("Schöne Grüße", "Gut")


def test_json_lines_and_parquet_are_sampled_like_csv(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Review": ["Lovely stay", "Noisy room"], "Rating": [5, 2]})
    frame.to_json(tmp_path / "r.jsonl", orient="records", lines=True)
    frame.to_parquet(tmp_path / "r.parquet")
    for name in ("r.jsonl", "r.parquet"):
        sample = read_sample(tmp_path / name, rows=1)
        assert sample.rows == 1 and sample.column("Rating").values == ("5",)


def test_the_sample_is_the_first_rows_only(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("id,score\n" + "".join(f"{i},{i % 5 + 1}\n" for i in range(300)), encoding="utf-8")
    assert read_sample(path, rows=50).rows == 50


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", r"is empty \(0 bytes\)"),
        (b"id,score\n", "has no data rows under its header"),
        (b"PAR1 not really parquet", "is not a readable Parquet file"),
    ],
)
def test_unreadable_files_are_one_sentence(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / ("x.parquet" if content.startswith(b"PAR1") else "x.csv")
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=said) as error:
        read_sample(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_a_missing_file_is_said(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="file not found"):
        read_sample(tmp_path / "nowhere.csv")


def test_a_header_that_is_no_known_export_is_a_plain_table() -> None:
    assert recognise(["customer", "nps", "date"])[0] == "plain"
    assert recognise(["#", "Submit Date (UTC)", "How was it?"])[0] == "typeform"


def test_surveymonkey_matrix_columns_are_named_by_question_and_row_and_say_both() -> None:
    sample = read_sample(export("surveymonkey_servqual.csv"))
    question = "How would you rate your experience of Acme Telecom on each, on a scale from 1 to 7?"
    punctual = sample.column(f"{question} - Punctual engineer visits")
    assert punctual.text == punctual.name  # the question text follows the name
    assert (punctual.group, punctual.label) == (question, "Punctual engineer visits")
    comment = sample.column("Is there anything else you would like to tell us?")
    assert (comment.group, comment.open_ended) == ("", True)
    assert sample.rows == 12


def test_a_surveymonkey_export_of_matrix_questions_only_has_two_header_rows(tmp_path: Path) -> None:
    path = tmp_path / "matrix.csv"
    path.write_text(
        "Respondent ID,Collector ID,End Date,How satisfied are you with:,,\n"
        ",,,Speed,Price,Staff\n1,2,04/10/2024 08:14:45 AM,4,5,3\n",
        encoding="utf-8",
    )
    sample = read_sample(path)
    assert (sample.export, sample.header_rows) == ("surveymonkey", 2)
    assert [c.name for c in sample.columns][3:] == [
        "How satisfied are you with: - Speed",
        "How satisfied are you with: - Price",
        "How satisfied are you with: - Staff",
    ]


def test_a_surveymonkey_matrix_row_without_a_label_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "matrix.csv"
    path.write_text(
        "Respondent ID,Collector ID,How satisfied are you with:,,\n,,Speed,,Staff\n1,2,4,5,3\n",
        encoding="utf-8",
    )
    with pytest.raises(InputFileError, match=r"header column 4 \(under the question 'How satisfied are you"):
        read_sample(path)
