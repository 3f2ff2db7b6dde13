"""Mappings that say what the data means: N/A codes and value maps for schema and [items] columns, partial
value maps (unlisted values kept or refused), per-item scales, and one sentence for a mapping mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from cxgap.errors import ConfigError
from cxgap.io import import_file, load_mapping, mapping_from_dict
from cxgap.io.mapping import mapping_toml
from cxgap.store import Store

BASE = {
    "table": "responses",
    "columns": {"response_id": "id", "responded_at": "date"},
    "constants": {"survey_kind": "transactional"},
}


def _rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def test_na_codes_match_trimmed_text_in_any_case_and_numbers_numerically(store: Store, write) -> None:
    path = write(
        "r.csv",
        "id,date,nps,ces\nR1,2024-01-05, n/a ,0\nR2,2024-01-05,99.0,0.0\nR3,2024-01-05,N/A,7\nR4,2024-01-05,8,5\n",
    )
    mapping = mapping_from_dict(
        {
            **BASE,
            "columns": {**BASE["columns"], "nps": "nps", "ces": "ces"},
            "na": {"nps": ["N/A", 99], "ces": ["0"]},
        }
    )
    summary = import_file(store, path, mapping)
    assert (summary.rows_loaded, summary.rows_quarantined) == (4, 0)
    assert _rows(store, "SELECT response_id, nps, ces FROM responses ORDER BY 1") == [
        ("R1", None, None),
        ("R2", None, None),
        ("R3", None, 7.0),
        ("R4", 8, 5.0),
    ]


def test_a_partial_value_map_refuses_or_keeps_unlisted_values(store: Store, write) -> None:
    path = write("r.csv", "id,date,sat\nR1,2024-01-05,Very satisfied\nR2,2024-01-05,3\nR3,2024-01-05,Meh\n")
    sat = {**BASE, "columns": {**BASE["columns"], "csat": "sat"}, "values": {"csat": {"Very satisfied": 5}}}
    refused = import_file(store, path, mapping_from_dict(sat))
    assert (refused.rows_loaded, refused.rows_quarantined) == (1, 2)
    assert "'3' is not one of the mapped values ('Very satisfied')" in refused.problems[0].reason
    kept = import_file(store, path, mapping_from_dict({**sat, "unlisted": {"csat": "keep"}}))
    # kept: "3" passes to the column's own conversion; "Meh" is then refused as not a number
    assert (kept.rows_loaded, kept.rows_existing, kept.rows_quarantined) == (1, 1, 1)
    assert "'Meh' is not a number" in kept.problems[0].reason
    assert _rows(store, "SELECT response_id, csat FROM responses ORDER BY 1") == [("R1", 5.0), ("R2", 3.0)]


def test_item_columns_take_value_maps_na_codes_and_their_own_scales(store: Store, write) -> None:
    path = write(
        "items.csv",
        "id,date,Wifi,Seat,Overall\n"
        "R1,2024-01-05,Excellent,4,5\n"
        "R2,2024-01-05,not used,0,1\n"
        "R3,2024-01-05,Poor,5,Unsure\n",
    )
    mapping = mapping_from_dict(
        {
            **BASE,
            "items": {
                "Wifi": {"item": "wifi"},
                "Seat": {"item": "seat"},
                "Overall": {"item": "overall"},
            },
            "values": {"Wifi": {"Excellent": 5, "Poor": 1, "not used": ""}, "Overall": {"Unsure": ""}},
            "unlisted": {"Overall": "keep"},
            "item_na": [0],
            "item_scale": [1, 5],
            "item_scales": {"Overall": [1, 7]},
        }
    )
    summary = import_file(store, path, mapping)
    assert (summary.rows_loaded, summary.rows_quarantined, summary.items_loaded) == (3, 0, 6)
    rows = _rows(store, "SELECT response_id, item, perception FROM response_items ORDER BY 1, 2")
    assert rows == [
        ("R1", "overall", 5.0),  # 5 on 1-7 stays 5 on the items' 1-7
        ("R1", "seat", 5.5),  # 4 on 1-5 is 5.5 on 1-7
        ("R1", "wifi", 7.0),
        ("R2", "overall", 1.0),
        ("R3", "seat", 7.0),
        ("R3", "wifi", 1.0),
    ]


def test_an_unlisted_item_value_is_refused_by_default(store: Store, write) -> None:
    path = write("items.csv", "id,date,Wifi\nR1,2024-01-05,Excellent\nR2,2024-01-05,Great\n")
    mapping = mapping_from_dict(
        {**BASE, "items": {"Wifi": {"item": "wifi"}}, "values": {"Wifi": {"Excellent": 7}}}
    )
    summary = import_file(store, path, mapping)
    assert (summary.rows_loaded, summary.rows_quarantined) == (1, 1)
    assert (
        summary.problems[0].column == "Wifi"
        and "'Great' is not one of the mapped values" in summary.problems[0].reason
    )


def test_the_batch_records_the_mapping_as_toml_with_its_scales(store: Store, write) -> None:
    path = write("r.csv", "id,date,sat\nR1,2024-01-05,6\n")
    mapping = mapping_from_dict(
        {
            **BASE,
            "columns": {**BASE["columns"], "csat": "sat"},
            "scales": {"csat": [1, 7]},
            "na": {"csat": [0]},
        }
    )
    import_file(store, path, mapping)
    recorded = _rows(store, "SELECT mapping FROM import_batches")[0][0]
    assert recorded == mapping_toml(mapping)
    assert mapping_from_dict(__import__("tomllib").loads(str(recorded))) == mapping
    assert _rows(store, "SELECT csat FROM responses") == [(pytest.approx(13 / 3, abs=1e-12),)]


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ('[unlisted]\nnps = "keep"', "unlisted.nps is set, but there is no value map [values.nps]"),
        (
            "[na]\nresponded_at = ['never']",
            "na.responded_at: responses.responded_at needs a value in every row",
        ),
        ("[na]\nQ9 = [0]", "[na] names 'Q9', which is neither a column of responses"),
        ("[values.Q9]\nyes = 1", "[values] names 'Q9', which is neither a column of responses"),
        ("[item_scales]\nQ9 = [1, 5]", "item_scales names 'Q9', which is not an [items] source column"),
        ("[scales]\nnps = [0, 100]", "scales.nps = [0, 100] does not convert to whole numbers 0-10"),
        ("[scales]\ncsat = [7, 1]", "scales.csat = [7, 1] must go from low to high"),
        ("[scales]\nchannel = [1, 5]", "scales.channel: responses.channel has no scale to convert to"),
        ("[unlisted]\nnps = 'maybe'", "key 'unlisted.nps' has value 'maybe'"),
        ("item_na = [true]", "item_na = [True] is not a list of N/A codes"),
        ("[na]\nnps = 0", "na.nps = 0 is not a list of N/A codes"),
    ],
)
def test_a_mapping_mistake_is_one_sentence_naming_the_file_and_key(
    tmp_path: Path, toml: str, says: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        f'table = "responses"\n{toml}\n[columns]\nresponse_id = "id"\nresponded_at = "date"\nnps = "nps"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as error:
        load_mapping(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ") and says in message
    assert message.endswith(".") and "\n" not in message


def test_an_eleven_point_nps_scale_is_accepted_and_converts_without_rounding() -> None:
    mapping = mapping_from_dict(
        {**BASE, "columns": {**BASE["columns"], "nps": "n"}, "scales": {"nps": [1, 11]}}
    )
    assert mapping.scales["nps"] == (1, 11)
