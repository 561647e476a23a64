"""Giving memory back to the operating system after a flood of large bodies.

glibc keeps freed heap memory for reuse, so a burst of large request bodies (an
unauthenticated flood, say) would leave the process's RSS high for good. After such a
burst, once no unverified body is held any more, :class:`Trimmer` asks glibc to return
what is free (``malloc_trim``), once, a moment later. Elsewhere (musl, macOS) it does
nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import sys
from collections.abc import Callable

__all__ = ["Trimmer"]


def _find_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


_TRIM = _find_trim()


class Trimmer:
    """Calls ``malloc_trim`` ``delay`` seconds after the last of a burst (see module docs)."""

    __slots__ = ("_handle", "delay", "threshold", "trims", "volume")

    def __init__(self, *, threshold: int = 4 * 1024 * 1024, delay: float = 1.0) -> None:
        self.threshold = threshold
        self.delay = delay
        self.volume = 0  # large-body bytes seen since the last trim
        self.trims = 0
        self._handle: asyncio.TimerHandle | None = None

    def add(self, size: int) -> None:
        """``size`` bytes of body were held and are now let go."""
        self.volume += size

    def settle(self) -> None:
        """Nothing is held now: after a burst, trim a moment later (later calls postpone it)."""
        if _TRIM is None or self.volume < self.threshold:
            return
        if self._handle is not None:
            self._handle.cancel()
        self._handle = asyncio.get_running_loop().call_later(self.delay, self._trim)

    def _trim(self) -> None:
        self._handle = None
        self.volume = 0
        if _TRIM is not None:
            _TRIM(0)
            self.trims += 1
