"""The one error hierarchy of linegroupbot.

Every exception the framework raises on purpose is a :class:`LineGroupBotError`.
Errors carry data (status, request id, details) as attributes, and their
messages say what happened and what to do instead. No error ever contains the
channel secret or the access token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "ErrorDetail",
    "ForbiddenError",
    "HandlerTimeoutError",
    "InvalidSignatureError",
    "InvalidWebhookBodyError",
    "LineApiError",
    "LineConnectionError",
    "LineGroupBotError",
    "MessageValidationError",
    "NoReplyTokenError",
    "NoUserIdError",
    "NotFoundError",
    "QuotaExceededError",
    "RateLimitError",
    "ReplyTokenUsedError",
    "ServerError",
    "StateConflictError",
    "StoreError",
    "UnauthorizedError",
    "UnsupportedInScopeError",
    "api_error_for_status",
    "describe_error",
]


class LineGroupBotError(Exception):
    """Base class of every error linegroupbot raises on purpose."""


class ConfigurationError(LineGroupBotError):
    """The bot is configured wrongly (missing secret or token, bad setting); raised at startup."""


class StoreError(LineGroupBotError):
    """The store (``memory://``, ``sqlite:///...``, ``redis://...``) is misnamed or unreachable.

    The message names the URL, with any password redacted, and what to do.
    """


class StateConflictError(LineGroupBotError):
    """A state update kept losing to concurrent writers and gave up (the value is unchanged)."""


class InvalidSignatureError(LineGroupBotError):
    """The ``x-line-signature`` header is missing or does not match the raw request body."""


class InvalidWebhookBodyError(LineGroupBotError):
    """The webhook body is not JSON, or not shaped like a LINE webhook request."""


class MessageValidationError(LineGroupBotError, ValueError):
    """A message would be rejected by LINE; raised before anything is sent.

    ``message`` says what is wrong; ``property`` names the offending field the way LINE
    would (``messages[0].text``), when there is one.
    """

    def __init__(self, message: str, *, property: str | None = None) -> None:
        super().__init__(message)
        self.property = property


class UnsupportedInScopeError(LineGroupBotError):
    """The operation does not exist for this kind of chat (e.g. ``leave()`` in a 1:1 chat)."""


class NoUserIdError(LineGroupBotError):
    """The event has no userId: the member has not agreed to the Official Account terms."""


class NoReplyTokenError(LineGroupBotError):
    """The event carries no reply token, so there is nothing to reply to."""


class ReplyTokenUsedError(LineGroupBotError):
    """This event's reply token was already used (or has expired); reply tokens are single use."""


class HandlerTimeoutError(LineGroupBotError):
    """A handler ran past its time budget and was cancelled (its event is not retried).

    ``handler`` names it and ``timeout`` is the budget in seconds. Raise the budget with
    ``Bot(handler_timeout=)`` or ``@handler_timeout(seconds)`` on the handler, or move slow
    work out of the handler (``ctx.push_later``, a task queue).
    """

    def __init__(self, handler: str | None, timeout: float) -> None:
        self.handler = handler
        self.timeout = timeout
        super().__init__(
            f"handler {handler or '(none chosen yet)'} did not finish within {timeout:g} s and "
            "was cancelled: give it more time with @handler_timeout(seconds) or "
            "Bot(handler_timeout=), or move the slow work out of the handler"
        )


class LineConnectionError(LineGroupBotError):
    """LINE could not be reached (refused, dropped or timed out) after all retries.

    ``message`` is what the connection error said; ``method`` and ``path`` name the call;
    ``attempts`` says how often it was tried. A send that may have reached LINE before the
    connection failed can be repeated safely with ``retry_key=error.retry_key`` (``None``
    for calls that carry no retry key).
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        attempts: int,
        retry_key: str | None = None,
    ) -> None:
        super().__init__(f"{method} {path}: {message} (after {attempts} attempt(s))")
        self.method = method
        self.path = path
        self.attempts = attempts
        self.retry_key = retry_key


@attrs.frozen
class ErrorDetail:
    """One entry of the ``details`` array of a LINE error body.

    Attributes:
        message: What LINE says is wrong.
        property: The field it is wrong about (``messages[0].text``), if LINE names one.
    """

    message: str | None = None
    property: str | None = None

    def __str__(self) -> str:
        if self.property:
            return f"{self.property}: {self.message}"
        return self.message or ""


class LineApiError(LineGroupBotError):
    """LINE answered a Messaging API call with an error status.

    Attributes: ``status`` (HTTP status), ``message`` (LINE's message), ``details``
    (tuple of :class:`ErrorDetail`), ``request_id`` (``x-line-request-id``),
    ``accepted_request_id`` (for 409 answers to a retry key), ``method`` and ``path``
    of the call, ``body`` (the parsed error body), ``retry_after`` (seconds LINE asked to
    wait) and ``retry_key`` (the ``X-Line-Retry-Key`` the call carried: repeat the send with
    ``retry_key=error.retry_key`` and LINE sends it at most once).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        details: Sequence[ErrorDetail] = (),
        request_id: str | None = None,
        accepted_request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        body: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.details = tuple(details)
        self.request_id = request_id
        self.accepted_request_id = accepted_request_id
        self.method = method
        self.path = path
        self.body = dict(body) if body is not None else None
        self.retry_after = retry_after
        self.retry_key: str | None = None
        super().__init__(str(self))

    def __str__(self) -> str:
        call = f"{self.method} {self.path} " if self.method and self.path else ""
        text = f"{call}failed with {self.status}: {self.message}"
        if self.details:
            text += " (" + "; ".join(str(d) for d in self.details) + ")"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        if self.accepted_request_id:
            text += f" [accepted request id {self.accepted_request_id}]"
        return text

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}({self.status}, {self.message!r}, request_id={self.request_id!r})"


class BadRequestError(LineApiError):
    """400: LINE rejected the request (invalid message, invalid reply token, ...)."""


class UnauthorizedError(LineApiError):
    """401: the channel access token is invalid or expired."""


class ForbiddenError(LineApiError):
    """403: this account may not use the endpoint (e.g. member IDs need a verified account)."""


class NotFoundError(LineApiError):
    """404: the user, group, room or content does not exist, or the bot is not a member."""


class ConflictError(LineApiError):
    """409: a request with this retry key was already accepted (see ``accepted_request_id``)."""


class RateLimitError(LineApiError):
    """429: rate limit or monthly quota exceeded."""


class QuotaExceededError(RateLimitError):
    """429 "monthly limit": the month's message quota is used up; retrying will not help."""


class ServerError(LineApiError):
    """5xx: the LINE platform failed; the call may be retried."""


_BY_STATUS: dict[int, type[LineApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def api_error_for_status(status: int) -> type[LineApiError]:
    """The :class:`LineApiError` subclass that stands for an HTTP ``status``.

    5xx is :class:`ServerError`; a status without a class of its own is
    :class:`LineApiError` itself.
    """
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, LineApiError)


def describe_error(error: BaseException) -> str:
    """``Type: message`` of ``error``, for logs and health reports (some libraries' reprs drop
    the message)."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
