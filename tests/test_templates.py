"""``linegroupbot new``: each template becomes a project that installs and passes its tests."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from linegroupbot import ConfigurationError
from linegroupbot.cli import main
from linegroupbot.templates import TEMPLATES, create_project, describe


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
    create_project(project, name)
    for required in (
        "app.py",
        "setup.cfg",
        "pyproject.toml",
        "README.md",
        ".env.example",
        "tests/test_app.py",
    ):
        assert (project / required).is_file(), required
    readme = (project / "README.md").read_text()
    assert "linegroupbot dev app.py:bot" in readme
    assert "python -m pytest" in readme
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
        assert f"-e ./{folder}" in readme
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


def test_template_code_is_the_example_code(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1] / "examples"
    create_project(tmp_path / "p", "poll")
    assert (tmp_path / "p" / "app.py").read_text() == (root / "poll.py").read_text()


def test_list_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "--list"]) == 0
    out = capsys.readouterr().out
    for name in TEMPLATES:
        assert name in out
        assert describe(name) in out


def test_the_wheel_carries_every_template_file(tmp_path: Path) -> None:
    """Templates are read from the installed package: a wheel must hold all their files."""
    root = Path(__file__).resolve().parents[1]
    build = _pip("wheel", "--wheel-dir", str(tmp_path), str(root))
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("linegroupbot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in TEMPLATES.values():
        sources = [*template.files.values(), template.test]
        for folder, files in template.bundled.items():
            sources += [f"{folder}/{name}" for name in files]
        for source in sources:
            assert f"linegroupbot/_examples/{source}" in names, source
