"""`cxgap analyze` shows every finding: the scores per survey kind with their intervals, every gap with
--all (per-item P - E even when all items form one dimension), --kind, the ranking rule said and
selectable, and the same as JSON and CSV, on a small paired-items survey built here."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from cxgap.cli.analyze import GapKind, Rank
from cxgap.gaps import GAP_KINDS, RANKS

ITEMS = ("q1", "q2", "q3", "q4")
RESPONDENTS = 120
MAPPING = """table = "responses"

[columns]
response_id = "id"
responded_at = "date"
nps = "recommend"
survey_kind = "kind"

[optional_columns]
touchpoint = "stage"
csat = "satisfied"

[items]
""" + "".join(
    f'{q}_p = {{ item = "{q}", measure = "perception" }}\n{q}_e = {{ item = "{q}", measure = "expectation" }}\n'
    for q in ITEMS
)
CONFIG = """dimensions = ["service"]
touchpoints = ["checkin"]

[items]
q1 = "service"
q2 = "service"
q3 = "service"
q4 = "service"

[store]
url = "{url}"
"""


def ratings(k: int) -> dict[str, tuple[int, int]]:
    """Respondent k's (perception, expectation) per item, planted so that the two rankings differ:
    q1 falls 1.5 points short with a wide spread (d = -1.0), q2 0.75 points with a narrow one (d = -1.73),
    q3 not at all, q4 0.5 points (d = -1.0)."""
    return {
        "q1": (7 - 3 * (k % 2), 7),
        "q2": (5 - (1 if k % 4 else 0), 5),
        "q3": (4 + (k % 3 - 1), 4),
        "q4": (6 - (k % 2), 6),
    }


def survey_csv() -> str:
    """A relational paired-items survey, all answered in 2024 Q3 (NPS 1-10, twelve of each), and 40
    transactional answers at check-in with NPS and CSAT."""
    header = ["id", "date", "recommend", "kind", "stage", "satisfied"]
    header += [f"{q}_{m}" for q in ITEMS for m in ("p", "e")]
    lines = [",".join(header)]
    for k in range(RESPONDENTS):
        pairs = ratings(k)
        cells = [f"R{k}", f"2024-{7 + k % 3:02d}-{1 + k % 28:02d}", str(1 + k % 10), "relational", "", ""]
        cells += [str(v) for q in ITEMS for v in pairs[q]]
        lines.append(",".join(cells))
    for k in range(40):
        cells = [f"T{k}", "2024-08-15", str(k % 11), "transactional", "checkin", str(1 + k % 5)]
        lines.append(",".join(cells + [""] * 2 * len(ITEMS)))
    return "\n".join(lines) + "\n"


@pytest.fixture
def survey(cli, tmp_path: Path, store_url: str):
    """The CLI on a store (both backends) holding the survey, configured with a single dimension."""
    (tmp_path / "cxgap.toml").write_text(CONFIG.format(url=store_url), encoding="utf-8")
    (tmp_path / "survey.csv").write_text(survey_csv(), encoding="utf-8")
    (tmp_path / "survey.toml").write_text(MAPPING, encoding="utf-8")
    loaded = cli("import", "survey.csv", "--mapping", "survey.toml")
    assert loaded.exit_code == 0, loaded.stderr
    return cli


def test_all_as_json_lists_every_per_item_gap_inside_one_dimension_and_the_nps(survey) -> None:
    result = survey("analyze", "--all", "--format", "json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    customer = [g for g in shown["gaps"] if g["kind"] == "customer" and g["segment"] is None]
    items = {g["subject"]: g for g in customer if g["dimension"] == "service"}
    assert sorted(items) == list(ITEMS)
    assert items["q1"]["value"] == pytest.approx(-1.5) and items["q1"]["n"] == RESPONDENTS
    assert items["q2"]["value"] == pytest.approx(-0.75) and items["q3"]["value"] == pytest.approx(0.0)
    assert items["q3"]["significant"] is False and items["q2"]["significant"] is True
    assert items["q1"]["low"] < -1.5 < items["q1"]["high"]
    assert [g["subject"] for g in customer if g["dimension"] is None] == ["service"]
    nps = shown["scores"]["nps"]
    assert nps["value"] == pytest.approx(-40.0) and nps["n"] == RESPONDENTS
    half = 100 * 1.959964 * math.sqrt((0.2 + 0.6 - 0.4**2) / RESPONDENTS)  # 24 promoters, 72 detractors
    assert (nps["low"], nps["high"]) == pytest.approx((-40 - half, -40 + half))
    assert nps["figure"] == "-40 [-54, -26], n=120"
    kinds = {(s["metric"], s["survey_kind"]): s for s in shown["scores_by_kind"]}
    assert kinds[("nps", "transactional")]["n"] == 40  # a survey of another kind is shown, never dropped
    assert kinds[("csat", "transactional")]["n"] == 40
    assert shown["ranking"]["rank"] == "effect" and "effect size" in shown["ranking"]["rule"]


def test_a_table_shows_the_scores_and_the_ranking_and_rank_shortfall_reorders_as_the_numbers_say(
    survey,
) -> None:
    effect = survey("analyze", "--all", "--kind", "customer")
    assert effect.exit_code == 0, effect.stderr
    text = effect.stdout
    assert "Scores" in text and "-40 [-54, -26], n=120" in text and "relational" in text
    assert (
        "Ranked by effect size (shortfall / SD; for a standard set against customers' expectation"
        in " ".join(text.split())
    )
    assert "--rank shortfall ranks by the shortfall in scale points" in text
    # q2 (0.75 points, d = -1.73) before q1 (1.5 points, d = -1.0) by effect; by shortfall the other way
    assert text.index("item q2 (service)") < text.index("item q1 (service)")
    shortfall = survey("analyze", "--all", "--kind", "customer", "--rank", "shortfall").stdout
    assert "Ranked by the shortfall in scale points" in shortfall
    assert shortfall.index("item q1 (service)") < shortfall.index("item q2 (service)")
    ranked = json.loads(survey("analyze", "--json", "--kind", "customer", "--rank", "shortfall").stdout)
    sizes = [abs(g["value"]) for g in ranked["act_first"]]
    assert sizes == sorted(sizes, reverse=True) and ranked["act_first"][0]["subject"] == "q1"


def test_top_lists_every_significant_shortfall_it_has_room_for(survey) -> None:
    shown = json.loads(survey("analyze", "--top", "30", "--json").stdout)
    shortfalls = [g for g in shown["gaps"] if g["significant"] and g["value"] < 0]
    assert len(shortfalls) >= 4  # q1, q2, q4 and the dimension
    assert len(shown["act_first"]) == len(shortfalls)
    two = json.loads(survey("analyze", "--top", "2", "--json").stdout)["act_first"]
    assert len(two) == 2


def test_csv_gives_the_listed_gaps_and_the_scores_on_stderr(survey, tmp_path: Path) -> None:
    result = survey("analyze", "--all", "--kind", "customer", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("rank,kind,touchpoint,segment,subject,dimension,finding")
    assert len(lines) == 1 + 5  # four items and their dimension
    assert "NPS, relational: -40 [-54, -26], n=120" in result.stderr


def test_an_unknown_kind_or_rank_is_refused_in_one_sentence(survey) -> None:
    wrong = survey("analyze", "--kind", "customers")
    assert wrong.exit_code == 2 and "Traceback" not in wrong.stderr
    assert "'customers' is not one of" in " ".join(wrong.stderr.split())
    assert survey("analyze", "--rank", "size").exit_code == 2


def test_the_cli_choices_are_the_libraries() -> None:
    assert tuple(GapKind) == GAP_KINDS and tuple(Rank) == RANKS
