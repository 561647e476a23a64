#!/usr/bin/env bash
# Set up a development environment: Debian's Chromium and redis-server (for the tests), a
# .venv with linegroupbot and every extra, and the example plugin package. Safe to run again.
#
# PYTHON names the interpreter that makes the environment (default python3) and VENV its folder
# (default .venv): `PYTHON=python3.13 VENV=.venv/python3.13 bash scripts/setup-dev.sh` sets up a
# second Python beside the first, as .ci/run does for each Python it finds. Keep VENV inside
# .venv/ (or outside the checkout): the links made at the end lead the sdist's file walk, which
# follows links, to the package, and met first in any other folder they drop it from the sdist.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
venv=${VENV:-.venv}

# Debian packages the tests use: Chromium (browser tests) and redis-server (Redis store tests).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if ((${#missing[@]})); then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing ${missing[*]} for the tests" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "missing ${missing[*]}: install them (apt-get install ${missing[*]}), or deselect" \
             "those tests with -m 'not browser and not redis'" >&2
    fi
fi

# Left by setuptools builds before the move to hatchling; importlib.metadata would read it first.
rm -rf linegroupbot.egg-info
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
# shellcheck disable=SC1091
source "$venv/bin/activate"
python -m pip install -q --upgrade pip
python -m pip install -q -e '.[test,dev,docs,bench]'
# The example plugin is a package of its own; installing it registers its entry point.
python -m pip install -q -e examples/plugin_shout
# Editable installs reach the code through an import hook, which type checkers do not run:
# mypy on a bot outside this folder would not find linegroupbot. A path entry holding links
# to the two packages (and to nothing else of the checkout) lets them find it.
python - <<'PY'
import pathlib
import sys
import sysconfig

links = (pathlib.Path(sys.prefix) / "editable-path").resolve()
links.mkdir(exist_ok=True)
for name, source in {
    "linegroupbot": "linegroupbot",
    "linegroupbot_shout": "examples/plugin_shout/linegroupbot_shout",
}.items():
    link = links / name
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(pathlib.Path(source).resolve(), target_is_directory=True)
site = pathlib.Path(sysconfig.get_paths()["purelib"])
(site / "linegroupbot-editable-path.pth").write_text(f"{links}\n")
PY
echo "ready: . $venv/bin/activate" >&2
