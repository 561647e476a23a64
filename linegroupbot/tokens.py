"""Channel access tokens that stay valid: stateless tokens issued from the channel ID and secret.

A stateless channel access token lives 15 minutes and needs nothing stored: the
:class:`ChannelTokens` of a client issues one when first needed and another shortly
before the current one expires (``refresh_margin`` seconds), so no request goes out with
an expired token. Tokens and the secret are never logged, and the repr shows neither.
"""

from __future__ import annotations

import asyncio
import os
import time

import aiohttp
import orjson

from .errors import ConfigurationError, UnauthorizedError
from .logging import get_logger, redact

__all__ = ["DEFAULT_REFRESH_MARGIN", "ChannelTokens", "TokenIssueError"]

DEFAULT_REFRESH_MARGIN = 60.0
"""Seconds before expiry at which a new token is issued."""

TOKEN_PATH = "/oauth2/v3/token"  # noqa: S105 (a path, not a secret)

_log = get_logger("linegroupbot.tokens")


class TokenIssueError(UnauthorizedError):
    """LINE refused to issue a channel access token (wrong channel ID or secret)."""


class ChannelTokens:
    """Issues stateless channel access tokens for ``channel_id`` and refreshes them before expiry.

    ``channel_id`` and ``channel_secret`` default to ``LINE_CHANNEL_ID`` and
    ``LINE_CHANNEL_SECRET``. Concurrent callers of :meth:`get` share one issuance. A new
    token is issued ``refresh_margin`` seconds before the current one expires.

    Raises:
        ConfigurationError: The channel ID or secret is missing.
    """

    def __init__(
        self,
        channel_id: str | None = None,
        channel_secret: str | None = None,
        *,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
    ) -> None:
        # Stripped: a value read from a file often ends with a newline.
        channel_id = (channel_id or os.environ.get("LINE_CHANNEL_ID") or "").strip()
        channel_secret = (channel_secret or os.environ.get("LINE_CHANNEL_SECRET") or "").strip()
        if not channel_id or not channel_secret:
            missing = "LINE_CHANNEL_ID" if not channel_id else "LINE_CHANNEL_SECRET"
            raise ConfigurationError(
                f"{missing} is not set: issuing channel access tokens needs the channel ID and "
                "secret (LINE Developers console, Basic settings)"
            )
        self.channel_id = channel_id
        self._secret = channel_secret
        redact(channel_secret)
        self.refresh_margin = refresh_margin
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.issued = 0

    def __repr__(self) -> str:
        return f"ChannelTokens(channel_id={self.channel_id!r})"

    def _fresh(self) -> str | None:
        # _expires_at already has the refresh margin taken off (see _issue).
        if self._token is not None and time.monotonic() < self._expires_at:
            return self._token
        return None

    async def get(self, session: aiohttp.ClientSession, api_base_url: str) -> str:
        """A token valid for at least ``refresh_margin`` more seconds, issuing one if needed.

        Args:
            session: The HTTP session to issue with.
            api_base_url: The Messaging API host that issues tokens.

        Raises:
            TokenIssueError: LINE refused to issue one (wrong ID or secret, say).
        """
        token = self._fresh()
        if token is not None:
            return token
        async with self._lock:
            token = self._fresh()
            if token is not None:
                return token
            return await self._issue(session, api_base_url)

    def forget(self) -> None:
        """Drop the current token (LINE answered 401 to it): the next :meth:`get` issues another."""
        self._token = None

    async def _issue(self, session: aiohttp.ClientSession, api_base_url: str) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.channel_id,
            "client_secret": self._secret,
        }
        started = time.monotonic()
        async with session.post(api_base_url + TOKEN_PATH, data=form) as resp:
            raw = await resp.read()
            status = resp.status
        try:
            data = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            data = {}
        if status != 200 or not isinstance(data, dict) or "access_token" not in data:
            reason = (
                data.get("error_description") or data.get("error")
                if isinstance(data, dict)
                else None
            )
            _log.warning("channel_token_refused", status=status, channel_id=self.channel_id)
            raise TokenIssueError(
                status,
                f"LINE refused to issue a channel access token for channel {self.channel_id}: "
                f"{reason or f'HTTP {status}'}. Check LINE_CHANNEL_ID and LINE_CHANNEL_SECRET",
                method="POST",
                path=TOKEN_PATH,
            )
        lifetime = float(data.get("expires_in") or 0)
        # A token living less than twice the margin is still used for half its life.
        margin = min(self.refresh_margin, lifetime / 2)
        self._token = str(data["access_token"])
        self._expires_at = started + lifetime - margin
        self.issued += 1
        _log.info("channel_token_issued", channel_id=self.channel_id, expires_in=lifetime)
        return self._token
