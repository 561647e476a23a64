"""Webhook delivery: sign each request like LINE, POST it, record it, redeliver on failure."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

from ..logging import get_logger
from ..signature import sign
from .world import Delivery, World

__all__ = ["WebhookSender", "sign"]

_log = get_logger("linegroupbot.emulator")


class WebhookSender:
    """Posts signed webhook bodies to the bot and redelivers the failed ones."""

    def __init__(
        self,
        world: World,
        *,
        channel_secret: str,
        webhook_url: str | None,
        timeout: float,
        redelivery: bool,
        redelivery_delay: float,
        max_redeliveries: int,
        on_change: Callable[[], None],
    ) -> None:
        self.world = world
        self.channel_secret = channel_secret
        self.webhook_url = webhook_url
        self.timeout = timeout
        self.redelivery = redelivery
        self.redelivery_delay = redelivery_delay
        self.max_redeliveries = max_redeliveries
        self._on_change = on_change
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        """Stop pending redeliveries and close the HTTP session."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def deliver(self, events: list[dict[str, Any]], *, attempt: int = 1) -> Delivery | None:
        """POST ``events`` in one request; schedule a redelivery if the bot fails it."""
        if not events or self.webhook_url is None:
            return None
        return await self._post(events, attempt=attempt)

    async def _post(self, events: list[dict[str, Any]], attempt: int) -> Delivery:
        body = orjson.dumps({"destination": self.world.bot_user_id, "events": events})
        signature = sign(body, self.channel_secret)
        delivery = Delivery(
            seq=self.world.next_seq(),
            event_ids=[e["webhookEventId"] for e in events],
            event_types=[e["type"] for e in events],
            attempt=attempt,
            is_redelivery=attempt > 1,
            body=body.decode(),
            signature=signature,
            chat_ids=list(dict.fromkeys(_chat_of(e) for e in events if _chat_of(e))),
        )
        started = time.monotonic()
        if self._session is None:
            self._session = aiohttp.ClientSession()
        assert self.webhook_url is not None
        try:
            async with self._session.post(
                self.webhook_url,
                data=body,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "x-line-signature": signature,
                    "User-Agent": "LineBotWebhook/2.0",
                },
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as resp:
                await resp.read()
                delivery.status = resp.status
        except (TimeoutError, aiohttp.ClientError) as error:
            delivery.error = type(error).__name__
        delivery.latency_ms = round((time.monotonic() - started) * 1000, 2)
        self.world.deliveries.append(delivery)
        ok = delivery.status is not None and 200 <= delivery.status < 300
        _log.info(
            "webhook_delivered" if ok else "webhook_failed",
            events=delivery.event_types,
            status=delivery.status,
            error=delivery.error,
            attempt=attempt,
        )
        self._on_change()
        if not ok and self.redelivery and attempt <= self.max_redeliveries:
            again = copy.deepcopy(events)
            for event in again:
                event["deliveryContext"] = {"isRedelivery": True}
            task = asyncio.create_task(self._later(again, attempt + 1))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return delivery

    async def _later(self, events: list[dict[str, Any]], attempt: int) -> None:
        await asyncio.sleep(self.redelivery_delay)
        await self._post(events, attempt)


def _chat_of(event: dict[str, Any]) -> str:
    source = event.get("source") or {}
    return str(source.get("groupId") or source.get("roomId") or source.get("userId") or "")
