"""JSON names: LINE's camelCase from linegroupbot's snake_case."""

from __future__ import annotations

__all__ = ["to_camel"]


def to_camel(name: str) -> str:
    """A snake_case ``name`` in camelCase: ``webhook_event_id`` -> ``webhookEventId``."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)
