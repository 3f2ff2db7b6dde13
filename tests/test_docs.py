"""Documentation cannot fall behind the code: commands, mapping keys and settings are all described."""

from __future__ import annotations

from pathlib import Path

from cxgap.cli.main import app
from cxgap.config import Settings, starter_config
from cxgap.io.mapping import PRESETS, Mapping

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme() -> None:
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    for group in app.registered_groups:
        names += [f"{group.name} {c.name}" for c in group.typer_instance.registered_commands]
    missing = [name for name in names if f"cxgap {name}" not in README]
    assert names and missing == []


def test_every_mapping_key_and_preset_is_in_the_readme() -> None:
    missing = [
        key
        for key in Mapping.model_fields
        if f"`{key}`" not in README and f"{key} =" not in README and f"[{key}" not in README
    ]
    assert missing == []
    assert all(f"`{preset}`" in README for preset in PRESETS)


def test_every_setting_is_in_the_starter_config() -> None:
    starter = starter_config()
    for key, field in Settings.model_fields.items():
        assert key in starter
        if hasattr(field.annotation, "model_fields"):
            for sub in field.annotation.model_fields:
                found = f"{sub} =" in starter or f"[{key}.{sub}." in starter or f"[{key}.{sub}]" in starter
                assert found, f"{key}.{sub} is not in the starter cxgap.toml"


def test_readme_gives_the_two_commands_and_ci_runs_the_same_tests() -> None:
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    install = 'python3.11 -m venv .venv && .venv/bin/pip install -q -c constraints.txt -e ".[dev]"'
    assert f"{install} && .venv/bin/python -m pytest" in README
    assert install in ci and ".venv/bin/python -m pytest" in ci and "apt-get install -y -qq chromium" in ci
    assert "-c constraints.txt -e . && .venv/bin/cxgap demo" in README
