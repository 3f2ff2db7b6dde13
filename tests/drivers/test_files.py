"""Drivers and gap exposure from a flat file: the real IBM Telco data through examples/telco_drivers.toml,
whose numbers docs/telco-drivers.md shows; bad files and mappings get one sentence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cxgap.drivers import key_drivers
from cxgap.drivers.files import exposure_linkage, load_driver_mapping, read_driver_file
from cxgap.errors import ConfigError, InputFileError

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "examples" / "telco_drivers.toml"


@pytest.fixture(scope="module")
def telco(shared_data: Callable[[str], Path]):
    spec = load_driver_mapping(MAPPING)
    data = read_driver_file(shared_data("telco_customer_churn.csv"), spec)
    return spec, data, key_drivers(data.drivers, "churn", "file", replicates=200, quadrants=False)


def test_telco_churn_drivers_and_exposure_are_computed_and_documented(telco) -> None:
    spec, data, report = telco
    assert report.rows == 7043 and report.notes == ()
    top = report.ranked()
    assert [d.name for d in top[:2]] == ["tenure_months", "long_contract"]
    doc = (ROOT / "docs" / "telco-drivers.md").read_text(encoding="utf-8")
    assert f"R² = {report.r_squared:.3f} [{report.r_squared_low:.3f}, {report.r_squared_high:.3f}]" in doc
    for d in top:
        assert f"| `{d.name}` | {d.share:.1%} [{d.share_low:.1%}, {d.share_high:.1%}] |" in doc, d.name
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
