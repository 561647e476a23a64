"""Starter templates for ``linegroupbot new``, made from the shipped examples.

The examples are the only copy of each template's code and tests: a template is an
example's module(s) renamed to ``app.py``, its test file pointed at ``app.py``, and the
project files generated around them (``pyproject.toml``, ``README.md``, ``.env.example``,
``Dockerfile``, ``compose.yaml``, ``.gitignore``, ``.dockerignore``).

A wheel carries the examples as plain files in ``linegroupbot/template-sources/``; a
checkout (or an editable install) reads them from ``examples/``.
"""

from __future__ import annotations

import configparser
import importlib.metadata
import json
import re
import shlex
import shutil
import urllib.parse
import urllib.request
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import attrs

from .errors import ConfigurationError

__all__ = [
    "TEMPLATES",
    "InstallSource",
    "Template",
    "create_project",
    "describe",
    "install_source",
    "wheel_source",
]


@attrs.frozen
class Template:
    """A template: which example files become which project files, and the example's test.

    Attributes:
        name: The template's name (``linegroupbot new --template NAME``).
        files: Project file -> the example file it is made from.
        test: The example's test file, copied into the project.
    """

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
_WHEELS = "wheels"


def _examples() -> Traversable:
    """The folder of example files: the wheel's ``template-sources``, else the checkout's."""
    shipped = resources.files("linegroupbot").joinpath("template-sources")
    if shipped.is_dir():
        return shipped
    checkout = Path(__file__).resolve().parent.parent / "examples"
    if checkout.is_dir():
        return checkout
    raise ConfigurationError(
        "this linegroupbot installation has no template files (linegroupbot/template-sources); "
        "reinstall it from a wheel or an sdist"
    )


def _read(relative: str) -> str:
    node = _examples()
    for part in relative.split("/"):
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def describe(name: str) -> str:
    """The first line of the docstring of the example behind the template ``name``.

    Raises:
        KeyError: There is no such template.
    """
    source = _read(TEMPLATES[name].files["app.py"])
    match = re.match(r'\s*"""(.*?)(?:\n|""")', source)
    return match.group(1).strip() if match else name


@attrs.frozen
class InstallSource:
    """Where the running linegroupbot was installed from; a new project installs the same.

    ``kind`` is ``"index"`` (a package index: the project names ``linegroupbot`` and pip finds
    it), ``"archive"`` (a local wheel or sdist, ``location`` is its path: the project gets a copy
    in ``wheels/``) or ``"directory"`` (a checkout, ``location`` is its folder, ``editable`` when
    installed with ``pip install -e``). ``missing`` is the local file or folder it was installed
    from when that is gone (moved or deleted): the project then installs from the index, and
    ``linegroupbot new`` says so.
    """

    kind: str
    location: str = ""
    editable: bool = False
    missing: str = ""


def install_source() -> InstallSource:
    """Find where the running linegroupbot came from (PEP 610's ``direct_url.json``).

    pip writes ``direct_url.json`` into the installed distribution's metadata when it installs
    from a URL or a local path: ``archive_info`` for a wheel or sdist, ``dir_info`` for a
    folder. An install from an index has no such file. A remote URL counts as an index
    install; so does a local file or folder that is gone, with its path in ``missing``.
    """
    try:
        raw = importlib.metadata.distribution("linegroupbot").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:  # imported from a checkout, not installed
        return InstallSource("directory", str(Path(__file__).resolve().parent.parent))
    if not raw:
        return InstallSource("index")
    info = json.loads(raw)
    url = str(info.get("url", ""))
    if not url.startswith("file:"):
        return InstallSource("index")
    path = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
    if "dir_info" in info and path.is_dir():
        return InstallSource("directory", str(path), bool(info["dir_info"].get("editable")))
    if "archive_info" in info and path.is_file():
        return InstallSource("archive", str(path))
    return InstallSource("index", missing=str(path))


def wheel_source(path: Path) -> InstallSource:
    """The source for ``linegroupbot new --wheel PATH``: a local linegroupbot wheel or sdist.

    ``path`` must be an existing file named like a wheel (``.whl``) or an sdist (``.tar.gz``);
    anything else raises :class:`ConfigurationError` saying what was given.
    """
    if not path.is_file():
        raise ConfigurationError(
            f"no file {path} (--wheel): give the path of a linegroupbot wheel, e.g. "
            "dist/linegroupbot-1.0-py3-none-any.whl (`python -m build` writes one)"
        )
    if not path.name.startswith("linegroupbot-") or not path.name.endswith((".whl", ".tar.gz")):
        raise ConfigurationError(
            f"{path} is not a linegroupbot wheel or sdist (--wheel): its name must start with "
            "'linegroupbot-' and end with .whl or .tar.gz"
        )
    return InstallSource("archive", str(path.resolve()))


def _project_name(folder: str) -> str:
    """The distribution name in a bundled package's setup.cfg."""
    parser = configparser.ConfigParser()
    parser.read_string(_read(f"{folder}/setup.cfg"))
    return parser["metadata"]["name"]


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def _pyproject(project: str, template: Template) -> str:
    import linegroupbot

    modules = sorted({f[:-3] for f in template.files if "/" not in f})
    packages = sorted({f.rsplit("/", 1)[0].replace("/", ".") for f in template.files if "/" in f})
    dependencies = [f"linegroupbot>={linegroupbot.__version__}"]
    dependencies += [_project_name(folder) for folder in template.bundled]
    setuptools = [f"py-modules = {_toml_list(modules)}"]
    setuptools.append(f"packages = {_toml_list(packages)}")
    return f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{project}"
version = "0.1.0"
description = "A LINE group bot made from the linegroupbot {template.name} template"
requires-python = ">=3.11"
dependencies = {_toml_list(dependencies)}

[project.optional-dependencies]
# what the tests need: pytest and linegroupbot's pytest plugin (the `line` fixture)
test = ["linegroupbot[testing]"]
# the Redis store, for several receivers and workers (compose.yaml)
redis = ["linegroupbot[redis]"]

[tool.setuptools]
{chr(10).join(setuptools)}

[tool.pytest.ini_options]
testpaths = ["tests"]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
"""


def _install_command(template: Template, source: InstallSource) -> str:
    """The README's setup line: a venv, linegroupbot from ``source``, the project with tests."""
    parts = ["pip install"]
    if source.kind == "archive":
        parts.append(shlex.quote(f"./{_WHEELS}/{Path(source.location).name}"))
    elif source.kind == "directory":
        parts.append(("-e " if source.editable else "") + shlex.quote(source.location))
    parts += [f"-e ./{folder}" for folder in template.bundled]
    parts.append("-e '.[test]'")
    return "python3 -m venv .venv && . .venv/bin/activate && " + " ".join(parts)


def _files_list(template: Template) -> str:
    lines = ["- `app.py`: the bot."]
    lines += [f"- `{f}`: a module `app.py` uses." for f in sorted(template.files) if f != "app.py"]
    lines += [
        f"- `{d}/`: a package of its own that the bot uses (installed with it)."
        for d in template.bundled
    ]
    lines += [
        "- `tests/test_app.py`: its tests; they talk to the bot through linegroupbot's local LINE",
        "  emulator (the `line` fixture).",
        "- `pyproject.toml`: the project and its dependencies (`linegroupbot`; for the tests,",
        "  `linegroupbot[testing]`).",
        "- `.env.example`: the settings; copy it to `.env`, which `linegroupbot run` and `dev`",
        "  read.",
        "- `Dockerfile`, `compose.yaml`: a container image, and a scale-out setup with Redis.",
        "- `.gitignore`, `.dockerignore`: what git and image builds leave out (`.venv`, `.env`).",
    ]
    return "\n".join(lines)


def _source_note(source: InstallSource) -> str:
    if source.kind == "archive":
        return (
            f"\nThe linegroupbot that made this project was installed from a local file, so a copy "
            f"of it is in `{_WHEELS}/` and the setup command installs that one (its dependencies "
            "come from your package index). Once linegroupbot is on your index, delete "
            f"`{_WHEELS}/` and drop it from the command and the `Dockerfile`.\n"
        )
    if source.kind == "directory":
        return (
            "\nThe linegroupbot that made this project was installed from a checkout "
            f"(`{source.location}`), so the setup command installs linegroupbot from there. For a "
            f"container image, put a wheel of it in `{_WHEELS}/` (`pip wheel --no-deps -w "
            f"{_WHEELS} {shlex.quote(source.location)}`).\n"
        )
    return ""


def _readme(project: str, template: Template, source: InstallSource) -> str:
    return f"""# {project}

{describe(template.name)}

Made from the linegroupbot `{template.name}` template:

{_files_list(template)}

## Develop

```console
{_install_command(template, source)}
linegroupbot dev app.py:bot
python -m pytest
```

The first line sets the project up (once); the second opens a group chat with the bot in your
browser, through the local LINE emulator (open the URL it prints; it reloads the bot when you
save a file); the third runs the tests. Both need the `.venv` active (`. .venv/bin/activate`).
{_source_note(source)}
## Run it for real

Copy `.env.example` to `.env` and fill in the channel secret and access token from the LINE
Developers console, then serve the webhook behind an HTTPS reverse proxy and point the console's
webhook URL at `https://<your host>/callback`:

```console
linegroupbot run app.py:bot --host 0.0.0.0 --port 8000 --log-format json
```

Variables already set in the environment win over `.env`. The bot keeps accepted events in
`linegroupbot.db` (SQLite) until they are handled, so a restart loses nothing.
`linegroupbot check app.py:bot` shows the settings the bot will use (secrets only as set or not)
and its handlers with their filters: the first thing to run when a handler does not fire.

As a container (the image keeps its store in the `/data` volume):

```console
docker build -t {project} .
docker run --env-file .env -p 8000:8000 -v {project}-data:/data {project}
```

Several receivers and workers on one Redis: `docker compose up --scale worker=3`.
"""


ENV_EXAMPLE = """\
# Copy to .env (never commit it) and fill in from the LINE Developers console.
# `linegroupbot run` and `linegroupbot dev` read .env from the current folder (or --env-file);
# variables already set in the environment win.
LINE_CHANNEL_SECRET=
LINE_CHANNEL_ACCESS_TOKEN=
# Where accepted events wait until handled (default sqlite:///linegroupbot.db):
# LINEGROUPBOT_STORE=redis://localhost:6379/0
# Only when talking to something other than LINE itself (e.g. a separately run emulator):
# LINE_API_BASE_URL=http://127.0.0.1:8787
# LINE_DATA_API_BASE_URL=http://127.0.0.1:8787
"""

GITIGNORE = ".venv/\n__pycache__/\n*.egg-info/\nbuild/\n.env\nlinegroupbot.db*\n"

DOCKERIGNORE = ".venv/\n.git/\n__pycache__/\n*.egg-info/\nbuild/\n.env\nlinegroupbot.db*\n"


def _dockerfile(template: Template, source: InstallSource) -> str:
    wheel = ""
    if source.kind == "archive":
        wheel = f"./{_WHEELS}/{Path(source.location).name} "
    bundled = "".join(f"./{folder} " for folder in template.bundled)
    note = ""
    if source.kind == "directory":
        note = (
            f"# linegroupbot came from a checkout when this was made: put a wheel of it in "
            f"{_WHEELS}/ and\n# name it before the project below, or install it from your index.\n"
        )
    return f"""# The bot in one container: `docker build -t mybot .`, then
# `docker run --env-file .env -p 8000:8000 -v mybot-data:/data mybot`.
FROM python:3.12-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY . .
# EXTRAS="[redis]" adds the Redis store (compose.yaml builds with it).
ARG EXTRAS=""
{note}RUN pip install {wheel}{bundled}".$EXTRAS" \\
    && useradd --system --create-home bot && mkdir /data && chown bot /data
USER bot
# Accepted events wait here until handled: keep /data on a volume.
ENV LINEGROUPBOT_STORE=sqlite:////data/linegroupbot.db
VOLUME /data
EXPOSE 8000
CMD ["linegroupbot", "run", "app.py:bot", "--host", "0.0.0.0", "--port", "8000", \\
     "--log-format", "json"]
"""


COMPOSE = """\
# Scale-out: receivers answer LINE once an event is in Redis; workers handle events, in order
# per chat. `docker compose up --scale worker=3`. Secrets come from .env.
services:
  redis:
    image: redis:7
    command: ["redis-server", "--appendonly", "yes"]
    volumes: ["redis-data:/data"]
  receiver:
    build: {context: ., args: {EXTRAS: "[redis]"}}
    command: ["linegroupbot", "run", "app.py:bot", "--role", "receiver",
              "--host", "0.0.0.0", "--port", "8000", "--log-format", "json"]
    env_file: [.env]
    environment: {LINEGROUPBOT_STORE: "redis://redis:6379/0"}
    ports: ["8000:8000"]
    depends_on: [redis]
  worker:
    build: {context: ., args: {EXTRAS: "[redis]"}}
    command: ["linegroupbot", "worker", "app.py:bot",
              "--host", "0.0.0.0", "--port", "8001", "--log-format", "json"]
    env_file: [.env]
    environment: {LINEGROUPBOT_STORE: "redis://redis:6379/0"}
    depends_on: [redis]
volumes:
  redis-data:
"""


def _app_source(source_path: str, target: str) -> str:
    """An example module, with its docstring's run command naming the project's file."""
    return _read(source_path).replace(f"examples/{source_path}", target)


def _test_source(template: Template) -> str:
    text = _TEMPLATE_PATH.sub('APP = HERE.parent / "app.py"', _read(template.test))
    text = re.sub(r"\bEXAMPLE\b", "APP", text)
    return re.sub(r'\A"""(.*?)example', r'"""\1bot', text, count=1)


def create_project(
    directory: Path,
    template_name: str,
    *,
    force: bool = False,
    source: InstallSource | None = None,
) -> list[Path]:
    """Write a ready project made from a template into ``directory``; returns the files.

    Refuses a non-empty directory unless ``force`` (existing files are then overwritten).
    ``source`` says where the project installs linegroupbot from (default: where the running
    one came from, see :func:`install_source`). ``template_name`` names the template
    (``"echo"``, ``"welcome"``...).

    Raises:
        ConfigurationError: An unknown template, or a non-empty directory without
            ``force``.
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
    source = source or install_source()
    project = re.sub(r"[^A-Za-z0-9._-]+", "-", directory.resolve().name).strip("-") or "linebot"
    outputs: dict[str, str] = {
        target: _app_source(path, target) for target, path in template.files.items()
    }
    for folder, files in template.bundled.items():
        outputs.update({f"{folder}/{name}": _read(f"{folder}/{name}") for name in files})
    outputs.update(
        {
            "tests/__init__.py": "",
            "tests/test_app.py": _test_source(template),
            "pyproject.toml": _pyproject(project, template),
            "README.md": _readme(project, template, source),
            ".env.example": ENV_EXAMPLE,
            ".gitignore": GITIGNORE,
            ".dockerignore": DOCKERIGNORE,
            "Dockerfile": _dockerfile(template, source),
            "compose.yaml": COMPOSE,
        }
    )
    written: list[Path] = []
    for relative, text in outputs.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    if source.kind == "archive":
        wheel = directory / _WHEELS / Path(source.location).name
        wheel.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source.location, wheel)
        written.append(wheel)
    return written
