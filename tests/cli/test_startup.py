"""Start-up and exit: the console script loads only the module of the command being run (cxgap.cli.commands)
and ends the process with the command's code, all its output and the exit handlers run; and
`import cxgap` loads its public names lazily. Module loading is checked in fresh processes (a test process
has long loaded everything); no timing is asserted."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from cxgap.cli.commands import COMMANDS, module_for

# Command modules and the analytics `cxgap risk --help` has no use for.
NOT_FOR_RISK = {f"cxgap.cli.{module}" for module in set(COMMANDS.values()) - {"app", "risk"}} | {
    "cxgap.cli.main",
    "cxgap.report",
    "cxgap.text.service",
    "cxgap.io",
    "cxgap.gaps",
    "pandas",
}


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "CXGAP_CONFIG", "CXGAP_STORE_URL")}


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=120
    )


def _script() -> str:
    """The installed `cxgap` console script (beside this interpreter in a virtual environment)."""
    beside = Path(sys.executable).parent / "cxgap"
    found = str(beside) if beside.exists() else shutil.which("cxgap")
    if found is None:
        pytest.skip("the cxgap console script is not installed")
    return found


def _cxgap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_script(), *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=120
    )


def _registered(app: typer.Typer) -> set[str]:
    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_the_table_names_every_command_and_the_module_that_registers_it() -> None:
    from cxgap.cli.main import app  # every command

    assert set(COMMANDS) == _registered(app)
    for command in app.registered_commands:  # a sub-app's module is checked in a fresh process below
        name = command.name or command.callback.__name__  # type: ignore[union-attr]
        assert COMMANDS[name] == command.callback.__module__.rpartition(".")[2], name  # type: ignore[union-attr]


@pytest.mark.parametrize("module", sorted(set(COMMANDS.values())))
def test_loading_one_commands_module_registers_its_commands(module: str, tmp_path: Path) -> None:
    names = sorted(name for name, home in COMMANDS.items() if home == module)
    assert module_for(["cxgap", names[0]]) == f"cxgap.cli.{module}"
    done = _python(
        "import json, sys, typer.main\n"
        "from cxgap.cli.commands import load\n"
        f"load(['cxgap', {names[0]!r}])\n"
        "from cxgap.cli.app import app\n"
        "group = typer.main.get_command(app)\n"
        "print(json.dumps({'commands': sorted(group.commands), 'all': 'cxgap.cli.main' in sys.modules}))\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert set(names) <= set(loaded["commands"])
    assert not loaded["all"]  # only the one module, not the full registry


def test_risk_help_from_the_console_script(tmp_path: Path) -> None:
    done = _cxgap("risk", "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Usage: cxgap risk" in done.stdout
    for option in ("--top", "--calibration", "--seed", "--format"):
        assert option in done.stdout


@pytest.mark.parametrize("command", ["risk", "users"])
def test_a_command_loads_only_its_own_module(command: str, tmp_path: Path) -> None:
    done = _python(
        "import json, sys\n"
        "from cxgap.cli.commands import main\n"
        f"sys.argv = ['cxgap', {command!r}, '--help']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    code = exit.code\n"
        "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)\n",
        tmp_path,
    )
    said = json.loads(done.stderr.strip().splitlines()[-1])
    assert said["code"] in (0, None)
    assert f"cxgap.cli.{COMMANDS[command]}" in said["modules"]
    others = NOT_FOR_RISK - {f"cxgap.cli.{COMMANDS[command]}"}
    assert sorted(others & set(said["modules"])) == []


def test_help_without_a_command_lists_every_command(tmp_path: Path) -> None:
    done = _cxgap("--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    listed = {m.group(1) for m in re.finditer(r"^\W*([a-z]+)\s{2,}\S", done.stdout, re.MULTILINE)}
    assert set(COMMANDS) <= listed


def test_an_unknown_command_gets_typers_error(tmp_path: Path) -> None:
    done = _cxgap("analyse", cwd=tmp_path)  # mistyped
    assert done.returncode == 2
    assert "No such command 'analyse'" in done.stderr


def test_python_dash_m_runs_the_same_entry(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cxgap", "users", "--help"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "API users, roles and tokens." in done.stdout


def test_import_cxgap_is_light_and_its_names_still_load(tmp_path: Path) -> None:
    done = _python(
        "import json, sys\n"
        "import cxgap\n"
        "light = {m: m in sys.modules for m in ('pandas', 'cxgap.io', 'cxgap.store')}\n"
        "from cxgap import Store, import_file, Settings, ConfigError\n"
        "import cxgap.store, cxgap.io, cxgap.config, cxgap.errors\n"
        "same = [Store is cxgap.store.Store, import_file is cxgap.io.import_file,\n"
        "        Settings is cxgap.config.Settings, ConfigError is cxgap.errors.ConfigError]\n"
        "print(json.dumps({'light': light, 'same': same, 'version': cxgap.__version__,\n"
        "                  'all': sorted(cxgap.__all__), 'dir': set(cxgap.__all__) <= set(dir(cxgap))}))\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    assert said["light"] == {"pandas": False, "cxgap.io": False, "cxgap.store": False}
    assert said["same"] == [True, True, True, True]
    assert said["version"] and said["dir"]
    import cxgap

    assert said["all"] == sorted(cxgap.__all__)
    for name in cxgap.__all__:
        assert getattr(cxgap, name) is not None
    with pytest.raises(AttributeError):
        cxgap.no_such_name  # noqa: B018


def test_subpackages_are_reached_as_attributes_of_cxgap(tmp_path: Path) -> None:
    """`import cxgap; cxgap.store.Store` worked when cxgap imported its subpackages at once; it still does."""
    done = _python(
        "import cxgap\nprint(cxgap.store.Store.__name__, cxgap.io.import_file.__name__, cxgap.churn.__name__)\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["Store", "import_file", "cxgap.churn"]


@pytest.mark.parametrize(("given", "expected"), [(None, "False"), ("1", "True")])
def test_the_command_line_asks_numpy_for_no_huge_pages_unless_the_user_does(
    given: str | None, expected: str, tmp_path: Path
) -> None:
    code = (
        "import sys\nfrom cxgap.cli.commands import main\nsys.argv = ['cxgap', 'users', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import numpy\nprint('huge pages', numpy._core.multiarray._get_madvise_hugepage())\n"
    )
    env = {k: v for k, v in _env().items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if given is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = given
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"huge pages {expected}"


def _ended_by_run(argv: list[str], before: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """A process that runs the console script's entry on `argv` after `before` (Python source)."""
    return _python(
        "import atexit, sys, threading, time\n"
        "from cxgap.cli.commands import run\n"
        "atexit.register(lambda: print('exit handlers ran', file=sys.stderr))\n"
        f"{before}\n"
        f"sys.argv = {['cxgap', *argv]!r}\n"
        "run()\n"
        "print('not reached', file=sys.stderr)\n",
        tmp_path,
    )


@pytest.mark.parametrize("other_thread", [False, True])
def test_the_entry_ends_with_the_commands_code_its_output_and_exit_handlers(
    other_thread: bool, tmp_path: Path
) -> None:
    before = "threading.Thread(target=time.sleep, args=(0.3,)).start()" if other_thread else ""
    helped = _ended_by_run(["--help"], before, tmp_path)
    assert helped.returncode == 0, helped.stderr
    by_main = _python(
        "import sys\nfrom cxgap.cli.commands import main\nsys.argv = ['cxgap', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n",
        tmp_path,
    )
    assert "Usage:" in helped.stdout and helped.stdout == by_main.stdout  # all of it, flushed
    assert "exit handlers ran" in helped.stderr and "not reached" not in helped.stderr
    wrong = _ended_by_run(["analyse"], before, tmp_path)
    assert wrong.returncode == 2 and "No such command 'analyse'" in wrong.stderr
    assert "exit handlers ran" in wrong.stderr


def test_the_entry_keeps_the_commands_code_when_its_output_is_closed(tmp_path: Path) -> None:
    def closed(argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # started with no standard output at all (sys.stdout is None), as cron may
            [
                sys.executable,
                "-c",
                f"import sys\nfrom cxgap.cli.commands import run\nsys.argv = {argv!r}\nrun()",
            ],
            cwd=tmp_path,
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            preexec_fn=lambda: os.close(1),
        )

    helped = closed(["cxgap", "--help"])
    assert helped.returncode == 0 and "Traceback" not in helped.stderr, helped.stderr
    wrong = closed(["cxgap", "analyse"])
    assert wrong.returncode == 2 and "No such command 'analyse'" in wrong.stderr
