"""Starter templates for ``linegroupbot new``, made from the shipped examples.

The examples are the only copy of each template's code and tests: a template is an
example's module(s) renamed to ``app.py``, its test file pointed at ``app.py``, and
the project files (setup.cfg, README, .env.example) generated around them.
"""

from __future__ import annotations

import configparser
import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import attrs

from .errors import ConfigurationError

__all__ = ["TEMPLATES", "Template", "create_project", "describe"]


@attrs.frozen
class Template:
    """A template: which example files become which project files, and the example's test."""

    name: str
    files: dict[str, str]
    test: str
    bundled: dict[str, tuple[str, ...]] = attrs.Factory(dict)
    """Example packages copied beside the bot (directory -> its files), installed with it."""


_SHOUT_FILES = (
    "setup.cfg",
    "pyproject.toml",
    "README.md",
    "linegroupbot_shout/__init__.py",
    "linegroupbot_shout/py.typed",
)

TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template("echo", {"app.py": "echo.py"}, "tests/test_echo.py"),
        Template("welcome", {"app.py": "welcome.py"}, "tests/test_welcome.py"),
        Template("admin", {"app.py": "admin.py"}, "tests/test_admin.py"),
        Template("poll", {"app.py": "poll.py"}, "tests/test_poll.py"),
        Template("reminders", {"app.py": "reminders.py"}, "tests/test_reminders.py"),
        Template("signup", {"app.py": "signup.py"}, "tests/test_signup.py"),
        Template(
            "multimodule",
            {
                "app.py": "multimodule/app.py",
                "middleware.py": "multimodule/middleware.py",
                "handlers/__init__.py": "multimodule/handlers/__init__.py",
                "handlers/greetings.py": "multimodule/handlers/greetings.py",
                "handlers/admin.py": "multimodule/handlers/admin.py",
            },
            "tests/test_multimodule.py",
            bundled={"plugin_shout": _SHOUT_FILES},
        ),
    )
}
"""Every template, by name."""

_TEMPLATE_PATH = re.compile(r"^EXAMPLE = .*# template-path$", re.MULTILINE)


def _examples() -> Traversable:
    return resources.files("linegroupbot._examples")


def _read(relative: str) -> str:
    node = _examples()
    for part in relative.split("/"):
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def describe(name: str) -> str:
    """The first line of the template's example docstring."""
    source = _read(TEMPLATES[name].files["app.py"])
    match = re.match(r'\s*"""(.*?)(?:\n|""")', source)
    return match.group(1).strip() if match else name


def _project_name(folder: str) -> str:
    """The distribution name in a bundled package's setup.cfg."""
    parser = configparser.ConfigParser()
    parser.read_string(_read(f"{folder}/setup.cfg"))
    return parser["metadata"]["name"]


def _setup_cfg(project: str, template: Template) -> str:
    modules = sorted({f[:-3] for f in template.files if "/" not in f})
    packages = sorted({f.split("/")[0] for f in template.files if "/" in f})
    lines = [
        "[metadata]",
        f"name = {project}",
        "version = 0.1.0",
        f"description = A LINE group bot made from the linegroupbot {template.name} template",
        "",
        "[options]",
        "py_modules =",
        *(f"    {m}" for m in modules),
    ]
    if packages:
        lines += ["packages =", *(f"    {p}" for p in packages)]
    lines += [
        "python_requires = >=3.11",
        "install_requires =",
        "    linegroupbot[test]",
        *(f"    {_project_name(folder)}" for folder in template.bundled),
        "",
        "[tool:pytest]",
        "testpaths = tests",
        "asyncio_mode = auto",
        "asyncio_default_fixture_loop_scope = function",
        "",
    ]
    return "\n".join(lines)


def _readme(project: str, template: Template) -> str:
    install = " ".join(["pip install", *(f"-e ./{d}" for d in template.bundled), "-e ."])
    bundled = "".join(
        f"\n`{d}/` is a package of its own that the bot uses; the setup command installs it too.\n"
        for d in template.bundled
    )
    return f"""# {project}

{describe(template.name)}

Made from the linegroupbot `{template.name}` template.
{bundled}
```console
# 1. set up, then chat with the bot in your browser through the local LINE emulator
python3 -m venv .venv && . .venv/bin/activate && {install} && linegroupbot dev app.py:bot

# 2. run the tests (they talk to the bot through the emulator too)
. .venv/bin/activate && python -m pytest
```

To deploy, set the variables in `.env.example` and run
`linegroupbot run app.py:bot --host 0.0.0.0 --port 8000 --log-format json`
behind an HTTPS reverse proxy; point the LINE console's webhook URL at `/callback`.
"""


ENV_EXAMPLE = """\
# Copy to .env (never commit it) and fill in from the LINE Developers console.
LINE_CHANNEL_SECRET=
LINE_CHANNEL_ACCESS_TOKEN=
# Only when talking to something other than LINE itself (e.g. the local emulator):
# LINE_API_BASE_URL=http://127.0.0.1:8787
# LINE_DATA_API_BASE_URL=http://127.0.0.1:8787
"""

GITIGNORE = ".venv/\n__pycache__/\n*.egg-info/\n.env\n"


def create_project(directory: Path, template_name: str, *, force: bool = False) -> list[Path]:
    """Write a ready project made from a template into ``directory``; returns the files.

    Refuses a non-empty directory unless ``force`` (existing files are then overwritten).
    """
    template = TEMPLATES.get(template_name)
    if template is None:
        raise ConfigurationError(
            f"no template {template_name!r}; choose one of: {', '.join(sorted(TEMPLATES))}"
        )
    if directory.exists() and any(directory.iterdir()) and not force:
        raise ConfigurationError(
            f"{directory} is not empty: choose a new directory, or pass --force to write into it"
        )
    project = re.sub(r"[^A-Za-z0-9._-]+", "-", directory.resolve().name).strip("-") or "linebot"
    test_source = _TEMPLATE_PATH.sub('EXAMPLE = HERE.parent / "app.py"', _read(template.test))
    outputs: dict[str, str] = {target: _read(source) for target, source in template.files.items()}
    for folder, files in template.bundled.items():
        outputs.update({f"{folder}/{name}": _read(f"{folder}/{name}") for name in files})
    outputs.update(
        {
            "tests/__init__.py": "",
            "tests/test_app.py": test_source,
            "setup.cfg": _setup_cfg(project, template),
            "pyproject.toml": (
                '[build-system]\nrequires = ["setuptools>=68", "wheel"]\n'
                'build-backend = "setuptools.build_meta"\n'
            ),
            "README.md": _readme(project, template),
            ".env.example": ENV_EXAMPLE,
            ".gitignore": GITIGNORE,
        }
    )
    written: list[Path] = []
    for relative, text in outputs.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
