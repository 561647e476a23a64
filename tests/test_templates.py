"""``linegroupbot new``: each template becomes a project that installs and passes its tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from linegroupbot import ConfigurationError
from linegroupbot.cli import main
from linegroupbot.templates import (
    TEMPLATES,
    InstallSource,
    create_project,
    describe,
    install_source,
)

ROOT = Path(__file__).resolve().parents[1]


def _pip(command: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run pip offline-friendly: no dependencies, no isolated build environment."""
    return subprocess.run(
        [sys.executable, "-m", "pip", command, "-q", "--no-deps", "--no-build-isolation", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_installs_and_its_tests_pass(tmp_path: Path, name: str) -> None:
    project = tmp_path / f"my-{name}-bot"
    create_project(project, name, source=InstallSource("index"))
    for required in (
        "app.py",
        "pyproject.toml",
        "README.md",
        ".env.example",
        "Dockerfile",
        "compose.yaml",
        ".dockerignore",
        "tests/test_app.py",
    ):
        assert (project / required).is_file(), required
        if required != "README.md":
            assert required in (project / "README.md").read_text(), required
    readme = (project / "README.md").read_text()
    assert "pip install " + "".join(f"-e ./{d} " for d in TEMPLATES[name].bundled) in readme
    assert "-e '.[test]'\nlinegroupbot dev app.py:bot\npython -m pytest\n" in readme
    assert "examples" not in (project / "app.py").read_text()
    assert "examples" not in (project / "tests" / "test_app.py").read_text()
    site = tmp_path / "site"
    install = _pip(
        "install",
        "--target",
        str(site),
        *(str(project / folder) for folder in TEMPLATES[name].bundled),
        str(project),
    )
    assert install.returncode == 0, install.stderr
    assert (site / "app.py").is_file()
    for folder in TEMPLATES[name].bundled:
        assert (project / folder / "setup.cfg").is_file()
    env = {**os.environ, "PYTHONPATH": str(site)}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout


def test_refuses_a_non_empty_directory_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ConfigurationError, match="not empty"):
        create_project(tmp_path, "echo")
    create_project(tmp_path, "echo", force=True)
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert (tmp_path / "app.py").is_file()


def test_unknown_template_lists_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="echo"):
        create_project(tmp_path / "x", "nope")


def test_template_code_is_the_example_code_naming_the_project_file(tmp_path: Path) -> None:
    create_project(tmp_path / "p", "poll", source=InstallSource("index"))
    example = (ROOT / "examples" / "poll.py").read_text()
    assert (tmp_path / "p" / "app.py").read_text() == example.replace("examples/poll.py", "app.py")


def test_the_project_depends_on_linegroupbot_and_tests_on_its_testing_extra(
    tmp_path: Path,
) -> None:
    import tomllib

    import linegroupbot

    create_project(tmp_path / "p", "echo", source=InstallSource("index"))
    project = tomllib.loads((tmp_path / "p" / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == [f"linegroupbot>={linegroupbot.__version__}"]
    assert project["optional-dependencies"]["test"] == ["linegroupbot[testing]"]
    readme = (tmp_path / "p" / "README.md").read_text()
    assert "pip install -e '.[test]'" in readme
    assert "wheels/" not in readme
    assert not (tmp_path / "p" / "wheels").exists()


def test_a_local_wheel_is_copied_into_the_project_and_installed_from_there(
    tmp_path: Path,
) -> None:
    wheel = tmp_path / "linegroupbot-9.9-py3-none-any.whl"
    wheel.write_bytes(b"not really a wheel")
    create_project(tmp_path / "p", "echo", source=InstallSource("archive", str(wheel)))
    assert (tmp_path / "p" / "wheels" / wheel.name).read_bytes() == b"not really a wheel"
    readme = (tmp_path / "p" / "README.md").read_text()
    assert f"pip install ./wheels/{wheel.name} -e '.[test]'" in readme
    assert f"./wheels/{wheel.name}" in (tmp_path / "p" / "Dockerfile").read_text()


def test_this_checkout_is_detected_as_an_editable_directory_install() -> None:
    """The dev venv installs linegroupbot with ``pip install -e .``: PEP 610 says so."""
    from importlib.metadata import distribution

    recorded = json.loads(distribution("linegroupbot").read_text("direct_url.json") or "{}")
    assert recorded.get("dir_info", {}).get("editable") is True
    source = install_source()
    assert source == InstallSource("directory", str(ROOT), editable=True)


def test_list_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "--list"]) == 0
    out = capsys.readouterr().out
    for name in TEMPLATES:
        assert name in out
        assert describe(name) in out


def _cmd_line(dockerfile: str) -> list[str]:
    """The Dockerfile's CMD, as the JSON array it is written in (continuation lines joined)."""
    text = dockerfile.replace("\\\n", " ")
    [cmd] = [line for line in text.splitlines() if line.startswith("CMD ")]
    parsed: list[str] = json.loads(cmd[4:])
    return parsed


@pytest.mark.parametrize(
    "source", [InstallSource("index"), InstallSource("directory", "/src/lgb", editable=True)]
)
def test_the_container_files_run_commands_the_cli_accepts(
    tmp_path: Path, source: InstallSource
) -> None:
    import yaml

    from linegroupbot.cli import _parser

    project = tmp_path / "p"
    create_project(project, "multimodule", source=source)
    dockerfile = (project / "Dockerfile").read_text()
    command = _cmd_line(dockerfile)
    assert command[0] == "linegroupbot"
    args = _parser().parse_args(command[1:])
    assert (args.command, args.target, args.host, args.port) == (
        "run",
        "app.py:bot",
        "0.0.0.0",  # noqa: S104 (the container listens on all its interfaces)
        8000,
    )
    assert "RUN pip install ./plugin_shout " in dockerfile
    assert "LINEGROUPBOT_STORE=sqlite:////data/linegroupbot.db" in dockerfile
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"redis", "receiver", "worker"}
    receiver = _parser().parse_args(services["receiver"]["command"][1:])
    assert (receiver.command, receiver.role) == ("run", "receiver")
    worker = _parser().parse_args(services["worker"]["command"][1:])
    assert worker.command == "worker"
    for name in ("receiver", "worker"):
        assert services[name]["environment"]["LINEGROUPBOT_STORE"] == "redis://redis:6379/0"
        assert services[name]["build"]["args"]["EXTRAS"] == "[redis]"
        assert services[name]["env_file"] == [".env"]
    ignored = (project / ".dockerignore").read_text().split()
    assert ".env" in ignored
    assert ".venv/" in ignored
