"""`cxgap drivers --file` reads what the data means as an import does: N/A codes (0 = "not applicable") are
left out of a driver's answers and performance, never scored as the worst rating, and a driver on its own
scale is converted exactly onto the survey's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxgap.drivers import key_drivers
from cxgap.drivers.files import exposure_linkage, load_driver_mapping, read_driver_file
from cxgap.errors import InputFileError

ROWS = 240


def _survey(folder: Path) -> tuple[Path, pd.DataFrame]:
    """Wifi (1-5, 0 = not used) and seat (1-5) drive satisfaction; 'overall' is asked on 1-7."""
    rng = np.random.default_rng(8)
    wifi = rng.integers(1, 6, ROWS)
    seat = rng.integers(1, 6, ROWS)
    overall = rng.integers(1, 8, ROWS)
    score = np.round(wifi + seat + rng.normal(size=ROWS), 1)
    wifi[rng.random(ROWS) < 0.2] = 0
    left = (score < np.median(score)).astype(int)
    frame = pd.DataFrame({"wifi": wifi, "seat": seat, "overall": overall, "score": score, "left": left})
    path = folder / "f.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _mapping(folder: Path, extra: str, outcome: str = "score") -> Path:
    path = folder / "m.toml"
    path.write_text(
        f'scale = [1, 5]\n{extra}\n[outcome]\ncolumn = "{outcome}"\nname = "csat"\n'
        '[drivers]\nwifi = "wifi"\nseat = "seat"\noverall = "overall"\n',
        encoding="utf-8",
    )
    return path


def test_na_codes_leave_answers_out_of_the_driver_and_its_performance(tmp_path: Path) -> None:
    path, frame = _survey(tmp_path)
    spec = load_driver_mapping(_mapping(tmp_path, "driver_na = [0]\n[scales]\noverall = [1, 7]"))
    data = read_driver_file(path, spec)
    report = key_drivers(data.drivers, "csat", "file", replicates=30)
    wifi = next(d for d in report.drivers if d.name == "wifi")
    used = frame.loc[frame["wifi"] != 0, "wifi"]
    assert wifi.answers == len(used) < ROWS
    assert wifi.performance == pytest.approx(used.mean(), abs=1e-12)
    overall = data.drivers.values[:, data.drivers.drivers.index("overall")]
    assert np.allclose(overall, 1 + (frame["overall"] - 1) * 4 / 6, rtol=0, atol=1e-12)
    assert report.scale == "1-5" and all(d.quadrant for d in report.drivers)


def test_without_na_codes_a_zero_is_outside_the_declared_scale_in_one_sentence(tmp_path: Path) -> None:
    path, _ = _survey(tmp_path)
    spec = load_driver_mapping(_mapping(tmp_path, "[scales]\nwifi = [1, 5]"))
    with pytest.raises(
        InputFileError, match=r"f.csv row \d+, column 'wifi': 0 is outside the driver's scale 1-5"
    ):
        read_driver_file(path, spec)


def test_exposure_on_a_converted_driver_compares_like_with_like(tmp_path: Path) -> None:
    path, frame = _survey(tmp_path)
    spec = load_driver_mapping(
        _mapping(tmp_path, "[scales]\noverall = [1, 7]\n[exposure]\noverall = 4", "left")
    )
    (exposure,) = exposure_linkage(read_driver_file(path, spec), spec)
    assert exposure.exposed.n == int((frame["overall"] == 4).sum()) > 0
