"""Drivers and gap exposure from a flat file: the real IBM Telco data through examples/telco_drivers.toml,
whose numbers docs/telco-drivers.md shows; bad files and mappings get one sentence."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cxgap.drivers import QUADRANTS, key_drivers
from cxgap.drivers.files import exposure_linkage, load_driver_mapping, read_driver_file
from cxgap.errors import ConfigError, InputFileError

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "examples" / "telco_drivers.toml"


@pytest.fixture(scope="module")
def telco(shared_data: Callable[[str], Path]):
    spec = load_driver_mapping(MAPPING)
    data = read_driver_file(shared_data("telco_customer_churn.csv"), spec)
    return spec, data, key_drivers(data.drivers, "churn", "file", replicates=200)


def test_telco_churn_drivers_and_exposure_are_computed_and_documented(telco) -> None:
    spec, data, report = telco
    assert report.rows == 7043 and not any(w in " ".join(report.notes) for w in ("sample", "insufficient"))
    top = report.ranked()
    assert [d.name for d in top[:2]] == ["tenure_months", "long_contract"]
    doc = (ROOT / "docs" / "telco-drivers.md").read_text(encoding="utf-8")
    assert f"R² = {report.r_squared:.3f} [{report.r_squared_low:.3f}, {report.r_squared_high:.3f}]" in doc
    for d in top:
        r = f"{d.correlation:+.2f} [{d.correlation_low:+.2f}, {d.correlation_high:+.2f}]"
        share = f"{d.share:.1%} [{d.share_low:.1%}, {d.share_high:.1%}]"
        assert f"| `{d.name}` | {d.direction}, r = {r} | {share} |" in doc, d.name
    for words in report.against():
        assert f"- {words}" in doc
    assert "higher tenure_months goes with lower churn" in report.against()[0]
    for e in exposure_linkage(data, spec):
        d = e.difference
        assert (
            f"| `{e.driver}` = {e.at:g} | {e.exposed.n:,} | {e.exposed.value:.1%} | {e.others.value:.1%} | {d.value:+.1%} [{d.low:+.1%}, {d.high:+.1%}] |"
            in doc
        ), e.driver


def test_not_applicable_is_left_out_not_scored_as_no(telco) -> None:
    _, data, report = telco
    tech = data.drivers.values[:, data.drivers.drivers.index("tech_support")]
    answered = next(d for d in report.drivers if d.name == "tech_support").answers
    assert answered == int((tech == tech).sum()) == 7043 - 1526  # 1,526 customers have no internet service


def test_unmapped_values_and_bad_mappings_are_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("q1,q2,out\n1,2,Yes\n3,x,No\n", encoding="utf-8")
    spec_text = '[outcome]\ncolumn = "out"\nvalues = { Yes = 1, No = 0 }\n[drivers]\na = "q1"\nb = "q2"\n'
    (tmp_path / "m.toml").write_text(spec_text, encoding="utf-8")
    spec = load_driver_mapping(tmp_path / "m.toml")
    with pytest.raises(InputFileError, match=r"f.csv row 3, column 'q2': expected a number, got 'x'"):
        read_driver_file(tmp_path / "f.csv", spec)
    (tmp_path / "m2.toml").write_text(spec_text + "[exposure]\nc = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="name c, which \\[drivers\\] does not"):
        load_driver_mapping(tmp_path / "m2.toml")


def test_tenure_and_charges_get_no_performance_and_so_no_quadrants(telco) -> None:
    _, _, report = telco
    assert all(math.isnan(d.performance) and d.quadrant == "" for d in report.drivers)
    assert report.scale == "" and any("no driver is on a rating scale" in note for note in report.notes)


def _survey_file(folder: Path, columns: dict[str, np.ndarray], scale: str = "") -> tuple[Path, Path]:
    """A CSV of `columns` plus an outcome that rises with the first one, and its driver mapping."""
    rng = np.random.default_rng(6)
    first = next(iter(columns.values()))
    outcome = np.round(first + rng.normal(size=len(first)), 1)
    header = ",".join([*columns, "score"])
    rows = [",".join(f"{v:g}" for v in row) for row in np.column_stack([*columns.values(), outcome])]
    (folder / "f.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    mapping = f'{scale}[outcome]\ncolumn = "score"\nname = "csat"\n[drivers]\n'
    (folder / "m.toml").write_text(mapping + "".join(f'{c} = "{c}"\n' for c in columns), encoding="utf-8")
    return folder / "f.csv", folder / "m.toml"


def test_a_file_mixing_ratings_with_tenure_and_charges_shows_performance_for_ratings_only(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(2)
    columns = {
        "staff": rng.integers(1, 6, 300).astype(float),
        "speed": rng.integers(1, 6, 300).astype(float),
        "tenure": rng.integers(0, 73, 300).astype(float),
        "charges": rng.uniform(18, 119, 300).round(2),
    }
    path, mapping = _survey_file(tmp_path, columns)
    report = key_drivers(
        read_driver_file(path, load_driver_mapping(mapping)).drivers, "csat", "file", replicates=30
    )
    found = {d.name: d for d in report.drivers}
    assert found["staff"].has_performance and found["speed"].has_performance
    assert 2.5 < found["staff"].performance < 3.5
    assert not found["tenure"].has_performance and not found["charges"].has_performance
    assert all(d.quadrant == "" for d in report.drivers)
    assert any("no performance for tenure, charges" in note for note in report.notes)


def test_a_declared_rating_scale_puts_drivers_on_one_scale_for_quadrants(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    columns = {"staff": rng.integers(1, 8, 300).astype(float), "speed": rng.integers(1, 6, 300).astype(float)}
    path, mapping = _survey_file(tmp_path, columns)
    read = read_driver_file(path, load_driver_mapping(mapping)).drivers
    undeclared = key_drivers(read, "csat", "file", replicates=30)  # read as 1-7 and 1-5: not comparable
    assert undeclared.scale == "" and any("different rating scales (1-5, 1-7)" in n for n in undeclared.notes)
    path, mapping = _survey_file(tmp_path, columns, scale="scale = [1, 7]\n")
    declared = key_drivers(
        read_driver_file(path, load_driver_mapping(mapping)).drivers, "csat", "file", replicates=30
    )
    assert declared.scale == "1-7" and {d.quadrant for d in declared.drivers} <= set(QUADRANTS.values())
    assert all(d.quadrant for d in declared.drivers)
    (tmp_path / "bad.toml").write_text(
        'scale = [5, 1]\n[outcome]\ncolumn = "score"\n[drivers]\na = "staff"\nb = "speed"\n'
    )
    with pytest.raises(ConfigError, match=r"scale = \[5.0, 1.0\] must go from low to high"):
        load_driver_mapping(tmp_path / "bad.toml")
