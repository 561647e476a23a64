"""LineClient: the Messaging API calls a group bot makes, with retries and clear errors.

One aiohttp session per client, reused and closed with the client. Sends that LINE
lets us make idempotent (push, multicast, broadcast) carry an ``X-Line-Retry-Key``
that is made once per logical call and reused by every retry. The access token is
never written to a log, an error or a repr.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import logging
import os
import random
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any, Literal

import aiohttp
import attrs
import orjson

from .channel import BotInfo, DeliveryCount, DeliveryKind, WebhookEndpoint, WebhookTestResult
from .convert import _register, converter, structure, unstructure
from .errors import (
    ConfigurationError,
    ErrorDetail,
    ForbiddenError,
    LineApiError,
    LineConnectionError,
    QuotaExceededError,
    UnauthorizedError,
    UnsupportedInScopeError,
    api_error_for_status,
)
from .limits import MAX_TEXT_LENGTH
from .logging import get_logger, structlog_config
from .messages import Messages, normalize
from .tokens import DEFAULT_REFRESH_MARGIN, ChannelTokens

__all__ = [
    "DEFAULT_API_BASE_URL",
    "DEFAULT_DATA_API_BASE_URL",
    "DEFAULT_RATE_LIMITS",
    "GroupSummary",
    "LineClient",
    "MessageQuota",
    "Profile",
    "RateLimit",
    "RateLimiter",
    "RetryPolicy",
    "SendResult",
    "SentMessage",
    "begin_retry_keys",
    "clean_token",
    "derived_retry_keys",
    "end_retry_keys",
    "next_derived_key",
    "with_default_limits",
]

DEFAULT_API_BASE_URL = "https://api.line.me"
"""Where the Messaging API lives (override with ``LINE_API_BASE_URL``)."""
DEFAULT_DATA_API_BASE_URL = "https://api-data.line.me"
"""Where message content is downloaded from (override with ``LINE_DATA_API_BASE_URL``)."""


@attrs.frozen
class RateLimit:
    """At most ``calls`` requests in any ``per``-second window: ``RateLimit(2000)`` is 2,000/s."""

    calls: int
    per: float = 1.0

    def __attrs_post_init__(self) -> None:
        if self.calls < 1 or self.per <= 0:
            raise ValueError(f"{self!r}: calls must be at least 1 and per above 0")


DEFAULT_RATE_LIMITS: Mapping[str, RateLimit] = {
    "default": RateLimit(2000),
    "multicast": RateLimit(200),
    "broadcast": RateLimit(60, per=3600.0),
}
"""LINE's published per-channel limits, by endpoint class (``default``, ``multicast``,
``broadcast``; narrowcast counts as broadcast)."""


_log = get_logger("linegroupbot.client")
_bound_log: tuple[tuple[Any, ...], Any, bool] | None = None


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
"""A random hex digit -> the UUID variant digit (RFC 4122: binary 10xx) that keeps its low bits."""


def _random_uuid() -> str:
    """A random (version 4) UUID as text, as ``str(uuid.uuid4())`` makes it, in a third the time."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def _call_log() -> tuple[Any, bool]:
    """``_log`` bound once per structlog configuration (binding costs ~10 us per call), and
    whether it logs at debug level (when not, a call's ``api_call`` line is not even built).

    A new configuration (``configure_logging``, ``capture_logs`` in tests) is seen by
    identity of its parts and gets a new bound logger.
    """
    global _bound_log
    config = structlog_config()
    processors, wrapper = config["processors"], config["wrapper_class"]
    factory, context = config["logger_factory"], config["context_class"]
    cached = _bound_log
    if cached is not None:
        old = cached[0]
        if old[0] is processors and old[1] is wrapper and old[2] is factory and old[3] is context:
            return cached[1], cached[2]
    log = _log.bind()
    enabled_for = getattr(log, "is_enabled_for", None)  # structlog's filtering loggers
    debug = True if enabled_for is None else bool(enabled_for(logging.DEBUG))
    _bound_log = ((processors, wrapper, factory, context), log, debug)
    return log, debug


_RETRY_KEY_NAMESPACE = uuid.UUID("5b0f6c1e-3a51-4c8e-9d3f-2f0a3f7f0b11")


class _RetryKeys:
    __slots__ = ("count", "seed")

    def __init__(self, seed: str) -> None:
        self.seed = seed
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return str(uuid.uuid5(_RETRY_KEY_NAMESPACE, f"{self.seed}:{self.count}"))


_retry_keys: ContextVar[_RetryKeys | None] = ContextVar("linegroupbot_retry_keys", default=None)


@contextlib.contextmanager
def derived_retry_keys(seed: str) -> Iterator[None]:
    """Derive ``X-Line-Retry-Key`` values from ``seed`` inside this block.

    The n-th idempotent send (push, multicast, broadcast, narrowcast) made in the block
    carries ``uuid5(seed, n)``, so running the same code again for the same seed (a
    handler re-run after a crash: the seed is the event's ``webhookEventId``) sends the
    same keys, and LINE answers 409 "already accepted" instead of sending twice; that
    409 counts as success. Sends must happen in the same order on every run.
    """
    token = begin_retry_keys(seed)
    try:
        yield
    finally:
        end_retry_keys(token)


def next_derived_key() -> str | None:
    """The next key of the :func:`derived_retry_keys` block in force, or ``None`` outside one.

    Other idempotent operations use it as their ID (a scheduled push made by a handler),
    so a re-run of the handler makes the same ID again.
    """
    keys = _retry_keys.get()
    return None if keys is None else keys.next()


def begin_retry_keys(seed: str) -> Token[_RetryKeys | None]:
    """:func:`derived_retry_keys` without the ``with`` block (for hot paths).

    Args:
        seed: What the keys derive from (the event's ``webhookEventId``).

    Returns:
        The token to pass to :func:`end_retry_keys`.
    """
    keys = _new_object(_RetryKeys)  # _RetryKeys(seed), without a call of its __init__
    keys.seed = seed
    keys.count = 0
    return _retry_keys.set(keys)


_new_object = object.__new__


def end_retry_keys(token: Token[_RetryKeys | None]) -> None:
    """Stop deriving retry keys (``token`` from :func:`begin_retry_keys`)."""
    _retry_keys.reset(token)


# --- results ------------------------------------------------------------------------------


@attrs.frozen
class SentMessage:
    """A message LINE accepted: its ID and the token to quote it.

    Attributes:
        id: The sent message's ID.
        quote_token: The token that quotes it in a later message (``None`` when LINE gave
            none).
    """

    id: str
    quote_token: str | None = None


@attrs.frozen
class SendResult:
    """What a reply, push, multicast or broadcast returned.

    ``request_id`` is this call's ``x-line-request-id``. When a retried send turned out
    to have gone through already (LINE answered 409 to the retry key),
    ``accepted_request_id`` names the request that was executed and ``deduplicated`` is
    true: the messages were sent exactly once. ``retry_key`` is the ``X-Line-Retry-Key`` the
    send carried (``None`` for replies). ``sent_messages`` are the messages LINE accepted,
    in order (replies and pushes only).
    """

    request_id: str | None = None
    sent_messages: tuple[SentMessage, ...] = ()
    accepted_request_id: str | None = None
    deduplicated: bool = False
    retry_key: str | None = None


@attrs.frozen
class Profile:
    """A user's LINE profile (from the 1:1, group-member or room-member endpoint).

    Attributes:
        user_id: The user's ID.
        display_name: The name the user shows.
        picture_url: Their profile picture (``None`` when they have none).
        status_message: Their status message (1:1 profiles only).
        language: Their language setting (1:1 profiles of users who allow it only).
    """

    user_id: str
    display_name: str
    picture_url: str | None = None
    status_message: str | None = None
    language: str | None = None


@attrs.frozen
class GroupSummary:
    """A group's ID, name and icon.

    Attributes:
        group_id: The group's ID.
        group_name: The group's name.
        picture_url: The group's icon (``None`` when it has none).
    """

    group_id: str
    group_name: str
    picture_url: str | None = None


@attrs.frozen
class MessageQuota:
    """This month's push quota: ``type`` is ``"limited"`` (with ``value``) or ``"none"``."""

    type: str
    value: int | None = None


for _model in (SentMessage, Profile, GroupSummary, MessageQuota):
    _register(_model)  # as the built-in models are: converters generated on first use

_structure_sent: Any = None


def _sent_messages(data: Any) -> tuple[SentMessage, ...]:
    """The ``sentMessages`` of a send's answer (the converter's hook looked up once)."""
    global _structure_sent
    raw = data.get("sentMessages") if isinstance(data, dict) else None
    if not raw:
        return ()
    hook = _structure_sent
    if hook is None:
        hook = converter.get_structure_hook(SentMessage)
        materialize = getattr(hook, "materialize", None)  # generated on first use
        hook = _structure_sent = hook if materialize is None else materialize()
    return tuple(map(hook, raw))


def _wire(messages: tuple[Messages, ...]) -> list[Any]:
    """The messages of a send, validated, in LINE's JSON shape.

    One plain ``str`` (the common send) is a text message whose JSON is fixed: it is made
    here, as the converter would make it from ``TextMessage(text=...)``; anything else
    (and a ``str`` LINE would refuse, to raise the usual error) goes through
    :func:`~linegroupbot.messages.normalize` and the converter.
    """
    if len(messages) == 1:
        text = messages[0]
        if type(text) is str and 0 < len(text) <= MAX_TEXT_LENGTH:
            return [{"type": "text", "text": text}]
    wire: list[Any] = unstructure(list(normalize(messages)))
    return wire


@attrs.frozen
class RetryPolicy:
    """How calls are retried: 429, 5xx and connection errors, with jittered backoff.

    ``attempts`` counts the first try; ``total_timeout`` bounds the time spent in all
    tries and waits; between tries the wait doubles from ``base_delay`` up to ``max_delay``,
    with equal jitter (a random wait between half of that and all of it). A ``Retry-After``
    from LINE (seconds or an HTTP date) is honored as given; when it is longer than what
    is left of ``total_timeout``, the call gives up at once and says so.
    ``RetryPolicy.off()`` disables retries. ``statuses`` are the HTTP statuses that are
    retried.
    """

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0
    total_timeout: float = 30.0
    statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    @classmethod
    def off(cls) -> RetryPolicy:
        """A policy that tries every call once."""
        return cls(attempts=1)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed ``attempt`` (1-based): equal jitter, or ``retry_after``.

        ``retry_after`` is the wait LINE asked for in seconds (``None``: it asked none).
        """
        if retry_after is not None:
            return max(retry_after, 0.0)
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)


class RateLimiter:
    """Client-side rate limiting that never lets more than ``limit.calls`` requests reach
    LINE in any ``limit.per``-second window.

    Each request holds a slot from :meth:`acquire` until :meth:`release` (when its answer,
    or its failure, came back) and for ``limit.per`` seconds after that: LINE received the
    request before it answered, so the slot's next request cannot arrive within ``per``
    of it. Waiting callers are served in arrival order.
    ``limit`` is the :class:`RateLimit` to keep.

    A released slot is kept as the time it is free again, in a queue that is in time order
    (every slot waits the same ``per``), so a request costs no timer: only when callers
    wait is one set, for the earliest slot to come back.
    """

    __slots__ = ("_busy", "_calls", "_cooling", "_per", "_timer", "_waiters", "limit")

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._calls = limit.calls
        self._per = limit.per
        self._busy = 0  # slots held by requests not yet released
        self._cooling: deque[float] = deque()  # released slots: when each is free again
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.Handle | None = None

    def try_acquire(self) -> bool:
        """Take a free slot if there is one and nobody waits for it; never waits."""
        if self._waiters:
            return False
        if self._busy + len(self._cooling) < self._calls or self._free(time.monotonic()) > 0:
            self._busy += 1
            return True
        return False

    async def acquire(self) -> None:
        """Wait for a free slot and take it."""
        if self.try_acquire():
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        self._schedule(loop)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                # Handed a slot, then cancelled before it ran: the slot was never used.
                self._busy -= 1
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
                self._wake(loop)
            else:
                waiter.cancel()
                with contextlib.suppress(ValueError):  # a wake-up may have dropped it
                    self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """The request that held a slot finished: the slot is free ``limit.per`` s from now."""
        self._busy -= 1
        self._cooling.append(time.monotonic() + self._per)
        if self._waiters:
            self._schedule(asyncio.get_running_loop())

    def _free(self, now: float) -> int:
        """Free slots at ``now`` (``time.monotonic()``), dropping the slots free again."""
        cooling = self._cooling
        while cooling and cooling[0] <= now:
            cooling.popleft()
        return self._calls - self._busy - len(cooling)

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wake the waiters when the earliest released slot is free (or now, if one is)."""
        if self._timer is not None:
            return
        if self._busy + len(self._cooling) < self._calls:
            self._timer = loop.call_soon(self._wake, loop)
        elif self._cooling:
            due = self._cooling[0]
            self._timer = loop.call_later(max(0.0, due - time.monotonic()), self._wake, loop, due)

    def _wake(self, loop: asyncio.AbstractEventLoop, due: float = 0.0) -> None:
        """Hand free slots to waiters in arrival order; wait again for the rest."""
        self._timer = None
        waiters = self._waiters
        # A timer may run a hair before its time (the loop's clock resolution); it is due.
        free = self._free(max(time.monotonic(), due))
        while free > 0 and waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._busy += 1
                free -= 1
        if waiters:
            self._schedule(loop)


def with_default_limits(overrides: Mapping[str, RateLimit | int] | None) -> dict[str, RateLimit]:
    """:data:`DEFAULT_RATE_LIMITS` with ``overrides``; an unknown endpoint class raises."""
    limits = dict(DEFAULT_RATE_LIMITS)
    for name, value in (overrides or {}).items():
        if name not in limits:
            raise ValueError(
                f"rate_limits: unknown endpoint class {name!r}; the classes are "
                + ", ".join(map(repr, DEFAULT_RATE_LIMITS))
            )
        limits[name] = _rate_limit(value)
    return limits


def _rate_limit(value: RateLimit | int) -> RateLimit:
    if isinstance(value, RateLimit):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return RateLimit(value)
    raise TypeError(
        f"rate limit {value!r}: give RateLimit(calls, per=seconds) or calls per second as an int"
    )


class _Response:
    """What ``_call`` got back (made once per call: a plain class, no attrs machinery)."""

    __slots__ = ("accepted_request_id", "data", "request_id", "retry_key", "status")

    def __init__(
        self,
        status: int,
        data: Any,
        request_id: str | None,
        accepted_request_id: str | None = None,
        retry_key: str | None = None,
    ) -> None:
        self.status = status
        self.data = data
        self.request_id = request_id
        self.accepted_request_id = accepted_request_id
        self.retry_key = retry_key


RetryMode = Literal["all", "not_delivered", "none"]


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:  # an HTTP date: wait until then
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - time.time())


def _error_from(
    status: int, data: Any, headers: Mapping[str, str], method: str, path: str
) -> LineApiError:
    body = data if isinstance(data, dict) else {}
    details = tuple(
        ErrorDetail(message=d.get("message"), property=d.get("property"))
        for d in body.get("details") or ()
        if isinstance(d, dict)
    )
    message = body.get("message") or f"HTTP {status}"
    kind = api_error_for_status(status)
    if status == 429 and "monthly limit" in str(message).lower():
        kind = QuotaExceededError
        message = (
            f"{message} The month's message quota is used up: pushes, multicasts and broadcasts "
            "fail until it resets next month or the plan's limit is raised (replies are free "
            "and still work); see client.quota() and quota_consumption()"
        )
    return kind(
        status,
        str(message),
        details=details,
        request_id=headers.get("x-line-request-id"),
        accepted_request_id=headers.get("x-line-accepted-request-id"),
        method=method,
        path=path,
        body=body or None,
        retry_after=_retry_after(headers),
    )


def _check_retry_key(key: str) -> None:
    try:
        uuid.UUID(key)
    except ValueError:
        raise ValueError(
            f"retry_key {key[:40]!r} is not a UUID: pass the retry_key of the SendResult or error "
            "of the send you are repeating, or leave it out for a new send"
        ) from None


def clean_token(value: str | None, what: str, variable: str) -> str:
    """A channel secret or access token without surrounding whitespace (a newline from a
    file, say); raises :class:`ConfigurationError` when it is empty or has inner
    whitespace or control characters (never showing the value)."""
    token = (value or "").strip()
    if not token:
        raise ConfigurationError(f"{what} is empty: set {variable}")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in token):
        raise ConfigurationError(
            f"{what} contains whitespace or control characters inside it (not only around it): "
            f"check {variable}; it may hold two values or a pasted line break"
        )
    return token


def _expect_prefix(value: str, prefix: str, what: str, instead: str) -> None:
    if not value.startswith(prefix):
        raise UnsupportedInScopeError(f"{value[:12]}… is not a {what}: {instead}")


class LineClient:
    """Async client of the LINE Messaging API.

    ``LineClient(access_token)``; base URLs default to ``LINE_API_BASE_URL`` and
    ``LINE_DATA_API_BASE_URL`` from the environment, then LINE's hosts. Use it as an
    async context manager, or call :meth:`close` when done.

    Args:
        access_token: The channel access token (surrounding whitespace is dropped).
        api_base_url: The Messaging API host; default ``$LINE_API_BASE_URL``, then LINE's.
        data_api_base_url: The content host; default ``$LINE_DATA_API_BASE_URL``, then
            LINE's.
        retry: How calls are retried (default: ``RetryPolicy()``).
        rate_limits: Overrides of :data:`DEFAULT_RATE_LIMITS` per endpoint class, e.g.
            ``{"default": RateLimit(100)}`` or ``{"default": 100}``: calls beyond the limit
            wait for a free slot instead of collecting 429s.
        timeout: Seconds each HTTP request may take.
        session: An aiohttp session to use (the caller closes it); default: the client
            makes one and closes it in :meth:`close`.

    Raises:
        ConfigurationError: The token is empty or has inner whitespace or control
            characters (the message never shows it).
        ValueError: A rate limit names an unknown endpoint class.
        TypeError: A rate limit is neither a :class:`RateLimit` nor an int.
    """

    def __init__(
        self,
        access_token: str,
        *,
        api_base_url: str | None = None,
        data_api_base_url: str | None = None,
        retry: RetryPolicy | None = None,
        rate_limits: Mapping[str, RateLimit | int] | None = None,
        timeout: float = 10.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._token = clean_token(access_token, "access_token", "LINE_CHANNEL_ACCESS_TOKEN")
        self._authorization = f"Bearer {self._token}"
        self.api_base_url = (
            api_base_url or os.environ.get("LINE_API_BASE_URL") or DEFAULT_API_BASE_URL
        ).rstrip("/")
        self.data_api_base_url = (
            data_api_base_url
            or os.environ.get("LINE_DATA_API_BASE_URL")
            or DEFAULT_DATA_API_BASE_URL
        ).rstrip("/")
        self.retry = retry if retry is not None else RetryPolicy()
        limits = with_default_limits(rate_limits)
        self._buckets = {name: RateLimiter(limit) for name, limit in limits.items()}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._owns_session = session is None

    _issuer: ChannelTokens | None = None

    @classmethod
    def from_channel(
        cls,
        channel_id: str | None = None,
        channel_secret: str | None = None,
        *,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        **options: Any,
    ) -> LineClient:
        """A client that issues its own stateless channel access tokens (15 minutes each).

        ``channel_id`` and ``channel_secret`` default to ``LINE_CHANNEL_ID`` and
        ``LINE_CHANNEL_SECRET``; a new token is issued ``refresh_margin`` seconds before
        the current one expires. ``options`` are those of ``LineClient()``.
        """
        tokens = ChannelTokens(channel_id, channel_secret, refresh_margin=refresh_margin)
        client = _IssuingClient("issued-on-first-call", **options)
        client._issuer = tokens
        return client

    async def _bearer(self) -> str:
        if self._issuer is None:
            return self._token
        return await self._issuer.get(self._http(), self.api_base_url)

    def __repr__(self) -> str:
        return f"LineClient(api_base_url={self.api_base_url!r})"

    async def __aenter__(self) -> LineClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session (if the client made it)."""
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, json_serialize=lambda o: orjson.dumps(o).decode()
            )
            self._owns_session = True
        return self._session

    # --- the one request path ---

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        retry_key: bool | str = False,
        retry_mode: RetryMode = "all",
        endpoint_class: str = "default",
    ) -> _Response:
        url = self.api_base_url + path
        authorization = (
            self._authorization if self._issuer is None else f"Bearer {await self._bearer()}"
        )
        body: bytes | None = None
        if json is not None:
            body = orjson.dumps(json)
            headers = {"Authorization": authorization, "Content-Type": "application/json"}
        else:
            headers = {"Authorization": authorization}
        # A key the caller passed in (retrying a call of theirs) or one derived from the event
        # may have been accepted before this call: LINE's 409 then means "sent already".
        key: str | None = None
        repeated = False
        if isinstance(retry_key, str):
            key, repeated = retry_key, True
        elif retry_key:
            keys = _retry_keys.get()
            repeated = keys is not None
            key = keys.next() if keys is not None else _random_uuid()
        if key is not None:
            headers["X-Line-Retry-Key"] = key
        policy = self.retry
        attempts = max(1, policy.attempts) if retry_mode != "none" else 1
        deadline = time.monotonic() + policy.total_timeout
        bucket = self._buckets.get(endpoint_class) or self._buckets["default"]
        log, debug = _call_log()
        attempt = 0
        while True:
            attempt += 1
            if not bucket.try_acquire():  # a free slot is the common case: no coroutine
                await bucket.acquire()
            started = time.monotonic()
            try:
                async with self._http().request(
                    method, url, data=body, params=params, headers=headers
                ) as resp:
                    raw = await resp.read()
                    status = resp.status
                    resp_headers = resp.headers
            except (TimeoutError, aiohttp.ClientError) as error:
                never_sent = isinstance(error, aiohttp.ClientConnectorError)
                may_retry = retry_mode == "all" or (retry_mode == "not_delivered" and never_sent)
                log.warning(
                    "api_call_failed",
                    method=method,
                    path=path,
                    attempt=attempt,
                    error=type(error).__name__,
                    latency_ms=round((time.monotonic() - started) * 1000, 1),
                )
                delay = policy.delay(attempt, None)
                if may_retry and attempt < attempts and time.monotonic() + delay < deadline:
                    await asyncio.sleep(delay)
                    continue
                reason = str(error) or type(error).__name__
                raise LineConnectionError(
                    reason, method=method, path=path, attempts=attempt, retry_key=key
                ) from error
            finally:
                bucket.release()
            request_id = resp_headers.get("x-line-request-id")
            if debug or status >= 400:
                (log.debug if status < 400 else log.warning)(
                    "api_call",
                    method=method,
                    path=path,
                    status=status,
                    request_id=request_id,
                    attempt=attempt,
                    latency_ms=round((time.monotonic() - started) * 1000, 1),
                )
            data: Any = None
            if raw and resp_headers.get("Content-Type", "").startswith("application/json"):
                try:
                    data = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    data = None
            if 200 <= status < 300:
                return _Response(status, data, request_id, None, key)
            accepted = resp_headers.get("x-line-accepted-request-id")
            if status == 409 and key is not None and accepted and (attempt > 1 or repeated):
                # An earlier attempt (this call's, or an earlier run of the same handler)
                # went through; the retry key kept it from being sent twice.
                log.info(
                    "api_call_deduplicated",
                    method=method,
                    path=path,
                    accepted_request_id=accepted,
                )
                return _Response(
                    status, data, request_id, accepted_request_id=accepted, retry_key=key
                )
            api_error = _error_from(status, data, resp_headers, method, path)
            api_error.retry_key = key
            if isinstance(api_error, QuotaExceededError):
                raise api_error  # the month's messages are used up: no retry will help
            retryable = status in policy.statuses and (
                retry_mode == "all" or (retry_mode == "not_delivered" and status == 429)
            )
            delay = policy.delay(attempt, api_error.retry_after)
            if retryable and attempt < attempts and time.monotonic() + delay < deadline:
                log.warning(
                    "api_call_retrying",
                    method=method,
                    path=path,
                    status=status,
                    attempt=attempt,
                    delay=round(delay, 3),
                )
                await asyncio.sleep(delay)
                continue
            if retryable and attempt < attempts and api_error.retry_after is not None:
                api_error.message += (
                    f" (LINE asked to retry after {api_error.retry_after:g} s, more than is left "
                    f"of this call's {policy.total_timeout:g} s budget: try again later, or raise "
                    "RetryPolicy(total_timeout=))"
                )
            raise api_error

    async def _send(
        self,
        path: str,
        payload: dict[str, Any],
        *,
        retry_key: bool | str | None,
        retry_mode: RetryMode,
        endpoint_class: str = "default",
    ) -> SendResult:
        if retry_key is None:
            retry_key = True
        elif isinstance(retry_key, str):
            _check_retry_key(retry_key)
        response = await self._call(
            "POST",
            path,
            json=payload,
            retry_key=retry_key,
            retry_mode=retry_mode,
            endpoint_class=endpoint_class,
        )
        accepted = response.accepted_request_id
        return SendResult(  # positional: the fields in order (request ID, ..., retry key)
            response.request_id,
            _sent_messages(response.data),
            accepted,
            accepted is not None,
            response.retry_key,
        )

    # --- messages ---

    async def reply(
        self,
        reply_token: str,
        *messages: Messages,
        notification_disabled: bool = False,
    ) -> SendResult:
        """Answer an event with its single-use reply token (free of quota).

        Retried only when the request cannot have reached LINE (connection refused) or LINE
        rate-limited it; an invalid or used token raises
        :class:`~linegroupbot.errors.BadRequestError` at once.

        Args:
            reply_token: The event's reply token.
            *messages: Up to five messages: strings (text messages), message objects, or
                iterables of them.
            notification_disabled: Deliver without a notification sound.

        Returns:
            LINE's answer: request ID and, where LINE gives them, the sent messages.

        Raises:
            MessageValidationError: A message LINE would refuse (nothing is sent).
            LineApiError: LINE refused the call (a subclass per status, e.g.
                :class:`~linegroupbot.errors.QuotaExceededError`), after any retries.
            LineConnectionError: LINE could not be reached, after any retries.
        """
        payload = {
            "replyToken": reply_token,
            "messages": _wire(messages),
            "notificationDisabled": notification_disabled,
        }
        return await self._send(
            "/v2/bot/message/reply", payload, retry_key=False, retry_mode="not_delivered"
        )

    async def push(
        self,
        to: str,
        *messages: Messages,
        notification_disabled: bool = False,
        retry_key: str | None = None,
    ) -> SendResult:
        """Send to a user, group or room ID (counts against the monthly quota); idempotent.

        Every send carries an ``X-Line-Retry-Key`` (a new UUID, or one derived from the event
        in a handler), reused by every retry. When the retries run out, the error's
        ``retry_key`` says which key the call used: pass it as ``retry_key=`` to try the same
        send again, and LINE sends it at most once (a 409 "already accepted" then counts as
        success, with ``deduplicated`` true).

        Args:
            to: A user, group or room ID.
            *messages: Up to five messages: strings (text messages), message objects, or
                iterables of them.
            notification_disabled: Deliver without a notification sound.
            retry_key: The ``X-Line-Retry-Key`` to send with (a UUID); default: a new one,
                or one derived from the event inside a handler.

        Returns:
            LINE's answer: request ID and, where LINE gives them, the sent messages.

        Raises:
            MessageValidationError: A message LINE would refuse (nothing is sent).
            LineApiError: LINE refused the call (a subclass per status, e.g.
                :class:`~linegroupbot.errors.QuotaExceededError`), after any retries.
            LineConnectionError: LINE could not be reached, after any retries.
        """
        payload = {
            "to": to,
            "messages": _wire(messages),
            "notificationDisabled": notification_disabled,
        }
        return await self._send(
            "/v2/bot/message/push", payload, retry_key=retry_key, retry_mode="all"
        )

    async def push_raw(
        self,
        to: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        notification_disabled: bool = False,
        retry_key: str | None = None,
    ) -> SendResult:
        """:meth:`push` of messages already in LINE's JSON shape (validated when they were made).

        Args:
            to: A user, group or room ID.
            messages: The messages as LINE's JSON objects, sent as they are.
            notification_disabled: Deliver without a notification sound.
            retry_key: The ``X-Line-Retry-Key`` to send with (a UUID); default: a new one,
                or one derived from the event inside a handler.

        Returns:
            LINE's answer: request ID and, where LINE gives them, the sent messages.

        Raises:
            MessageValidationError: A message LINE would refuse (nothing is sent).
            LineApiError: LINE refused the call (a subclass per status, e.g.
                :class:`~linegroupbot.errors.QuotaExceededError`), after any retries.
            LineConnectionError: LINE could not be reached, after any retries.
        """
        payload = {
            "to": to,
            "messages": [dict(m) for m in messages],
            "notificationDisabled": notification_disabled,
        }
        return await self._send(
            "/v2/bot/message/push", payload, retry_key=retry_key, retry_mode="all"
        )

    async def multicast(
        self,
        user_ids: Iterable[str],
        *messages: Messages,
        notification_disabled: bool = False,
        retry_key: str | None = None,
    ) -> SendResult:
        """Send to up to 500 users at once; group and room IDs are refused (use :meth:`push`).

        Args:
            user_ids: 1 to 500 user IDs.
            *messages: Up to five messages: strings (text messages), message objects, or
                iterables of them.
            notification_disabled: Deliver without a notification sound.
            retry_key: The ``X-Line-Retry-Key`` to send with (a UUID); default: a new one,
                or one derived from the event inside a handler.

        Returns:
            LINE's answer: request ID and, where LINE gives them, the sent messages.

        Raises:
            MessageValidationError: A message LINE would refuse (nothing is sent).
            LineApiError: LINE refused the call (a subclass per status, e.g.
                :class:`~linegroupbot.errors.QuotaExceededError`), after any retries.
            LineConnectionError: LINE could not be reached, after any retries.
            UnsupportedInScopeError: A group or room ID, or not 1 to 500 IDs.
        """
        ids = list(user_ids)
        for user_id in ids:
            if user_id.startswith(("C", "R")):
                kind = "group" if user_id.startswith("C") else "room"
                raise UnsupportedInScopeError(
                    f"multicast takes user IDs only, and {user_id[:12]}… is a {kind} ID: "
                    f"use push(to={kind}_id, ...) to send to a {kind}"
                )
        if not 1 <= len(ids) <= 500:
            raise UnsupportedInScopeError(
                f"multicast takes 1 to 500 user IDs, got {len(ids)}: split the list"
            )
        payload = {
            "to": ids,
            "messages": _wire(messages),
            "notificationDisabled": notification_disabled,
        }
        return await self._send(
            "/v2/bot/message/multicast",
            payload,
            retry_key=retry_key,
            retry_mode="all",
            endpoint_class="multicast",
        )

    async def broadcast(
        self,
        *messages: Messages,
        notification_disabled: bool = False,
        retry_key: str | None = None,
    ) -> SendResult:
        """Send to every friend of the bot (not to groups or rooms); idempotent.

        Args:
            *messages: Up to five messages: strings (text messages), message objects, or
                iterables of them.
            notification_disabled: Deliver without a notification sound.
            retry_key: The ``X-Line-Retry-Key`` to send with (a UUID); default: a new one,
                or one derived from the event inside a handler.

        Returns:
            LINE's answer: request ID and, where LINE gives them, the sent messages.

        Raises:
            MessageValidationError: A message LINE would refuse (nothing is sent).
            LineApiError: LINE refused the call (a subclass per status, e.g.
                :class:`~linegroupbot.errors.QuotaExceededError`), after any retries.
            LineConnectionError: LINE could not be reached, after any retries.
        """
        payload = {
            "messages": _wire(messages),
            "notificationDisabled": notification_disabled,
        }
        return await self._send(
            "/v2/bot/message/broadcast",
            payload,
            retry_key=retry_key,
            retry_mode="all",
            endpoint_class="broadcast",
        )

    async def narrowcast(
        self,
        *messages: Messages,
        recipient: Mapping[str, Any] | None = None,
        filter: Mapping[str, Any] | None = None,
        limit: Mapping[str, Any] | None = None,
        notification_disabled: bool = False,
        retry_key: str | None = None,
    ) -> SendResult:
        """Send to friends chosen by audience (``recipient``) and demographic ``filter``.

        LINE accepts the request (202) and delivers in the background: follow it with
        :meth:`narrowcast_progress` and the returned ``request_id``. Idempotent.

        Args:
            *messages: Up to five messages: strings (text messages), message objects, or
                iterables of them.
            recipient: LINE's recipient object (audiences, redelivery), as JSON; ``None``:
                every friend.
            filter: LINE's demographic filter object, as JSON.
            limit: LINE's limit object (``max``, ``upToRemainingQuota``), as JSON.
            notification_disabled: Deliver without a notification sound.
            retry_key: The ``X-Line-Retry-Key`` to send with (a UUID); default: a new one,
                or one derived from the event inside a handler.

        Returns:
            LINE's answer: request ID and, where LINE gives them, the sent messages.

        Raises:
            MessageValidationError: A message LINE would refuse (nothing is sent).
            LineApiError: LINE refused the call (a subclass per status, e.g.
                :class:`~linegroupbot.errors.QuotaExceededError`), after any retries.
            LineConnectionError: LINE could not be reached, after any retries.
        """
        payload: dict[str, Any] = {
            "messages": _wire(messages),
            "notificationDisabled": notification_disabled,
        }
        for key, value in (("recipient", recipient), ("filter", filter), ("limit", limit)):
            if value is not None:
                payload[key] = dict(value)
        return await self._send(
            "/v2/bot/message/narrowcast",
            payload,
            retry_key=retry_key,
            retry_mode="all",
            endpoint_class="broadcast",
        )

    async def narrowcast_progress(self, request_id: str) -> dict[str, Any]:
        """LINE's progress report of a narrowcast (``phase``, ``successCount``, ...).

        Args:
            request_id: The ``request_id`` the narrowcast returned.

        Raises:
            LineApiError: LINE refused the call
                (e.g. :class:`~linegroupbot.errors.NotFoundError`).
            LineConnectionError: LINE could not be reached.
        """
        response = await self._call(
            "GET", "/v2/bot/message/progress/narrowcast", params={"requestId": request_id}
        )
        return dict(response.data or {})

    async def show_loading(self, chat_id: str, *, seconds: int = 5) -> None:
        """Show the loading animation in a 1:1 chat (LINE offers it nowhere else).

        Args:
            chat_id: The user ID of the 1:1 chat.
            seconds: How long: a multiple of 5 from 5 to 60 (a message ends it sooner).

        Raises:
            UnsupportedInScopeError: ``chat_id`` is a group or room ID.
            ValueError: ``seconds`` is out of range.
        """
        _expect_prefix(
            chat_id,
            "U",
            "user ID",
            "the loading animation exists only in one-on-one chats, not in groups or rooms",
        )
        if seconds % 5 or not 5 <= seconds <= 60:
            raise ValueError("loading seconds must be a multiple of 5 from 5 to 60")
        await self._call(
            "POST",
            "/v2/bot/chat/loading/start",
            json={"chatId": chat_id, "loadingSeconds": seconds},
        )

    async def quota(self) -> MessageQuota:
        """This month's limit on messages that count (push, multicast, broadcast)."""
        response = await self._call("GET", "/v2/bot/message/quota")
        return structure(response.data, MessageQuota)

    async def quota_consumption(self) -> int:
        """How many counted messages were sent this month."""
        response = await self._call("GET", "/v2/bot/message/quota/consumption")
        return int(response.data["totalUsage"])

    # --- the channel ---

    async def bot_info(self) -> BotInfo:
        """The bot's account: user ID, basic ID, display name, picture, chat and read modes."""
        response = await self._call("GET", "/v2/bot/info")
        return structure(response.data, BotInfo)

    async def webhook_endpoint(self) -> WebhookEndpoint:
        """The channel's webhook URL and whether it is in use (404 when none is set)."""
        response = await self._call("GET", "/v2/bot/channel/webhook/endpoint")
        return structure(response.data, WebhookEndpoint)

    async def set_webhook_endpoint(self, url: str) -> None:
        """Set the channel's webhook URL (HTTPS, at most 500 characters).

        Plain ``http://`` to a loopback address is let through for the emulator (LINE
        itself refuses it).

        Args:
            url: The webhook URL.

        Raises:
            ValueError: The URL is not HTTPS (nor loopback), or too long.
            LineApiError: LINE refused it.
        """
        loopback = url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]"))
        if not (url.startswith("https://") or loopback) or len(url) > 500:
            raise ValueError(
                f"LINE takes an https:// webhook URL of at most 500 characters, not {url[:80]!r}"
            )
        await self._call("PUT", "/v2/bot/channel/webhook/endpoint", json={"endpoint": url})

    async def test_webhook_endpoint(self, url: str | None = None) -> WebhookTestResult:
        """Have LINE send an empty webhook to ``url`` (default: the channel's) and report it.

        This is the console's "Verify" button: the bot must answer 200 to a body with no
        events and a valid signature.
        """
        body = {"endpoint": url} if url is not None else {}
        response = await self._call("POST", "/v2/bot/channel/webhook/test", json=body)
        return structure(response.data, WebhookTestResult)

    async def delivery_count(self, kind: DeliveryKind, date: dt.date) -> DeliveryCount:
        """Messages delivered by ``kind`` of send on ``date`` (a day in Japan time, UTC+9).

        LINE needs about a day to count: today's and later dates are ``unready``.
        """
        if kind not in ("reply", "push", "multicast", "broadcast"):
            raise ValueError(f"kind must be reply, push, multicast or broadcast, not {kind!r}")
        response = await self._call(
            "GET", f"/v2/bot/message/delivery/{kind}", params={"date": date.strftime("%Y%m%d")}
        )
        return structure(response.data, DeliveryCount)

    # --- users ---

    async def profile(self, user_id: str) -> Profile:
        """Profile of a user who is a friend of the bot (1:1).

        Args:
            user_id: The user's ID.

        Raises:
            LineApiError: LINE refused the call
                (e.g. :class:`~linegroupbot.errors.NotFoundError`).
            LineConnectionError: LINE could not be reached.
        """
        response = await self._call("GET", f"/v2/bot/profile/{user_id}")
        return structure(response.data, Profile)

    # --- groups ---

    async def group_summary(self, group_id: str) -> GroupSummary:
        """Name and icon of a group the bot is in (rooms have no summary).

        Args:
            group_id: The group's ID.

        Raises:
            UnsupportedInScopeError: ``group_id`` is not a group ID (use the room method).
            LineApiError: LINE refused the call.
        """
        _expect_prefix(group_id, "C", "group ID", "only groups have a summary; rooms have no name")
        response = await self._call("GET", f"/v2/bot/group/{group_id}/summary")
        return structure(response.data, GroupSummary)

    async def group_member_count(self, group_id: str) -> int:
        """How many members a group has (the bot not counted).

        Args:
            group_id: The group's ID.

        Raises:
            UnsupportedInScopeError: ``group_id`` is not a group ID (use the room method).
            LineApiError: LINE refused the call.
        """
        _expect_prefix(group_id, "C", "group ID", "use room_member_count for rooms")
        response = await self._call("GET", f"/v2/bot/group/{group_id}/members/count")
        return int(response.data["count"])

    async def group_member_profile(self, group_id: str, user_id: str) -> Profile:
        """Profile of a group member, friend of the bot or not.

        Args:
            group_id: The group's ID.
            user_id: The member's user ID.

        Raises:
            UnsupportedInScopeError: ``group_id`` is not a group ID (use the room method).
            LineApiError: LINE refused the call
                (:class:`~linegroupbot.errors.NotFoundError`: not a member).
        """
        _expect_prefix(group_id, "C", "group ID", "use room_member_profile for rooms")
        response = await self._call("GET", f"/v2/bot/group/{group_id}/member/{user_id}")
        return structure(response.data, Profile)

    def group_member_ids(self, group_id: str) -> AsyncIterator[str]:
        """Every member's user ID, following ``next`` across pages (verified accounts only).

        Args:
            group_id: The group's ID.

        Raises:
            UnsupportedInScopeError: ``group_id`` is not a group ID (use the room method).
            LineApiError: LINE refused the call (:class:`~linegroupbot.errors.ForbiddenError`:
                not a verified or premium account).
        """
        _expect_prefix(group_id, "C", "group ID", "use room_member_ids for rooms")
        return self._member_ids(f"/v2/bot/group/{group_id}/members/ids")

    async def leave_group(self, group_id: str) -> None:
        """Make the bot leave a group.

        Args:
            group_id: The group's ID.

        Raises:
            UnsupportedInScopeError: ``group_id`` is not a group ID (use the room method).
            LineApiError: LINE refused the call.
        """
        _expect_prefix(group_id, "C", "group ID", "use leave_room for rooms")
        await self._call("POST", f"/v2/bot/group/{group_id}/leave")

    # --- rooms ---

    async def room_member_count(self, room_id: str) -> int:
        """How many members a room has (the bot not counted).

        Args:
            room_id: The room's ID.

        Raises:
            UnsupportedInScopeError: ``room_id`` is not a room ID (use the group method).
            LineApiError: LINE refused the call.
        """
        _expect_prefix(room_id, "R", "room ID", "use group_member_count for groups")
        response = await self._call("GET", f"/v2/bot/room/{room_id}/members/count")
        return int(response.data["count"])

    async def room_member_profile(self, room_id: str, user_id: str) -> Profile:
        """Profile of a room member.

        Args:
            room_id: The room's ID.
            user_id: The member's user ID.

        Raises:
            UnsupportedInScopeError: ``room_id`` is not a room ID (use the group method).
            LineApiError: LINE refused the call
                (:class:`~linegroupbot.errors.NotFoundError`: not a member).
        """
        _expect_prefix(room_id, "R", "room ID", "use group_member_profile for groups")
        response = await self._call("GET", f"/v2/bot/room/{room_id}/member/{user_id}")
        return structure(response.data, Profile)

    def room_member_ids(self, room_id: str) -> AsyncIterator[str]:
        """Every room member's user ID across pages (verified accounts only).

        Args:
            room_id: The room's ID.

        Raises:
            UnsupportedInScopeError: ``room_id`` is not a room ID (use the group method).
            LineApiError: LINE refused the call.
        """
        _expect_prefix(room_id, "R", "room ID", "use group_member_ids for groups")
        return self._member_ids(f"/v2/bot/room/{room_id}/members/ids")

    async def leave_room(self, room_id: str) -> None:
        """Make the bot leave a room.

        Args:
            room_id: The room's ID.

        Raises:
            UnsupportedInScopeError: ``room_id`` is not a room ID (use the group method).
            LineApiError: LINE refused the call.
        """
        _expect_prefix(room_id, "R", "room ID", "use leave_group for groups")
        await self._call("POST", f"/v2/bot/room/{room_id}/leave")

    async def _member_ids(self, path: str) -> AsyncIterator[str]:
        start: str | None = None
        while True:
            params = {"start": start} if start else None
            try:
                response = await self._call("GET", path, params=params)
            except ForbiddenError as error:
                raise ForbiddenError(
                    error.status,
                    f"{error.message}. LINE lists member IDs for verified or premium accounts "
                    "only: use ctx.roster (kept from events) or ctx.member_count() instead",
                    details=error.details,
                    request_id=error.request_id,
                    method=error.method,
                    path=error.path,
                ) from error
            data = response.data or {}
            for member_id in data.get("memberIds") or ():
                yield member_id
            start = data.get("next")
            if not start:
                return

    # --- content ---

    async def iter_content(
        self, message_id: str, *, chunk_size: int = 64 * 1024
    ) -> AsyncIterator[bytes]:
        """Stream the binary content of an image, video, audio or file message.

        Args:
            message_id: The message's ID (``ctx.message.id``).
            chunk_size: The largest chunk yielded, in bytes.

        Raises:
            LineApiError: LINE refused the call (:class:`~linegroupbot.errors.NotFoundError`:
                no such content, or it expired).
            LineConnectionError: LINE could not be reached, or the download broke off.
        """
        path = f"/v2/bot/message/{message_id}/content"
        url = self.data_api_base_url + path
        headers = {"Authorization": f"Bearer {await self._bearer()}"}
        try:
            async with self._http().get(url, headers=headers) as resp:
                _log.debug(
                    "api_call",
                    method="GET",
                    path=path,
                    status=resp.status,
                    request_id=resp.headers.get("x-line-request-id"),
                    attempt=1,
                )
                if resp.status >= 400:
                    raw = await resp.read()
                    data = orjson.loads(raw) if raw.startswith(b"{") else None
                    raise _error_from(resp.status, data, resp.headers, "GET", path)
                async for chunk in resp.content.iter_chunked(chunk_size):
                    yield chunk
        except (TimeoutError, aiohttp.ClientError) as error:
            raise LineConnectionError(str(error), method="GET", path=path, attempts=1) from error

    async def get_content(self, message_id: str) -> bytes:
        """The whole binary content of a message (see :meth:`iter_content` to stream).

        Args:
            message_id: The message's ID (``ctx.message.id``).

        Raises:
            LineApiError: LINE refused the call.
            LineConnectionError: LINE could not be reached.
        """
        return b"".join([chunk async for chunk in self.iter_content(message_id)])


class _IssuingClient(LineClient):
    """A client whose tokens come from :class:`ChannelTokens`: a 401 drops the current token,
    so the next call issues another (the failed call is not retried: it may carry a retry key
    whose place in the sequence matters)."""

    async def _call(self, method: str, path: str, **options: Any) -> _Response:
        try:
            return await super()._call(method, path, **options)
        except UnauthorizedError:
            if self._issuer is not None:
                self._issuer.forget()
            raise
