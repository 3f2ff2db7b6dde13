"""cxgap.toml: defaults, the starter file, and one-sentence errors naming key, value and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxgap.config import DEFAULT_STORE_URL, demo_settings, load_settings, settings_from_dict, starter_config
from cxgap.errors import ConfigError


def test_defaults_need_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CXGAP_STORE_URL", raising=False)
    monkeypatch.delenv("CXGAP_CONFIG", raising=False)
    settings = load_settings()
    assert settings.store.url == DEFAULT_STORE_URL
    assert settings.analysis.min_n == 30
    assert settings.engine_url == DEFAULT_STORE_URL


def test_starter_is_valid_and_equals_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "cxgap.toml"
    path.write_text(starter_config(), encoding="utf-8")
    beside = {
        "store": {"url": f"duckdb:///{tmp_path.resolve() / 'cxgap.duckdb'}"}
    }  # the default store, there
    assert load_settings(path) == settings_from_dict(beside)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (None, "{folder}/cxgap.duckdb"),
        ("duckdb:///data/cx.duckdb", "{folder}/data/cx.duckdb"),
        ("duckdb:////srv/cx.duckdb", "/srv/cx.duckdb"),
    ],
    ids=["default store", "relative path", "absolute path"],
)
def test_a_store_file_named_in_a_configuration_lies_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str | None, expected: str
) -> None:
    """`--config other/cxgap.toml` from another folder reads other/'s store, not one in the folder the
    command runs from (it used to create an empty store there)."""
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "cxgap.toml").write_text(f'[store]\nurl = "{written}"\n' if written else "", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("CXGAP_STORE_URL", raising=False)
    url = load_settings(Path("../other/cxgap.toml")).store.url
    assert url == "duckdb:///" + expected.format(folder=folder.resolve())
    monkeypatch.setenv("CXGAP_STORE_URL", "duckdb:///mine.duckdb")  # the environment's stays as given
    assert load_settings(Path("../other/cxgap.toml")).store.url == "duckdb:///mine.duckdb"


def test_wrong_value_names_key_value_and_expectation() -> None:
    with pytest.raises(ConfigError) as error:
        settings_from_dict({"analysis": {"min_n": "lots"}}, "cxgap.toml")
    message = str(error.value)
    assert "analysis.min_n" in message and "'lots'" in message and "integer" in message


def test_too_small_min_n_says_the_bound() -> None:
    with pytest.raises(ConfigError, match=r"analysis.min_n.*1.*greater than or equal to 2"):
        settings_from_dict({"analysis": {"min_n": 1}})


def test_unknown_key_is_named() -> None:
    with pytest.raises(ConfigError, match="unknown key 'analysis.min_m'; did you mean 'min_n'\\?$"):
        settings_from_dict({"analysis": {"min_m": 5}})
    with pytest.raises(
        ConfigError, match=r"unknown key 'analysis.zzz'; \[analysis\] takes confidence, min_n\.$"
    ):
        settings_from_dict({"analysis": {"zzz": 5}})


def test_a_mapping_key_misspelt_or_under_the_wrong_section_says_what_was_meant() -> None:
    """TOML files a key under the section above it: a top-level key written after [factors] is refused
    with where it belongs, a misspelt one with the key it seems to mean."""
    from cxgap.io import mapping_from_dict

    with pytest.raises(ConfigError, match="unknown key 'colums'; did you mean 'columns'\\?$"):
        mapping_from_dict({"table": "customers", "colums": {"customer_id": "id"}}, "m.toml")
    misplaced = {"table": "customers", "columns": {"customer_id": "id"}, "factors": {"delimiter": ";"}}
    with pytest.raises(ConfigError, match="'delimiter' belongs at the top of the file, above the first"):
        mapping_from_dict(misplaced, "m.toml")


def test_item_with_unknown_dimension_is_named() -> None:
    with pytest.raises(ConfigError, match="items.speed = 'fastness' is not one of the dimensions"):
        settings_from_dict({"items": {"speed": "fastness"}})


def test_bad_store_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="store.url"):
        settings_from_dict({"store": {"url": "mysql://x"}})


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cxgap.toml"
    path.write_text("[store\nurl = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="cxgap.toml: not valid TOML"):
        load_settings(path)


def test_environment_overrides_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CXGAP_STORE_URL", "duckdb:///elsewhere.duckdb")
    assert load_settings().store.url == "duckdb:///elsewhere.duckdb"


DEMO_WORDS = (
    "sales",
    "ordering",
    "installation",
    "billing",
    "support",
    "key_accounts",
    "field_service",
    "retention",
)


def test_no_default_names_a_touchpoint_item_or_team_the_user_did_not_write() -> None:
    """The issue's first hour: `touchpoints = ["flight"]` alone is a valid configuration, and nothing the
    defaults hold (rules, incidents, playbooks, themes, items) names the demo company."""
    own = settings_from_dict({"touchpoints": ["flight"]})
    assert own.touchpoints == ["flight"]
    defaults = settings_from_dict({}).model_dump_json()
    assert not [word for word in DEMO_WORDS if f'"{word}"' in defaults]
    assert not settings_from_dict({}).items and not settings_from_dict({}).cases.rules


def test_the_starter_names_the_demo_only_in_comments() -> None:
    live = [
        line for line in starter_config().splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    assert not [line for line in live for word in DEMO_WORDS if f'"{word}"' in line]


def test_the_demo_carries_its_own_configuration(cli, tmp_path: Path) -> None:
    """`cxgap demo` in a folder without cxgap.toml writes the demo company's, so the commands after it see
    the demo's touchpoints and rules; `cxgap init` still writes the neutral starter."""
    made = cli("demo", "--customers", "200", "--no-analysis", "--no-loop")
    assert made.exit_code == 0, made.stderr
    beside = {"store": {"url": f"duckdb:///{tmp_path.resolve() / 'cxgap.duckdb'}"}}  # its store, there
    loaded, demo = load_settings(tmp_path / "cxgap.toml"), demo_settings()
    assert loaded.store.url == beside["store"]["url"]
    assert loaded.model_copy(update={"store": demo.store}) == demo
    assert "demo company's configuration" in made.stdout
    assert cli("init", "starter.toml").exit_code == 0
    assert load_settings(tmp_path / "starter.toml") == settings_from_dict(beside)
