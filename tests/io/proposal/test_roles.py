"""The role proposed for every column, with its evidence: ids, dates, NPS/CSAT/CES and their scales, items
and their pairs, N/A codes, free text, segments; and nothing dropped without a word."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxgap.errors import InputFileError
from cxgap.io.proposal import FileProposal, propose
from cxgap.io.proposal.formats import read_sample
from cxgap.io.proposal.roles import propose_file

from .exports import EXPORTS, export


def _file(path: Path) -> FileProposal:
    return propose_file(read_sample(path))


def _targets(fp: FileProposal) -> dict[str, str | None]:
    return {r.column: r.target for r in fp.roles}


def test_items_survey_gets_paired_items_measures_and_an_na_code() -> None:
    fp = _file(export("items_airline.csv"))
    items = {r.column: (r.item, r.measure) for r in fp.roles if r.target == "item"}
    assert items == {
        "Punctuality (expectation)": ("punctuality", "expectation"),
        "Punctuality (perception)": ("punctuality", "perception"),
        "Staff courtesy (expectation)": ("staff_courtesy", "expectation"),
        "Staff courtesy (perception)": ("staff_courtesy", "perception"),
        "Inflight wifi service": ("inflight_wifi_service", "perception"),
        "Seat comfort": ("seat_comfort", "perception"),
    }
    wifi = next(r for r in fp.roles if r.column == "Inflight wifi service")
    assert wifi.na == (0.0,) and wifi.scale == (1, 5)
    assert "0 (8 answers) means not applicable" in wifi.evidence and "never use 0" in wifi.evidence
    assert all(r.na == () for r in fp.roles if r.target == "item" and r is not wifi)


def test_nps_on_1_to_11_and_csat_on_1_to_7_keep_their_source_scales() -> None:
    fp = _file(export("items_airline.csv"))
    nps, csat = fp.role("nps"), fp.role("csat")
    assert nps is not None and nps.column == "Likelihood to recommend (1-11)" and nps.scale == (1, 11)
    assert "NPS coded 1-11" in nps.evidence
    assert csat is not None and csat.scale == (1, 7) and "the question says" in csat.evidence
    assert fp.constants["survey_kind"][0] == "relational"


def test_qualtrics_matrices_pair_row_by_row_and_metadata_is_left_out_with_reasons() -> None:
    fp = _file(export("qualtrics_relationship.csv"))
    roles = {r.column: r for r in fp.roles}
    assert (roles["Q3_1"].item, roles["Q3_1"].measure) == ("keep_promises", "expectation")
    assert (roles["Q4_1"].item, roles["Q4_1"].measure) == ("keep_promises", "perception")
    assert "the same row of the matrix" in roles["Q3_1"].evidence
    assert {
        c: roles[c].target for c in ("ResponseId", "RecordedDate", "ExternalReference", "Q1", "Q2", "Q5")
    } == {
        "ResponseId": "response_id",
        "RecordedDate": "responded_at",
        "ExternalReference": "customer_id",
        "Q1": "nps",
        "Q2": "csat",
        "Q5": "comment",
    }
    assert roles["RecordedDate"].date_format == "%Y-%m-%d %H:%M:%S"
    assert "NPS group of Q1" in roles["Q1_NPS_GROUP"].evidence and roles["Q1_NPS_GROUP"].target is None
    assert "personal data" in roles["RecipientEmail"].evidence and roles["IPAddress"].target is None


def test_surveymonkey_labels_become_a_value_map_and_its_dates_month_first() -> None:
    fp = _file(export("surveymonkey_support.csv"))
    csat = fp.role("csat")
    assert csat is not None and csat.values is not None
    assert csat.values["Very satisfied"] == 5 and csat.values["Very dissatisfied"] == 1
    assert csat.values["Neither satisfied nor dissatisfied"] == 3  # seen in the sample
    assert fp.role("responded_at").date_format == "%m/%d/%Y %I:%M:%S %p"  # type: ignore[union-attr]
    assert fp.role("touchpoint").column == "Which stage of your journey with us was this about?"  # type: ignore[union-attr]
    assert fp.touchpoints == ["Installation", "Billing", "Support"]
    assert fp.role("comment").column == "What could we do better?"  # type: ignore[union-attr]


EXPECT = "Thinking of an excellent telecom provider, how much would you expect of it on each, on a scale from 1 to 7?"
EXPERIENCE = "How would you rate your experience of Acme Telecom on each, on a scale from 1 to 7?"
CONTACT = "Which of these have you used to contact us in the last month?"


def test_surveymonkey_matrices_asked_twice_pair_row_by_row_as_expectation_and_perception() -> None:
    fp = _file(export("surveymonkey_servqual.csv"))
    items = {r.column: (r.item, r.measure) for r in fp.roles if r.target == "item"}
    rows = {
        "Punctual engineer visits": "punctual_engineer_visits",
        "Prompt answers to questions": "prompt_answers_questions",
        "Courteous staff": "courteous_staff",
        "Convenient opening hours": "convenient_opening_hours",  # 'hours' in a rated matrix: not a count
    }
    assert items == {
        **{f"{EXPECT} - {row}": (item, "expectation") for row, item in rows.items()},
        **{f"{EXPERIENCE} - {row}": (item, "perception") for row, item in rows.items()},
    }
    paired = next(r for r in fp.roles if r.column == f"{EXPECT} - Courteous staff")
    assert f"rates the same item as '{EXPERIENCE} - Courteous staff'" in paired.evidence
    assert all(r.scale == (1, 7) for r in fp.roles if r.target == "item")
    assert fp.role("nps").column.startswith("How likely is it")  # type: ignore[union-attr]
    assert fp.role("comment").column == "Is there anything else you would like to tell us?"  # type: ignore[union-attr]


def test_surveymonkey_multiple_answer_options_are_not_used_with_the_reason() -> None:
    roles = {r.column: r for r in _file(export("surveymonkey_servqual.csv")).roles}
    phone = roles[f"{CONTACT} - Phone"]
    assert phone.target is None and "an option of the multiple-answer question" in phone.evidence
    assert "ticked in 5 of 12 rows read" in phone.evidence
    other = roles[f"{CONTACT} - Other (please specify)"]
    assert other.target is None and "typed in as the other answer" in other.evidence


def test_surveymonkey_matrix_rows_find_their_servqual_dimensions() -> None:
    items = propose([export("surveymonkey_servqual.csv")]).items
    assert {item: dim for item, (dim, _) in items.items()} == {
        "punctual_engineer_visits": "reliability",
        "prompt_answers_questions": "responsiveness",
        "courteous_staff": "assurance",
        "convenient_opening_hours": "empathy",
    }


def test_typeform_ces_is_found_and_its_direction_is_flagged() -> None:
    fp = _file(export("typeform_effort.csv"))
    ces = fp.role("ces")
    assert ces is not None and ces.column == "How easy was it to get your problem solved today?"
    assert ces.scale is None and "check the direction" in ces.evidence  # 1-7 is cxgap's own scale
    assert {fp.role(t).column for t in ("customer_id", "touchpoint")} == {"customer_id", "touchpoint"}  # type: ignore[union-attr]
    assert fp.constants["survey_kind"][0] == "transactional"


def test_zendesk_tickets_feed_feedback_with_good_bad_as_stars_and_no_answer_empty() -> None:
    fp = _file(export("zendesk_tickets.csv"))
    assert fp.table == "feedback" and fp.constants["source"][0] == "ticket"
    rating = fp.role("rating")
    assert rating is not None and rating.values is not None
    good, bad, unoffered = (rating.values[k] for k in ("Good", "Bad with comment", "Unoffered"))
    assert (good, bad, unoffered) == (5, 1, "")
    assert fp.role("text").column == "Subject"  # type: ignore[union-attr]  # the CSV export has no description
    assert _targets(fp)["Requester"] is None and _targets(fp)["Updated at"] is None


def test_formbricks_numbered_questions_and_metadata() -> None:
    fp = _file(export("formbricks_app.csv"))
    targets = _targets(fp)
    assert targets["1. How likely are you to recommend Acme Telecom to a friend or colleague?"] == "nps"
    assert targets["2. How satisfied are you with our app?"] == "csat"
    assert targets["3. What is the main reason for your score?"] == "comment"
    assert targets["userAgent - os"] is None and targets["touchpoint"] == "touchpoint"


def test_a_crm_table_feeds_customers_with_monthly_revenue_made_yearly() -> None:
    fp = _file(export("crm_customers.csv"))
    assert fp.table == "customers"
    assert {r.target: r.column for r in fp.roles if r.target} == {
        "customer_id": "Customer ID",
        "name": "Name",
        "segment": "Segment",
        "region": "Region",
        "started_at": "Customer since",
        "ended_at": "Cancelled on",
        "revenue": "Monthly revenue",
    }
    assert fp.role("revenue").factor == 12  # type: ignore[union-attr]


def test_zero_is_a_rating_unless_wording_or_siblings_say_otherwise(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    rows = "".join(f"R{i},2024-01-{i + 1:02d},{i % 6},{(i + 2) % 6},{(i * 3) % 11}\n" for i in range(30))
    path.write_text("id,date,Speed,Value (0 = N/A),How likely to recommend\n" + rows, encoding="utf-8")
    roles = {r.column: r for r in _file(path).roles}
    assert roles["Speed"].na == () and roles["Speed"].scale == (0, 5)  # nothing says 0 is not an answer
    assert roles["Value (0 = N/A)"].na == (0.0,) and roles["Value (0 = N/A)"].scale == (1, 5)
    assert "as the question says" in roles["Value (0 = N/A)"].evidence
    assert roles["How likely to recommend"].na == () and roles["How likely to recommend"].scale is None


def test_na_words_and_codes_are_proposed(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    values = ["4", "5", "N/A", "3", "99", "2", "1", "5"] * 4
    rows = "".join(f"R{i},2024-01-{i % 28 + 1:02d},{v}\n" for i, v in enumerate(values))
    path.write_text("id,date,Overall satisfaction\n" + rows, encoding="utf-8")
    csat = _file(path).role("csat")
    assert csat is not None and csat.na == ("N/A", 99.0)


def test_day_first_dates_are_told_from_a_day_above_12(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id,when,nps\nA,31/01/2024,9\nB,02/02/2024,5\nC,15/03/2024,10\n", encoding="utf-8")
    when = _file(path).role("responded_at")
    assert when is not None and when.date_format == "%d/%m/%Y"


def test_a_date_column_with_a_few_values_in_another_form_is_proposed_with_them_named(tmp_path: Path) -> None:
    """A hand-edited export: 196 ISO dates and 4 day-first ones. The column is still the reviews' date (it
    was dropped as "200 different values"), and the note names the values the import will quarantine."""
    lines = ["Review,Rating,Date"] + [
        f'"Room {i} was clean and quiet, staff kind",{1 + i % 5},'
        + (f"2024-01-{1 + i % 28:02d}" if i % 50 else f"{1 + i % 28:02d}/01/2024")
        for i in range(200)
    ]
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    when = _file(path).role("received_at")
    assert when is not None and when.column == "Date" and when.date_format == "%Y-%m-%d"
    assert "196 of 200 values parse as %Y-%m-%d; the other 4 (01/01/2024" in when.evidence
    assert "the import will quarantine their rows" in when.evidence


def test_every_column_gets_a_role_or_a_reason() -> None:
    proposal = propose(sorted(EXPORTS.glob("*.csv")))
    frame = proposal.to_frame()
    for fp in proposal.files:
        assert [r.column for r in fp.roles] == [c.name for c in fp.sample.columns]
    assert frame["evidence"].str.len().min() > 10
    assert set(frame["role"]) >= {"responses.nps", "response_items.expectation", "feedback.text", "not used"}


def test_a_file_whose_table_cannot_be_told_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("a,b\n1,x\n1,y\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="cannot tell which table it feeds"):
        propose([path])


def test_nps_labelled_at_its_ends_maps_every_point_of_the_scale(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    answers = ["10 - Extremely likely", "8", "3", "0 - Not at all likely", "9", "N/A"]
    rows = "".join(f"R{i},2024-03-0{i + 1},{a}\n" for i, a in enumerate(answers))
    path.write_text("id,date,How likely are you to recommend us?\n" + rows, encoding="utf-8")
    nps = _file(path).role("nps")
    assert nps is not None and nps.values is not None and nps.scale is None
    assert nps.values["10 - Extremely likely"] == 10 and nps.values["0 - Not at all likely"] == 0
    assert [nps.values[str(v)] for v in range(1, 10)] == list(range(1, 10))  # 4 was not in the sample
    assert nps.values["N/A"] == ""
