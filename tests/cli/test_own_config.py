"""A starter configuration that names only the user's own touchpoints (check_in, flight) on a store of their
own answers (NPS, CSAT, paired items), customers and reviews: every command that reads data answers or says
in one sentence what is missing, never a traceback, and no output names the demo company's touchpoints or
teams (its configuration never applies to other data)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from tests.cli.test_first_data import build_store

OWN_CONFIG = 'touchpoints = ["check_in", "flight"]\n\n[store]\nurl = "{url}"\n'
CUSTOMERS_MAPPING = """table = "customers"

[columns]
customer_id = "id"
segment = "tier"
started_at = "since"
churned = "left"
ended_at = "until"
revenue = "yearly"
"""
RESPONSES_MAPPING = """table = "responses"

[columns]
response_id = "rid"
customer_id = "customer"
responded_at = "when"
survey_kind = "kind"
touchpoint = "stage"
nps = "recommend"
csat = "satisfied"
comment = "remarks"

[dates]
responded_at = "%Y-%m-%d %H:%M"

[items]
seat_p = { item = "seat", measure = "perception" }
seat_e = { item = "seat", measure = "expectation" }
staff_p = { item = "staff", measure = "perception" }
staff_e = { item = "staff", measure = "expectation" }
time_p = { item = "punctuality", measure = "perception" }
time_e = { item = "punctuality", measure = "expectation" }
"""
FEEDBACK_MAPPING = """table = "feedback"

[columns]
feedback_id = "ref"
received_at = "posted"
customer_id = "customer"
touchpoint = "stage"
rating = "stars"
text = "body"

[dates]
received_at = "%Y-%m-%d %H:%M"

[constants]
source = "review"
"""
REVIEWS = (
    ("the boarding queue was slow and chaotic", 2),
    ("great legroom and tasty food", 5),
    ("lost my bag, nobody helped", 1),
    ("on time and a friendly crew", 4),
    ("wifi did not work at all", 2),
)
START = dt.datetime(2025, 1, 1)


def customers_csv(rows: int = 120) -> str:
    """An airline's CRM table: id, tier, since, churned Yes/No (one in four, with the day they left), revenue."""
    rng = random.Random(7)
    lines = ["id,tier,since,left,until,yearly"]
    for k in range(rows):
        since = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(300))
        until = dt.date(2025, 3, 1) + dt.timedelta(days=rng.randrange(150)) if k % 4 == 0 else ""
        churned = "Yes" if until else "No"
        lines.append(f"C{k:03d},{'gold' if k % 3 == 0 else 'basic'},{since},{churned},{until},{200 + 7 * k}")
    return "\n".join(lines) + "\n"


def responses_csv(rows: int = 240) -> str:
    """Half relational answers (NPS and three paired items that drive it), half transactional CSAT at
    check_in or flight with a comment."""
    rng = random.Random(11)
    lines = [
        "rid,customer,when,kind,stage,recommend,satisfied,seat_p,seat_e,staff_p,staff_e,time_p,time_e,remarks"
    ]
    for k in range(rows):
        when = START + dt.timedelta(hours=rng.randrange(24 * 180))
        who = f"C{rng.randrange(120):03d},{when:%Y-%m-%d %H:%M}"
        if k % 2 == 0:
            seen = [rng.randint(2, 7) for _ in range(3)]
            pairs = ",".join(f"{p},{min(7, p + rng.randint(0, 2))}" for p in seen)
            nps = max(0, min(10, round(1.6 * sum(seen) / 3 - 1 + rng.gauss(0, 1))))
            lines.append(f"R{k:04d},{who},relational,,{nps},,{pairs},")
        else:
            csat = rng.randint(1, 5)
            said = "queue was long at the desk" if csat <= 2 else "friendly crew and a smooth trip"
            stage = "check_in" if k % 4 == 1 else "flight"
            lines.append(f"R{k:04d},{who},transactional,{stage},,{csat},,,,,,,{said} ({k})")
    return "\n".join(lines) + "\n"


def feedback_csv(rows: int = 60) -> str:
    """Dated reviews by known customers about check_in or flight, with stars."""
    rng = random.Random(5)
    lines = ["ref,posted,customer,stage,stars,body"]
    for k in range(rows):
        when = START + dt.timedelta(hours=rng.randrange(24 * 180))
        text, stars = REVIEWS[k % len(REVIEWS)]
        stage = "check_in" if k % 2 else "flight"
        lines.append(
            f'F{k:03d},{when:%Y-%m-%d %H:%M},C{rng.randrange(120):03d},{stage},{stars},"{text} ({k})"'
        )
    return "\n".join(lines) + "\n"


OWN_FILES = {
    "customers": (customers_csv(), CUSTOMERS_MAPPING),
    "responses": (responses_csv(), RESPONSES_MAPPING),
    "feedback": (feedback_csv(), FEEDBACK_MAPPING),
}


@pytest.fixture(scope="module")
def own_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The airline's store, imported once through `cxgap import`."""
    return build_store(tmp_path_factory.mktemp("own"), OWN_FILES)


@pytest.fixture
def on_own(cli, tmp_path: Path, own_store: Path) -> Callable[..., Result]:
    """The CLI on a fresh copy of the store, with a cxgap.toml naming only the user's touchpoints."""
    target = tmp_path / "store.duckdb"
    shutil.copy(own_store, target)
    (tmp_path / "cxgap.toml").write_text(OWN_CONFIG.format(url=f"duckdb:///{target}"), encoding="utf-8")
    (tmp_path / "arms.csv").write_text(
        "customer_id,group\n" + "".join(f"C{k:03d},{('control', 'treatment')[k % 2]}\n" for k in range(120)),
        encoding="utf-8",
    )
    return cli


# each run is one or more commands in a row (a user to show, a survey to list); every command is checked
RUNS: list[tuple[tuple[str, ...], ...]] = [
    (("status",),),
    (("analyze",),),
    (("analyze", "--all", "--format", "json"),),
    (("report",),),
    (("drivers", "--replicates", "20"),),
    (("drivers", "--replicates", "20", "--by", "dimensions"),),
    (("drivers", "--replicates", "20", "--by", "touchpoints"),),
    (("drivers", "--replicates", "20", "--outcome", "csat", "--touchpoint", "flight"),),
    (("impact",),),
    (("text", "--no-discover"),),
    (("journeys",),),
    (("journeys", "--customer", "C001"),),
    (("risk",),),
    (
        ("metrics",),
        ("metrics", "--by", "touchpoint,segment,period", "--json"),
        ("metrics", "--metric", "ces_easy", "--format", "csv"),
    ),
    (("export", "parquet", "lake"),),
    (("batches", "remove", "0123456789ab", "--dry-run"), ("batches", "quarantine")),
    (("experiment", "compare", "arms.csv"),),
    (("experiment", "compare", "arms.csv", "--metric", "csat"),),
    (("experiment", "size", "--nps-change", "5"),),
    (("cases", "open"), ("cases", "list"), ("cases", "metrics"), ("cases", "show", "NOPE")),
    (("issues", "patterns"), ("issues", "list"), ("issues", "show", "NOPE"), ("issues", "effect", "NOPE")),
    (("playbooks", "run", "--dry-run"), ("playbooks", "effect", "NOPE")),
    (("users", "add", "ana", "--role", "analyst"), ("users", "list"), ("notify", "prefs", "ana")),
    (("notify", "run"), ("notify", "log")),
    (
        ("surveys", "create", "--template", "nps"),
        ("surveys", "create", "--template", "csat", "--touchpoint", "flight"),
        ("surveys", "create", "--template", "ces"),
        ("surveys", "create", "--template", "servqual"),
        ("surveys", "create", "--template", "beliefs"),
        ("surveys", "list"),
        ("surveys", "show", "csat-flight"),
        ("surveys", "rates"),
    ),
]
# commands the sweep leaves out, and why
LEFT_OUT = {
    "demo": "writes the demo company (its own configuration by design)",
    "serve": "runs until stopped (its pages and API are tested in tests/api and tests/web)",
    "init": "writes a configuration and reads no store",
    "import": "is how the store above was built",
    "users password": "prompts for a password",
    "users email": "writes an address (users add/list are in the sweep)",
    "users token": "writes a token (users add/list are in the sweep)",
    "users revoke": "writes (users add/list are in the sweep)",
    "cases act": "works a case the rules opened (none: the configuration has no rules)",
    "cases assign": "works a case the rules opened (none: the configuration has no rules)",
    "cases note": "works a case the rules opened (none: the configuration has no rules)",
    "issues raise": "needs a root cause the configuration names (it names none)",
    "issues plan": "moves an issue (none exists)",
    "issues assign": "moves an issue (none exists)",
    "issues done": "moves an issue (none exists)",
    "issues reopen": "moves an issue (none exists)",
    "issues link": "moves an issue (none exists)",
    "surveys save": "saves a definition file (create is in the sweep)",
    "surveys publish": "changes a survey's state (create is in the sweep)",
    "surveys close": "changes a survey's state (create is in the sweep)",
    "surveys link": "needs a published survey and a signing key",
    "surveys invite": "sends e-mail (tests/cli/test_surveys.py)",
    "surveys run-invitations": "sends e-mail (tests/cli/test_surveys.py)",
    "surveys opt-out": "writes (tests/cli/test_surveys.py)",
    "surveys contacts import": "reads a contacts file (tests/cli/test_surveys.py)",
}
DISTINCT = ("ordering", "installation", "billing", "key_accounts", "field_service")  # demo words anywhere
GENERIC = ("sales", "support", "app", "retention")  # also plain English: demo names only as a value
AS_VALUE = re.compile(rf"""(?:│|["'])\s*({"|".join(GENERIC)})\s*(?:│|["'])""")


def demo_names(said: str) -> set[str]:
    """The demo company's touchpoints and teams named in `said` (as a word, or a generic one as a value)."""
    found = {word for word in DISTINCT if re.search(rf"\b{word}\b", said)}
    return found | set(AS_VALUE.findall(said))


def _checked(result: Result, command: tuple[str, ...]) -> None:
    said = result.stdout + result.stderr
    assert "Traceback" not in said, (command, said)
    assert result.exit_code in (0, 2), (command, result.exit_code, said)
    if result.exit_code == 2:  # one sentence on stderr, naming what is missing
        errors = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(errors) == 1 and errors[0].startswith("error: "), (command, result.stderr)
        assert errors[0].rstrip().endswith("."), (command, result.stderr)
    else:
        assert "error:" not in result.stderr, (command, result.stderr)
    assert not demo_names(said), (command, demo_names(said), said)


def _named(run: tuple[tuple[str, ...], ...]) -> str:
    return " ".join(run[0]) + (f" (and {len(run) - 1} more)" if len(run) > 1 else "")


@pytest.mark.parametrize("run", RUNS, ids=_named)
def test_every_command_runs_on_a_config_naming_only_the_users_touchpoints(
    on_own: Callable[..., Result], run: tuple[tuple[str, ...], ...]
) -> None:
    for command in run:
        _checked(on_own(*command), command)


def test_the_sweep_covers_every_command_cxgap_lists() -> None:
    from typer.main import get_command

    from cxgap.cli.main import app

    def paths(command: object, prefix: str) -> list[str]:
        children = getattr(command, "commands", None)
        if children is None:
            return [prefix]
        return [p for name, sub in children.items() for p in paths(sub, f"{prefix} {name}".strip())]

    listed = set(paths(get_command(app), ""))
    swept = {" ".join(c for c in command if not c.startswith("-")) for run in RUNS for command in run}
    covered = {path for path in listed if any(s == path or s.startswith(path + " ") for s in swept)}
    assert listed - covered - set(LEFT_OUT) == set()
    assert set(LEFT_OUT) <= listed  # no stale exclusion


def test_the_answers_name_the_users_own_touchpoints_and_items(on_own: Callable[..., Result]) -> None:
    analysed = on_own("analyze", "--all", "--format", "json")
    assert analysed.exit_code == 0, analysed.stderr
    shown = json.loads(analysed.stdout)
    assert {g["subject"] for g in shown["gaps"] if g["kind"] == "customer"} >= {
        "punctuality",
        "seat",
        "staff",
    }
    assert shown["scores"]["nps"]["n"] == 120 and shown["scores"]["csat"]["n"] == 120
    by_touchpoint = on_own("drivers", "--replicates", "20", "--by", "touchpoints", "--format", "csv")
    assert by_touchpoint.exit_code == 0, by_touchpoint.stderr
    assert sorted(row["name"] for row in csv.DictReader(io.StringIO(by_touchpoint.stdout))) == [
        "check_in",
        "flight",
    ]


def test_demo_names_are_found_where_they_would_be_shown() -> None:
    assert demo_names("│ installation │ 12 │") == {"installation"}
    assert demo_names("│ support      │ 3 │") == {"support"}
    assert demo_names('{"team": "retention"}') == {"retention"}
    assert demo_names("calls, chats, app sessions; detractor's retention x growth") == set()


@pytest.mark.postgres
def test_the_users_config_on_postgresql(cli, tmp_path: Path, pg_url: str) -> None:
    (tmp_path / "cxgap.toml").write_text(OWN_CONFIG.format(url=pg_url), encoding="utf-8")
    for name, (data, mapping) in OWN_FILES.items():
        (tmp_path / f"{name}.csv").write_text(data, encoding="utf-8")
        (tmp_path / f"{name}.toml").write_text(mapping, encoding="utf-8")
        assert cli("import", f"{name}.csv", "--mapping", f"{name}.toml").exit_code == 0
    for command in (
        ("status",),
        ("analyze", "--all"),
        ("drivers", "--replicates", "20"),
        ("impact",),
        ("journeys",),
        ("risk",),
        ("cases", "open"),
        ("playbooks", "run", "--dry-run"),
        ("surveys", "rates"),
    ):
        _checked(cli(*command), command)
