"""The release path: build the wheel and sdist, install the wheel into a fresh venv outside this
checkout, make every template there and run its README's commands verbatim.

Only the built wheel is installed from a file; every dependency comes from the package index, as
it would for a user (deselect with ``-m "not network"`` where no index is reachable).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from linegroupbot.templates import TEMPLATES

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.network


def _clean_env() -> dict[str, str]:
    """The environment of a new shell: no active venv, nothing of this checkout on any path."""
    venv_bin = str(Path(sys.prefix) / "bin")
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != venv_bin]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"} and not k.startswith("LINE_")
    }
    env["PATH"] = os.pathsep.join(path)
    return env


def _sh(command: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],  # noqa: S607 (a shell, as the README reader has)
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m build``: an sdist, then a wheel built from that sdist."""
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def tool(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv outside the checkout with linegroupbot installed from the built wheel."""
    home = tmp_path_factory.mktemp("user")
    assert ROOT not in home.parents
    (wheel,) = dist.glob("linegroupbot-*.whl")
    made = _sh(f"python3 -m venv tool && tool/bin/pip install -q {wheel}", home)
    assert made.returncode == 0, made.stderr[-3000:]
    yield home
    shutil.rmtree(home, ignore_errors=True)


def test_the_wheel_holds_the_package_and_the_templates_as_plain_files(dist: Path) -> None:
    (wheel,) = dist.glob("linegroupbot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "linegroupbot/py.typed" in names
    assert "linegroupbot/emulator/ui/index.html" in names
    assert not [n for n in names if "_examples" in n or "__pycache__" in n or n.endswith(".pyc")]
    for template in TEMPLATES.values():
        sources = [*template.files.values(), template.test]
        sources += [f"{d}/{name}" for d, files in template.bundled.items() for name in files]
        for source in sources:
            assert f"linegroupbot/template-sources/{source}" in names, source
    info = next(n for n in names if n.endswith(".dist-info/METADATA"))
    metadata = zipfile.ZipFile(wheel).read(info).decode()
    assert "License-Expression: MIT" in metadata
    assert "Classifier: Framework :: Pytest" in metadata
    assert "Requires-Dist: pytest-aiohttp>=1.0; extra == 'testing'" in metadata
    testing = [line for line in metadata.splitlines() if line.endswith("extra == 'testing'")]
    assert not [line for line in testing if "playwright" in line or "hypothesis" in line]
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_the_sdist_holds_what_builds_and_tests_the_project(dist: Path) -> None:
    (sdist,) = dist.glob("linegroupbot-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    for required in ("LICENSE", "pyproject.toml", "hatch_build.py", "setup.cfg", "CHANGELOG.md"):
        assert required in names, required
    assert "tests/test_templates.py" in names
    assert "examples/echo.py" in names
    assert "docs/conf.py" in names
    assert not [n for n in names if "__pycache__" in n or n.startswith(("docs/_build", ".venv"))]


def _readme_commands(project: Path) -> list[str]:
    readme = (project / "README.md").read_text()
    block = readme.split("```console\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


async def _dev_answers(project: Path, command: str) -> str:
    """Start the README's dev command, wait for its chat URL, fetch the emulator page."""
    # A fixed port could be taken on a shared machine: the same command, on any free port.
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        f". .venv/bin/activate && exec {command} --port 0",
        cwd=project,
        env=_clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    assert process.stdout is not None
    seen: list[str] = []
    try:

        async def url() -> str:
            assert process.stdout is not None
            while line := (await process.stdout.readline()).decode():
                seen.append(line)
                if match := re.search(r"Chat with your bot at (http://127\.0\.0\.1:\d+)/", line):
                    return match.group(1)
            raise AssertionError("dev ended:\n" + "".join(seen))

        base = await asyncio.wait_for(url(), 60)
        async with aiohttp.ClientSession() as session, session.get(base + "/") as resp:
            assert resp.status == 200
            return await resp.text()
    finally:
        if process.returncode is None:
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 30)
        finally:
            if process.returncode is None:
                process.kill()


@pytest.mark.parametrize("name", sorted(TEMPLATES))
async def test_a_template_works_in_a_fresh_venv_from_the_wheel(tool: Path, name: str) -> None:
    made = _sh(f"tool/bin/linegroupbot new {name}-bot --template {name}", tool)
    assert made.returncode == 0, made.stderr
    project = tool / f"{name}-bot"
    setup, dev, test = _readme_commands(project)
    assert "./wheels/linegroupbot-" in setup  # installed from a local wheel: the project has it
    assert (project / "wheels").is_dir()
    assert dev == "linegroupbot dev app.py:bot"
    assert test == "python -m pytest"

    installed = _sh(setup, project)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    listed = _sh(". .venv/bin/activate && pip list --format freeze", project).stdout
    for heavy in ("playwright", "hypothesis", "redis"):
        assert heavy not in listed.lower(), listed
    tests = _sh(f". .venv/bin/activate && {test}", project)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert re.search(r"\d+ passed", tests.stdout)
    page = await _dev_answers(project, dev)
    assert "<html" in page.lower()
