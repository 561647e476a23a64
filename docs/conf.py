"""Sphinx configuration for the linegroupbot docs."""

from __future__ import annotations

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
autodoc_default_options = {"members": True, "show-inheritance": True}
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
