"""Every analysis command on the stores a real company starts with (nothing; a CRM table; a CRM table and
some reviews): a useful answer or one clear sentence, never a traceback."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

CUSTOMERS_MAPPING = """table = "customers"

[columns]
customer_id = "id"
segment = "plan"
churned = "churn"
revenue = "monthly"

[factors]
revenue = 12
"""
REVIEWS_MAPPING = """table = "feedback"

[columns]
text = "Review"
rating = "Rating"

[constants]
source = "review"
channel = "web"
"""
OPINIONS = (
    ("great stay, friendly staff and a clean room", 5),
    ("the room was dirty and the staff were rude at check in", 1),
    ("nice location but the breakfast was cold", 3),
    ("noisy at night, thin walls, could not sleep", 2),
    ("lovely view, quick check in, would come back", 4),
)


def customers_csv(rows: int = 80) -> str:
    """A small CRM export: id, plan, churned Yes/No (one in four), monthly charge."""
    plans = ("Month-to-month", "One year", "Two year")
    lines = ["id,plan,churn,monthly"]
    for k in range(rows):
        lines.append(f"K{k:04d},{plans[k % 3]},{'Yes' if k % 4 == 0 else 'No'},{20 + k % 50}.50")
    return "\n".join(lines) + "\n"


def reviews_csv(rows: int = 60) -> str:
    """Undated, anonymous reviews with a star rating (the shape of a review-site export)."""
    lines = ["Review,Rating"]
    for k in range(rows):
        text, stars = OPINIONS[k % len(OPINIONS)]
        lines.append(f'"{text} (visit {k})",{stars}')
    return "\n".join(lines) + "\n"


def build_store(folder: Path, files: dict[str, tuple[str, str]]) -> Path:
    """A DuckDB store in `folder` filled through `cxgap import` with each (CSV, mapping) of `files`."""
    from cxgap.cli.main import app

    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "cxgap.toml"
    config.write_text(f'[store]\nurl = "duckdb:///{folder / "cxgap.duckdb"}"\n', encoding="utf-8")
    runner = CliRunner()
    for name, (data, mapping) in files.items():
        (folder / f"{name}.csv").write_text(data, encoding="utf-8")
        (folder / f"{name}.toml").write_text(mapping, encoding="utf-8")
        result = runner.invoke(
            app,
            [
                "import",
                str(folder / f"{name}.csv"),
                "--mapping",
                str(folder / f"{name}.toml"),
                "-c",
                str(config),
            ],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.stderr
    return folder / "cxgap.duckdb"


STORES: dict[str, dict[str, tuple[str, str]]] = {
    "empty": {},
    "customers": {"customers": (customers_csv(), CUSTOMERS_MAPPING)},
    "customers and reviews": {
        "customers": (customers_csv(), CUSTOMERS_MAPPING),
        "reviews": (reviews_csv(), REVIEWS_MAPPING),
    },
}


@pytest.fixture(scope="module")
def first_stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three stores, built once; each test works on its own copy."""
    root = tmp_path_factory.mktemp("first")
    return {
        kind: build_store(root / kind.replace(" ", "_"), files) if files else root / "none.duckdb"
        for kind, files in STORES.items()
    }


@pytest.fixture
def on_store(cli, tmp_path: Path, first_stores: dict[str, Path]) -> Callable[[str], Callable[..., Result]]:
    """Point the CLI at a fresh copy of one of the stores and return the runner."""

    def _on(kind: str) -> Callable[..., Result]:
        source = first_stores[kind]
        target = tmp_path / "store.duckdb"
        if source.exists():
            shutil.copy(source, target)
        (tmp_path / "cxgap.toml").write_text(f'[store]\nurl = "duckdb:///{target}"\n', encoding="utf-8")
        return cli

    return _on


def _flat(text: str) -> str:
    return " ".join(text.split())


NO_TEXTS = "There are no texts yet: import feedback"
NO_CUSTOMERS = "Churn risk needs your customers, and the customers table is empty"
NO_CHURN_DATES = "it needs when customers churned (none of the 20 churned customers has an end date"
# per command: its arguments, then per store the exit code and the words it must say (stdout and stderr,
# whitespace folded); "*" is every store
EXPECTED: dict[tuple[str, ...], dict[str, tuple[int, tuple[str, ...]]]] = {
    ("analyze",): {"*": (0, ("Where to act first Nothing to act on yet: no gap could be measured",))},
    ("drivers", "--replicates", "20"): {
        "*": (0, ("the store has no relational survey answers that rate the configured items",))
    },
    ("impact",): {
        "empty": (0, ("The customers table is empty", "Churn by gap exposure needs interactions")),
        "customers": (0, ("Churn and revenue by NPS group need relational NPS answers tied to customers",)),
        "customers and reviews": (0, ("NPS group need relational NPS answers", "the store has none yet")),
    },
    ("text", "--no-discover"): {
        "empty": (0, (NO_TEXTS,)),
        "customers": (0, (NO_TEXTS,)),
        "customers and reviews": (
            0,
            ("60 texts; sentiment:", "Emerging issues were not checked", "(these texts have no date)"),
        ),
    },
    ("journeys",): {"*": (0, ("The store has no interactions yet, so there are no journeys to follow",))},
    ("risk",): {
        "empty": (2, (NO_CUSTOMERS,)),
        "customers": (2, (NO_CHURN_DATES, "dated activity to learn from", "the store has none)")),
        "customers and reviews": (2, (NO_CHURN_DATES, "the 60 feedback rows have no date")),
    },
    ("report",): {"*": (0, ("Report written to cxgap-report.html.",))},
    ("cases", "open"): {"*": (2, ("cxgap.toml has no case rules, so there is nothing to open",))},
    ("playbooks", "run", "--dry-run"): {
        "*": (2, ("cxgap.toml has no playbooks, so there is nothing to run",))
    },
    ("issues", "patterns"): {"*": (0, ("No root cause recurs yet",))},
    ("status",): {
        "empty": (0, ("customers │ 0", "feedback │ 0")),
        "customers": (0, ("customers │ 80", "feedback │ 0")),
        "customers and reviews": (0, ("customers │ 80", "feedback │ 60")),
    },
}


@pytest.mark.parametrize("kind", list(STORES))
@pytest.mark.parametrize("command", list(EXPECTED), ids=lambda c: " ".join(c))
def test_every_command_answers_or_says_what_is_missing(
    on_store, kind: str, command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = on_store(kind)(*command)
    code, words = EXPECTED[command].get(kind) or EXPECTED[command]["*"]
    said = _flat(result.stdout + " " + result.stderr)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in said
    for phrase in words:
        assert phrase in said, phrase
    if code == 2:  # one sentence, on stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and errors[0].rstrip().endswith("."), result.stderr
    else:
        assert "error:" not in result.stderr


def test_the_report_on_a_crm_and_reviews_store_says_what_each_section_lacks(on_store, tmp_path: Path) -> None:
    result = on_store("customers and reviews")("report")
    assert result.exit_code == 0, result.stderr
    page = _flat((tmp_path / "cxgap-report.html").read_text(encoding="utf-8"))
    for words in (
        "Nothing to act on yet: no gap could be measured",
        "Not measured: Churn and revenue by NPS group need relational NPS answers",
        "Not measured: The store has no interactions yet, so there are no journeys to follow",
        "Not measured: Churn risk cannot be modelled on this store yet",
        "60 texts",
    ):
        assert words in page, words


def test_csv_and_png_outputs_on_a_crm_and_reviews_store_say_what_is_not_there(
    on_store, tmp_path: Path
) -> None:
    """A CSV of no gaps says on stderr which gaps were not measured and why (it printed a bare header), and
    --png-dir says it saved no chart rather than naming a folder it left empty."""
    cli = on_store("customers and reviews")
    gaps = cli("analyze", "--format", "csv")
    assert gaps.exit_code == 0 and gaps.stdout.count("\n") == 1  # the header alone
    assert "customer gap not measured: needs survey item ratings" in _flat(gaps.stderr)
    report = cli("report", "--png-dir", "png")
    assert report.exit_code == 0, report.stderr
    pngs = sorted((tmp_path / "png").glob("*.png")) if (tmp_path / "png").exists() else []
    said = _flat(report.stdout)
    assert (f"({len(pngs)} chart" in said) if pngs else ("no chart to save as PNG" in said)
