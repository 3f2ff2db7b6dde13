"""The written proposal: commented mappings that validate (every line with its evidence, every unused column
listed), a cxgap.toml naming only what was found, and existing files left alone unless forced."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cxgap.config import load_settings, settings_from_dict
from cxgap.errors import CxgapError
from cxgap.io import import_file, load_mapping
from cxgap.io.proposal import propose
from cxgap.io.proposal.writer import key, value
from cxgap.store import Store

from .exports import export


def test_keys_and_values_are_written_as_toml() -> None:
    assert key("nps") == "nps" and key("Q1_NPS_GROUP") == "Q1_NPS_GROUP"
    assert key('Say "hi" [now]') == '"Say \\"hi\\" [now]"'
    assert (value(5.0), value(4.5), value(True), value("a\\b"), value([0, "N/A"])) == (
        "5",
        "4.5",
        "true",
        '"a\\\\b"',
        '[0, "N/A"]',
    )


def test_a_mapping_says_why_for_every_line_and_lists_what_it_leaves_out(tmp_path: Path) -> None:
    written = propose([export("qualtrics_relationship.csv")]).write(tmp_path)
    text = written[0].read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["header_rows"] == 3 and data["columns"]["nps"] == "Q1"
    assert data["items"]["Q3_1"] == {"item": "keep_promises", "measure": "expectation"}
    assert "nps = \"Q1\"  # 'recommend' in its wording; values 2-10 in 11 answers" in text
    assert "# Not used (nothing is left out without a word):" in text
    assert "# IPAddress: personal data" in text and "# Q1_NPS_GROUP: Qualtrics' NPS group of Q1" in text
    assert "--mapping qualtrics_relationship.mapping.toml --dry-run" in text


def test_the_config_names_only_the_touchpoints_and_items_found(tmp_path: Path) -> None:
    files = [export("typeform_effort.csv"), export("qualtrics_relationship.csv")]
    propose(files).write(tmp_path)
    settings = load_settings(tmp_path / "cxgap.toml")
    assert settings.touchpoints == ["support", "app"]
    assert settings.items == {
        "answer_promptly": "responsiveness",
        "staff_knowledgeable": "assurance",
        "keep_promises": "reliability",
    }
    assert not settings.themes and not settings.cases.rules and not settings.playbooks
    assert not settings.journeys.incidents
    text = (tmp_path / "cxgap.toml").read_text(encoding="utf-8")
    assert f"#   {export('typeform_effort.csv')}" in text  # outside the folder: named in full


def test_items_answered_in_words_get_their_own_value_maps(tmp_path: Path, duck_store: Store) -> None:
    path = tmp_path / "agree.csv"
    answers = ["Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree"]
    rows = "".join(
        f"R{i},2024-02-{i + 1:02d},{answers[i % 5]},{answers[(i + 2) % 5]},{i % 11}\n" for i in range(20)
    )
    path.write_text(
        "id,date,Staff were polite (perception),Bills were accurate (perception),nps\n" + rows,
        encoding="utf-8",
    )
    mapping = propose([path]).write(tmp_path / "out")[0]
    data = tomllib.loads(mapping.read_text(encoding="utf-8"))
    assert data["values"]["Staff were polite (perception)"]["Strongly agree"] == 5
    assert data["item_scale"] == [1, 5]
    summary = import_file(duck_store, path, load_mapping(mapping))
    assert (summary.rows_loaded, summary.rows_quarantined, summary.items_loaded) == (20, 0, 40)


def test_existing_files_are_refused_unless_forced(tmp_path: Path) -> None:
    proposal = propose([export("crm_customers.csv")])
    proposal.write(tmp_path)
    before = (tmp_path / "cxgap.toml").read_text(encoding="utf-8")
    (tmp_path / "cxgap.toml").write_text("# mine\n", encoding="utf-8")
    with pytest.raises(CxgapError, match="already exists; use --force to overwrite it"):
        proposal.write(tmp_path)
    assert (tmp_path / "cxgap.toml").read_text(encoding="utf-8") == "# mine\n"  # nothing was written
    proposal.write(tmp_path, force=True)
    assert (tmp_path / "cxgap.toml").read_text(encoding="utf-8") == before


def test_files_with_the_same_name_get_their_own_mappings(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "crm.csv").write_bytes(export("crm_customers.csv").read_bytes())
    written = propose([tmp_path / "a" / "crm.csv", tmp_path / "b" / "crm.csv"]).write(tmp_path / "out")
    assert [p.name for p in written] == ["crm.mapping.toml", "crm-2.mapping.toml", "cxgap.toml"]


def test_an_item_no_dimension_claims_becomes_its_own_so_no_gap_drops_out() -> None:
    """With some items in SERVQUAL dimensions and one in none, the one left over gets a dimension of its
    own: an item missing from [items] would be left out of every gap."""
    from cxgap.io.proposal.writer import settings_text

    text = settings_text(
        [], {"punctuality": ("reliability", "'on time'"), "baggage_handling": (None, "no dimension word")}, []
    )
    settings = settings_from_dict(tomllib.loads(text))
    assert settings.items == {"punctuality": "reliability", "baggage_handling": "baggage_handling"}
    assert "baggage_handling" in settings.dimensions and "reliability" in settings.dimensions
