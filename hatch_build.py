"""Wheel build hook: ship examples/ as linegroupbot/template-sources/ for `linegroupbot new`.

The examples are the only copy of the templates' code. They go into the wheel as plain files under
a folder name that Python cannot import, so they never become a ``linegroupbot`` subpackage.
Build leftovers (caches, egg-info, compiled files) stay out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TARGET = "linegroupbot/template-sources"
_JUNK_DIRS = {
    "__pycache__",
    "build",
    "dist",
    ".venv",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
}


def _shipped(relative: Path) -> bool:
    if any(part in _JUNK_DIRS or part.endswith(".egg-info") for part in relative.parts[:-1]):
        return False
    return relative.suffix not in {".pyc", ".pyo", ".db"} and not relative.name.startswith(".")


class CustomBuildHook(BuildHookInterface):
    """Adds every example file to the wheel (not to editable installs, which read examples/)."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        examples = Path(self.root) / "examples"
        for path in sorted(examples.rglob("*")):
            relative = path.relative_to(examples)
            if path.is_file() and _shipped(relative):
                build_data["force_include"][str(path)] = f"{TARGET}/{relative.as_posix()}"
