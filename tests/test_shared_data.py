"""The real data sets in ../shared/data are optional on a fresh clone and required in CI: one helper
decides, skipping with the reason, or failing under CXGAP_REQUIRE_SHARED=1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import conftest


def test_a_missing_shared_file_is_a_skip_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conftest, "SHARED_DATA", tmp_path / "shared" / "data")
    monkeypatch.setattr(conftest, "REQUIRE_SHARED", False)
    with pytest.raises(pytest.skip.Exception, match="telco_customer_churn.csv is not here"):
        conftest.shared_file("telco_customer_churn.csv")


def test_a_missing_shared_file_fails_when_ci_requires_the_shared_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conftest, "SHARED_DATA", tmp_path / "shared" / "data")
    monkeypatch.setattr(conftest, "REQUIRE_SHARED", True)
    with pytest.raises(pytest.fail.Exception, match="CXGAP_REQUIRE_SHARED=1 makes this a failure"):
        conftest.shared_file("telco_customer_churn.csv")


def test_a_present_shared_file_is_its_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "shared" / "data"
    folder.mkdir(parents=True)
    (folder / "reviews.csv").write_text("Review,Rating\n", encoding="utf-8")
    monkeypatch.setattr(conftest, "SHARED_DATA", folder)
    assert conftest.shared_file("reviews.csv") == folder / "reviews.csv"


def test_no_test_reads_the_shared_data_around_the_helper() -> None:
    """Every test that uses ../shared/data goes through `shared_data` / `shared_file`, so none can
    assert on a file a fresh clone does not have."""
    tests = Path(__file__).resolve().parent
    offenders = [
        str(path.relative_to(tests))
        for path in tests.rglob("*.py")
        if path.name != "conftest.py"
        and path != Path(__file__).resolve()
        and "SHARED_DATA" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
