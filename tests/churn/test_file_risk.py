"""`cxgap risk --file`: the models learn from every customer of the file and are judged on held-out ones,
but only the customers whose outcome says they are still customers are ranked, counted in revenue at risk
and written by --out; a file or mapping that cannot be read is one sentence (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxgap.churn import file_risk, load_churn_mapping, read_churn_file
from cxgap.churn.service import _report
from cxgap.cli.risk import risk_json
from cxgap.errors import ConfigError, InputFileError

CUSTOMERS = 300
MAPPING = """id = "customer"
[outcome]
column = "left"
values = { Yes = 1, No = 0 }
[drivers]
months = "months"
support = "support"
charges = "charges"
[values]
support = { Yes = 1, No = 0 }
[revenue]
column = "charges"
factor = 12
[health]
months = { weight = 0.6, healthier = "higher" }
support = { weight = 0.4, healthier = "higher" }
"""


def _customers(folder: Path) -> tuple[Path, Path, pd.DataFrame]:
    """Customers who leave more when new and without support, as a CSV, and the churn mapping reading it."""
    rng = np.random.default_rng(11)
    months = rng.integers(0, 73, CUSTOMERS)
    support = rng.random(CUSTOMERS) < 0.5
    odds = np.exp(1.0 - months / 12 - 1.5 * support)
    left = rng.random(CUSTOMERS) < odds / (1 + odds)
    frame = pd.DataFrame(
        {
            "customer": [f"C{i:04d}" for i in range(CUSTOMERS)],
            "months": months,
            "support": np.where(support, "Yes", "No"),
            "charges": rng.uniform(20, 120, CUSTOMERS).round(2),
            "left": np.where(left, "Yes", "No"),
        }
    )
    frame.to_csv(folder / "customers.csv", index=False)
    (folder / "churn.toml").write_text(MAPPING, encoding="utf-8")
    return folder / "customers.csv", folder / "churn.toml", frame


def test_only_current_customers_are_ranked_and_counted_but_every_customer_is_learnt_from(
    tmp_path: Path,
) -> None:
    path, mapping, frame = _customers(tmp_path)
    spec = load_churn_mapping(mapping)
    data = read_churn_file(path, spec)
    report = file_risk(data, spec.health, seed=0)
    current = frame[frame["left"] == "No"]
    assert 30 < len(current) < CUSTOMERS - 30
    assert report.n_train + report.n_test == CUSTOMERS  # learnt from and judged on every customer
    assert set(report.to_frame()["customer_id"]) == set(current["customer"])
    assert len(report.scored) == len(current) and report.to_frame() is report.scored
    assert report.already_churned == CUSTOMERS - len(current)
    assert report.selection == f"{len(current):,} current customers"
    assert [r.customers for r in report.revenue] == [len(current)]
    assert [s.customers for s in report.segments] == [len(current)]
    revenue = report.scored["revenue"].to_numpy()
    assert sorted(revenue) == pytest.approx(sorted(current["charges"] * 12))
    # the models and their held-out figures are those of a report that ranked everyone
    everyone = _report(data, data, spec.health, 0, 0.95)
    assert (report.model, report.baseline, report.health) == (
        everyone.model,
        everyone.baseline,
        everyone.health,
    )
    assert report.cv_auc == everyone.cv_auc and report.churn_rate == everyone.churn_rate
    shown = risk_json(report, 3)
    assert shown["already_churned"] == report.already_churned and shown["selection"] == report.selection
    assert set(shown["riskiest"]["customer_id"]) <= set(current["customer"])


def test_the_command_says_who_is_scored_and_writes_only_them(cli, tmp_path: Path) -> None:
    path, mapping, frame = _customers(tmp_path)
    current = int((frame["left"] == "No").sum())
    gone = CUSTOMERS - current
    result = cli("risk", "--file", str(path), "--mapping", str(mapping), "--top", "3", "--out", "s.csv")
    assert result.exit_code == 0, result.stderr
    said = f"{current:,} current customers scored; {gone:,} already churned are learnt from, not ranked."
    assert said in " ".join(result.stdout.split())
    written = pd.read_csv(tmp_path / "s.csv")
    assert len(written) == current and set(written["customer_id"]) <= set(
        frame["customer"][frame["left"] == "No"]
    )
    as_json = cli("risk", "--file", str(path), "--mapping", str(mapping), "--top", "3", "--json")
    assert as_json.exit_code == 0, as_json.stderr
    shown = json.loads(as_json.stdout)
    assert shown["already_churned"] == gone and shown["selection"] == f"{current:,} current customers"
    as_csv = cli("risk", "--file", str(path), "--mapping", str(mapping), "--top", "3", "--format", "csv")
    assert as_csv.exit_code == 0 and said in " ".join(as_csv.stderr.split())


def _bad(folder: Path, lines: list[str]) -> Path:
    (folder / "bad.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "bad.csv"


HEADER = "customer,months,support,charges,left"


def test_a_customer_twice_a_blank_id_a_negative_revenue_and_an_odd_outcome_are_one_sentence(
    tmp_path: Path,
) -> None:
    _, mapping, _ = _customers(tmp_path)
    spec = load_churn_mapping(mapping)
    rows = ["C1,3,Yes,20,No", "C2,40,No,50,Yes", "C3,12,Yes,30,No", "C2,5,No,60,No", "C1,1,No,1,No"]
    with pytest.raises(InputFileError) as caught:
        read_churn_file(_bad(tmp_path, [HEADER, *rows]), spec)
    assert str(caught.value) == (
        f"{tmp_path / 'bad.csv'} rows 3 and 5, column 'customer': both are customer 'C2' "
        "(2 ids repeated); each customer needs exactly one row."
    )
    with pytest.raises(InputFileError) as caught:
        read_churn_file(_bad(tmp_path, [HEADER, *rows[:2], " ,12,Yes,30,No"]), spec)
    assert str(caught.value) == (
        f"{tmp_path / 'bad.csv'} row 4, column 'customer': the customer id is blank; every customer needs one."
    )
    with pytest.raises(InputFileError) as caught:
        read_churn_file(_bad(tmp_path, [HEADER, *rows[:2], "C3,12,Yes,-30,No"]), spec)
    assert str(caught.value) == (
        f"{tmp_path / 'bad.csv'} row 4, column 'charges': the revenue is -30, below 0 (1 such row); "
        "expected a customer's revenue, 0 or more."
    )
    (tmp_path / "numbers.toml").write_text(MAPPING.replace("values = { Yes = 1, No = 0 }\n", ""))
    with pytest.raises(InputFileError) as caught:
        read_churn_file(
            _bad(tmp_path, [HEADER, "C1,3,Yes,20,0", "C2,4,No,20,2"]),
            load_churn_mapping(tmp_path / "numbers.toml"),
        )
    assert str(caught.value) == (
        f"{tmp_path / 'bad.csv'} row 3, column 'left': the outcome is 2; expected 1 (churned) or 0 "
        "(still a customer), through the outcome's values if the column holds text."
    )


def test_empty_files_other_delimiters_and_other_mappings_are_one_sentence(cli, tmp_path: Path) -> None:
    _, mapping, _ = _customers(tmp_path)
    spec = load_churn_mapping(mapping)
    with pytest.raises(InputFileError, match=r"bad.csv has no data rows under its header"):
        read_churn_file(_bad(tmp_path, [HEADER]), spec)
    semicolons = [line.replace(",", ";") for line in [HEADER, "C1;3;Yes;20;No"]]
    with pytest.raises(InputFileError, match=r"it seems to use ';': set delimiter = \";\" in the mapping"):
        read_churn_file(_bad(tmp_path, semicolons), spec)
    (tmp_path / "import.toml").write_text('table = "customers"\n[columns]\ncustomer_id = "customer"\n')
    with pytest.raises(ConfigError) as caught:
        load_churn_mapping(tmp_path / "import.toml")
    said = str(caught.value)
    assert said.startswith(f"{tmp_path / 'import.toml'} is an import mapping (for `cxgap import`")
    assert "`cxgap risk --file` needs a churn mapping" in said and "examples/telco_churn.toml" in said
    (tmp_path / "empty.csv").write_bytes(b"")
    for data, chosen, words in [
        ("empty.csv", "churn.toml", "empty.csv is empty (0 bytes)"),
        ("bad.csv", "import.toml", "is an import mapping"),
    ]:
        result = cli("risk", "--file", data, "--mapping", chosen)
        assert result.exit_code == 2, result.output
        assert words in " ".join(result.stderr.split()) and "Traceback" not in result.output
    _bad(tmp_path, [HEADER])
    result = cli("risk", "--file", "bad.csv", "--mapping", "churn.toml")
    assert result.exit_code == 2 and "has no data rows under its header" in " ".join(result.stderr.split())


def test_na_codes_of_the_mapping_read_as_unknown_features_not_as_errors(tmp_path: Path) -> None:
    """A churn mapping is a driver mapping: its [na] codes and driver_na mean "not applicable" in a churn
    file too (they were ignored, so a code such as "n/a" stopped the run as a value the map lacks)."""
    path, _, frame = _customers(tmp_path)
    frame = frame.astype({"months": object})
    frame.loc[[3, 7], "support"] = "n/a"
    frame.loc[[5], "months"] = "-1"
    frame.to_csv(path, index=False)
    mapping = tmp_path / "na.toml"
    mapping.write_text(
        MAPPING.replace('id = "customer"\n', 'id = "customer"\ndriver_na = ["n/a"]\n[na]\nmonths = [-1]\n'),
        encoding="utf-8",
    )
    data = read_churn_file(path, load_churn_mapping(mapping))
    assert np.isnan(data.features["support"].to_numpy()[[3, 7]]).all()
    assert (
        np.isnan(data.features["months"].to_numpy()[5])
        and data.features["months"].notna().sum() == CUSTOMERS - 1
    )
