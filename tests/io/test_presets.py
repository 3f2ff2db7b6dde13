"""Presets for the exports users really have: Qualtrics (three header rows), a generic survey, Zendesk."""

from __future__ import annotations

import sqlalchemy as sa

from cxgap.io import import_file, mapping_from_dict
from cxgap.store import Store

QUALTRICS = (
    "StartDate,EndDate,Status,ResponseId,RecordedDate,ExternalReference,DistributionChannel,Q1,Q2_1,Q3\n"
    '"Start Date","End Date","Response Type","Response ID","Recorded Date","External Data Reference",'
    '"Distribution Channel","How likely are you to recommend us?","Delivered as promised","Any comments?"\n'
    '"{""ImportId"":""startDate""}","{""ImportId"":""endDate""}","{""ImportId"":""status""}",'
    '"{""ImportId"":""_recordId""}","{""ImportId"":""recordedDate""}","{""ImportId"":""externalDataReference""}",'
    '"{""ImportId"":""distributionChannel""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2_1""}","{""ImportId"":""QID3_TEXT""}"\n'
    '2024-03-01 09:00:00,2024-03-01 09:04:00,0,R_1a,2024-03-01 09:04:10,C1,email,9,6,"Quick, friendly"\n'
    "2024-03-02 10:00:00,2024-03-02 10:03:00,0,R_2b,2024-03-02 10:03:30,C2,anonymous,3,2,Engineer was late\n"
)


def test_qualtrics_export_with_three_header_rows(store: Store, write) -> None:
    mapping = mapping_from_dict(
        {
            "preset": "qualtrics",
            "columns": {"nps": "Q1", "comment": "Q3"},
            "items": {"Q2_1": {"item": "as_promised"}},
            "item_scale": [1, 7],
        }
    )
    summary = import_file(store, write("qualtrics.csv", QUALTRICS), mapping)
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined, summary.items_loaded) == (
        2,
        2,
        0,
        2,
    )
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT response_id, customer_id, channel, nps, comment, survey_kind FROM responses ORDER BY 1"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("R_1a", "C1", "email", 9, "Quick, friendly", "relational"),
        ("R_2b", "C2", "anonymous", 3, "Engineer was late", "relational"),
    ]


def test_qualtrics_data_rows_are_numbered_after_the_header_rows(store: Store, write) -> None:
    bad = QUALTRICS.replace(
        "R_2b,2024-03-02 10:03:30,C2,anonymous,3", "R_2b,2024-03-02 10:03:30,C2,anonymous,12"
    )
    summary = import_file(
        store, write("q.csv", bad), mapping_from_dict({"preset": "qualtrics", "columns": {"nps": "Q1"}})
    )
    assert summary.problems[0].row == 5 and "'12' is outside 0-10" in summary.problems[0].reason


def test_generic_survey_export_recognises_common_headers(store: Store, write) -> None:
    path = write(
        "survey.csv",
        "Response ID,Date,Customer ID,NPS,Touchpoint,Comment\nS1,2024-05-01,C9,10,support,great\n",
    )
    summary = import_file(store, path, mapping_from_dict({"preset": "survey"}))
    assert (summary.rows_loaded, summary.rows_quarantined) == (1, 0)
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT response_id, customer_id, nps, touchpoint, survey_kind FROM responses")
        ).one()
    assert tuple(row) == ("S1", "C9", 10, "support", "transactional")


def test_zendesk_ticket_export_becomes_feedback(store: Store, write) -> None:
    path = write(
        "tickets.csv",
        "Id,Requester,Requester id,Subject,Status,Via,Created at,Satisfaction Score\n"
        "101,Ann,555,Router keeps dropping,solved,Web form,2024-04-01 08:30:00,Bad\n"
        "102,Bo,556,Invoice question,open,Email,2024-04-02 09:00:00,Unoffered\n"
        "103,Cy,557,Thanks!,closed,Chat,2024-04-03 10:00:00,Meh\n",
    )
    summary = import_file(store, path, mapping_from_dict({"preset": "zendesk"}))
    assert (summary.rows_loaded, summary.rows_quarantined) == (2, 1)
    assert "'Meh' is not one of the mapped values" in summary.problems[0].reason
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT feedback_id, source, customer_id, channel, rating, text FROM feedback ORDER BY 1")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("101", "ticket", "555", "Web form", 1.0, "Router keeps dropping"),
        ("102", "ticket", "556", "Email", None, "Invoice question"),
    ]
