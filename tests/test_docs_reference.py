"""The API reference renders the public surface only, and documents every parameter in words.

The reference (``docs/reference.md``) is Sphinx autodoc directives. These tests read those
directives the way autodoc does, without building the docs: which names each one renders,
and whether each rendered function, method and class says in its docstring what each of its
parameters is (a ``name:`` line of an ``Args:``/``Attributes:`` section, or ````name```` in
the text). A parameter that only has a type is a gap.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import runpy
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeAlias

import attrs
import pytest

import linegroupbot

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference.md"


@attrs.frozen
class Directive:
    """One autodoc directive of the reference: ``.. automodule:: target`` and its options."""

    kind: str
    target: str
    options: dict[str, str]


@cache
def _directives() -> tuple[Directive, ...]:
    found: list[Directive] = []
    current: Directive | None = None
    for line in REFERENCE.read_text().splitlines():
        start = re.match(r"\.\. (auto\w+):: (\S+)$", line)
        option = re.match(r"\s+:([\w-]+):\s*(.*)$", line)
        if start:
            current = Directive(start[1], start[2], {})
            found.append(current)
        elif option and current is not None:
            current.options[option[1]] = option[2].strip()
        else:
            current = None
    return tuple(found)


def _listed(directive: Directive, module: ModuleType) -> list[str]:
    """The names an automodule directive renders: its ``:members:`` list, else ``__all__``."""
    if "no-members" in directive.options or "members" not in directive.options:
        return []
    if directive.options["members"]:
        return [name.strip() for name in directive.options["members"].split(",")]
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    ]


Members: TypeAlias = "bool | tuple[str, ...]"
"""Which members of a class the reference shows: all, none, or those named."""


@cache
def _rendered() -> dict[str, tuple[object, ModuleType, Members]]:
    """Qualified name -> (object, the module the reference shows it in, members shown)."""
    rendered: dict[str, tuple[object, ModuleType, Members]] = {}
    for directive in _directives():
        if directive.kind == "automodule":
            module = importlib.import_module(directive.target)
            for name in _listed(directive, module):
                rendered[f"{directive.target}.{name}"] = (getattr(module, name), module, True)
        else:
            module_name, name = directive.target.rsplit(".", 1)
            module = importlib.import_module(module_name)
            listed = directive.options.get("members")
            members: Members = (
                tuple(member.strip() for member in listed.split(",")) if listed else listed == ""
            )
            rendered[directive.target] = (getattr(module, name), module, members)
    return rendered


def test_the_docs_set_no_default_members() -> None:
    """A default ``members: True`` replaces every ``:members:`` list: internals would render."""
    conf = runpy.run_path(str(ROOT / "docs" / "conf.py"))
    assert "members" not in conf["autodoc_default_options"]


def test_every_automodule_says_which_members_it_renders() -> None:
    for directive in _directives():
        if directive.kind == "automodule":
            assert {"members", "no-members"} & directive.options.keys(), directive.target


def test_the_reference_renders_public_names_only() -> None:
    for qualified, (_, module, _) in _rendered().items():
        name = qualified.rsplit(".", 1)[1]
        assert not name.startswith("_"), qualified
        public = getattr(module, "__all__", None)
        assert public is None or name in public, f"{qualified} is not in {module.__name__}.__all__"


def _mentions(doc: str, name: str) -> bool:
    """Whether a docstring describes ``name``: an ``Args:``-style line, or ````name```` (or
    ````name=value````) in its text."""
    escaped = re.escape(name)
    return bool(
        re.search(rf"^\s*\**{escaped}( \([^)]*\))?:", doc, re.MULTILINE)
        or re.search(rf"``\**{escaped}(=[^`]*)?``", doc)
    )


def _parameters(function: Callable[..., Any]) -> list[str]:
    signature = inspect.signature(function)
    return [name for name in signature.parameters if name not in ("self", "cls")]


def _field_names(cls: type) -> list[str]:
    """The constructor arguments of an attrs class that its own docstring must describe.

    A field declared in a public base class is described there; one from a private base
    (``_Common``) is not rendered anywhere else, so each public subclass describes it.
    """
    names = []
    for field in attrs.fields(cls):
        if not field.init:
            continue
        owner = next(
            klass for klass in cls.__mro__ if field.name in vars(klass).get("__annotations__", {})
        )
        if owner is cls or owner.__name__.startswith("_"):
            names.append(field.alias or field.name)
    return names


def _class_gaps(cls: type) -> list[str]:
    doc = inspect.getdoc(cls) if cls.__doc__ else ""
    if not doc:
        return ["no docstring"]
    if attrs.has(cls) and "__attrs_attrs__" in vars(cls):
        names = _field_names(cls)
    elif getattr(vars(cls).get("__init__"), "__qualname__", "").startswith(f"{cls.__qualname__}."):
        names = _parameters(vars(cls)["__init__"])  # not the one typing gives a Protocol
    else:
        names = []
    own = _attribute_docs(cls)
    return [
        f"parameter {name!r} not described"
        for name in names
        if not (_mentions(doc, name) or name in own)
    ]


def _attribute_docs(cls: type) -> set[str]:
    """The attributes of ``cls`` documented where they are declared (a string after the
    field, or a ``#:`` comment above it): autodoc renders those under the class."""
    source = inspect.getsource(sys.modules[cls.__module__])
    body = ast.parse(source).body
    for part in cls.__qualname__.split("."):
        node = next(n for n in body if isinstance(n, ast.ClassDef) and n.name == part)
        body = node.body
    return _documented_names(body, source.splitlines())


def _documented_names(body: list[ast.stmt], lines: list[str]) -> set[str]:
    """The names assigned in ``body`` that a string statement follows or a ``#:`` precedes."""
    found: set[str] = set()
    for index, node in enumerate(body):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        after = body[index + 1] if index + 1 < len(body) else None
        if (
            isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ) or lines[node.lineno - 2].strip().startswith("#:"):
            found.update(getattr(target, "id", "") for target in targets)
    return found


def _function_gaps(function: Callable[..., Any], *, pytest_fixture: bool = False) -> list[str]:
    doc = inspect.getdoc(function) or ""
    if not doc.strip():
        return ["no docstring"]
    return [
        f"parameter {name!r} not described"
        for name in _parameters(function)
        # pytest's own ``request`` fixture, which a fixture takes to read its markers
        if not _mentions(doc, name) and not (pytest_fixture and name == "request")
    ]


def _data_documented(module: ModuleType, name: str) -> bool:
    """Whether ``name = ...`` in the module's own source has a docstring or a ``#:`` comment."""
    source = inspect.getsource(module)
    return name in _documented_names(ast.parse(source).body, source.splitlines())


def _units() -> Iterator[tuple[str, Callable[[], list[str]]]]:
    """Every rendered thing to check, by qualified name, with a function finding its gaps."""
    seen: set[int] = set()
    items = list(_rendered().items())
    for name in linegroupbot.__all__:
        value = getattr(linegroupbot, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            items.append((f"linegroupbot.{name}", (value, linegroupbot, True)))
    for qualified, (value, module, members) in items:
        if id(value) in seen or isinstance(value, ModuleType):
            continue
        seen.add(id(value))
        if inspect.isclass(value):
            cls = value
            yield qualified, lambda cls=cls: _class_gaps(cls)  # type: ignore[misc]
            if not members:
                continue
            for attr, member in vars(cls).items():
                if attr.startswith("_") or (isinstance(members, tuple) and attr not in members):
                    continue
                if isinstance(member, property):
                    getter = member.fget
                    assert getter is not None
                    yield (
                        f"{qualified}.{attr}",
                        lambda getter=getter: [] if getter.__doc__ else ["no docstring"],  # type: ignore[misc]
                    )
                    continue
                if isinstance(member, classmethod | staticmethod):
                    member = member.__func__
                if inspect.isfunction(member):
                    function = member
                    yield f"{qualified}.{attr}", lambda f=function: _function_gaps(f)  # type: ignore[misc]
        elif callable(value) and inspect.isfunction(inspect.unwrap(value)):
            # a function, or one wrapped (functools.cache, a pytest fixture)
            function = inspect.unwrap(value)
            fixture = type(value).__name__ == "FixtureFunctionDefinition"
            yield (
                qualified,
                lambda f=function, fixture=fixture: _function_gaps(f, pytest_fixture=fixture),  # type: ignore[misc]
            )
        elif module is not linegroupbot:
            name = qualified.rsplit(".", 1)[1]
            yield (
                qualified,
                lambda module=module, name=name: (  # type: ignore[misc]
                    [] if _data_documented(module, name) else ["no docstring"]
                ),
            )


UNITS = dict(_units())


@pytest.mark.parametrize("qualified", sorted(UNITS))
def test_every_rendered_name_describes_its_parameters(qualified: str) -> None:
    gaps = UNITS[qualified]()
    assert not gaps, f"{qualified}: {', '.join(gaps)}"


def test_a_parameter_named_only_by_its_type_is_a_gap() -> None:
    """The check itself: a docstring that does not describe a parameter is caught."""

    def send(chat_id: str, *, text: str) -> None:
        """Send ``text`` somewhere."""

    def described(chat_id: str, *, text: str) -> None:
        """Send a text.

        Args:
            chat_id: The group, room or user to send to.
            text: What to say.
        """

    assert _function_gaps(send) == ["parameter 'chat_id' not described"]
    assert _function_gaps(described) == []


@attrs.frozen(kw_only=True)
class _Base:
    shared: int = 0


@attrs.frozen(kw_only=True)
class _Model(_Base):
    """A model that describes ``own`` but not the field of its private base."""

    own: str = ""


def test_a_field_from_a_private_base_must_be_described_by_the_subclass() -> None:
    assert _class_gaps(_Model) == ["parameter 'shared' not described"]


def test_a_missing_docstring_is_a_gap() -> None:
    def bare(value: int) -> None:
        pass

    assert _function_gaps(bare) == ["no docstring"]


def test_the_docs_show_public_base_classes_only() -> None:
    """``Bases: _Common`` would name a private class: the conf hook shows its bases."""
    from linegroupbot.messages import TextMessage

    conf = runpy.run_path(str(ROOT / "docs" / "conf.py"))
    bases = list(TextMessage.__bases__)
    assert [base.__name__ for base in bases] == ["_Common"]
    conf["_public_bases"](None, "TextMessage", TextMessage, {}, bases)
    assert bases == [object]
