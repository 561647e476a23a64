"""Sphinx configuration for the linegroupbot docs."""

from __future__ import annotations

from typing import Any

import linegroupbot

project = "linegroupbot"
author = "The linegroupbot developers"
release = linegroupbot.__version__
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "_inventories"]
html_theme = "furo"
html_title = "linegroupbot"
html_static_path: list[str] = []
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# No default "members": a default of True would replace the member lists in reference.md,
# rendering internals. Each automodule there names its members (or takes the module's __all__).
autodoc_default_options = {"show-inheritance": True}
nitpicky = False

# Links to Python, aiohttp, attrs and structlog. The docs build offline (CI reaches no website),
# so their inventories ship in _inventories/ (taken from Debian's python3.11-doc,
# python-aiohttp-doc, python-attr-doc and python-structlog-doc). To refresh one, download
# <site>/objects.inv over it; the links themselves go to the sites' current docs.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", "_inventories/python.inv"),
    "aiohttp": ("https://docs.aiohttp.org/en/stable", "_inventories/aiohttp.inv"),
    "attrs": ("https://www.attrs.org/en/stable", "_inventories/attrs.inv"),
    "structlog": ("https://www.structlog.org/en/stable", "_inventories/structlog.inv"),
}


def _public_bases(app: object, name: str, obj: object, options: object, bases: list[type]) -> None:
    """Show public base classes only: a private base (``_Common``) stands for its own bases."""
    public: list[type] = []
    pending = list(bases)
    while pending:
        base = pending.pop(0)
        if base.__name__.startswith("_"):
            pending[:0] = base.__bases__
        elif base not in public:
            public.append(base)
    bases[:] = public


def setup(app: Any) -> dict[str, bool]:
    app.connect("autodoc-process-bases", _public_bases)
    return {"parallel_read_safe": True}
