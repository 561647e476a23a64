"""``linegroupbot webhook show|set URL|test [URL]`` and ``linegroupbot quota``.

Both talk to the Messaging API with the channel's credentials from the environment:
``LINE_CHANNEL_ACCESS_TOKEN``, or ``LINE_CHANNEL_ID`` with ``LINE_CHANNEL_SECRET`` (a
stateless token is issued for the command). ``LINE_API_BASE_URL`` (or ``--api-base-url``)
points them elsewhere, e.g. at the emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from ._env import check_url, check_url_settings
from .channel import LINE_TIMEZONE, DeliveryKind
from .client import LineClient, RetryPolicy
from .convert import unstructure
from .errors import ConfigurationError, LineApiError, LineConnectionError, NotFoundError
from .logging import configure_logging

__all__ = ["add_commands", "client_from_env"]

_KINDS: tuple[DeliveryKind, ...] = ("reply", "push", "multicast", "broadcast")


def client_from_env(api_base_url: str | None = None) -> LineClient:
    """A client with the channel's credentials from the environment (token, or ID and secret)."""
    retry = RetryPolicy(attempts=2, total_timeout=15.0)
    token = os.environ.get("LINE_CHANNEL_ACCESS_TOKEN")
    if token:
        return LineClient(token, api_base_url=api_base_url, retry=retry)
    if os.environ.get("LINE_CHANNEL_ID"):
        return LineClient.from_channel(api_base_url=api_base_url, retry=retry)
    raise ConfigurationError(
        "no channel credentials: export LINE_CHANNEL_ACCESS_TOKEN, or LINE_CHANNEL_ID and "
        "LINE_CHANNEL_SECRET (LINE Developers console, Messaging API and Basic settings tabs)"
    )


def _run(args: argparse.Namespace, command: Callable[[LineClient], Awaitable[int]]) -> int:
    # Logs go to stderr, errors only by default: stdout is the command's answer, and the
    # command says itself what went wrong.
    configure_logging("console", args.log_level)
    check_url_settings()
    if args.api_base_url:
        check_url("--api-base-url", args.api_base_url)

    async def main() -> int:
        async with client_from_env(args.api_base_url) as client:
            return await command(client)

    try:
        return asyncio.run(main())
    except (LineApiError, LineConnectionError) as error:
        print(f"linegroupbot: {error}", file=sys.stderr)
        return 1


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def _cmd_webhook(args: argparse.Namespace) -> int:
    async def show(client: LineClient) -> int:
        try:
            endpoint = await client.webhook_endpoint()
        except NotFoundError:
            if args.json:
                _print_json({"endpoint": None, "active": False})
            else:
                print("No webhook URL is set: linegroupbot webhook set https://<host>/callback")
            return 1
        if args.json:
            _print_json(unstructure(endpoint))
        elif endpoint.active:
            print(f"Webhook URL: {endpoint.endpoint}")
            print("In use: LINE sends this channel's events there.")
        else:
            print(f"Webhook URL: {endpoint.endpoint}")
            print(
                'Not in use: LINE sends no events. Turn on "Use webhook" in the LINE '
                "Developers console (Messaging API tab)."
            )
        return 0

    async def set_url(client: LineClient) -> int:
        if not args.url:
            raise ConfigurationError("webhook set needs the URL: linegroupbot webhook set URL")
        try:
            await client.set_webhook_endpoint(args.url)
        except ValueError as error:
            raise ConfigurationError(str(error)) from None
        if args.json:
            _print_json({"endpoint": args.url})
        else:
            print(f"Webhook URL set to {args.url}")
            print("Check that LINE reaches it: linegroupbot webhook test")
        return 0

    async def test(client: LineClient) -> int:
        result = await client.test_webhook_endpoint(args.url)
        if args.json:
            _print_json(unstructure(result))
            return 0 if result.success else 1
        where = args.url or "the webhook URL"
        if result.success:
            print(f"OK: LINE reached {where} and got {result.status_code} ({result.reason}).")
            return 0
        print(f"FAILED: LINE could not deliver to {where}.")
        print(f"  status code: {result.status_code}")
        print(f"  reason:      {result.reason}")
        print(f"  detail:      {result.detail}")
        if result.status_code <= 0:
            print("  The bot did not answer: is it running, public, and served over HTTPS?")
        elif result.status_code in (401, 403):
            print("  The bot refused the signature: is LINE_CHANNEL_SECRET this channel's?")
        else:
            print("  The bot must answer 200 to a signed body with no events.")
        return 1

    commands = {"show": show, "set": set_url, "test": test}
    if args.action == "show" and args.url:
        raise ConfigurationError(f"webhook {args.action} takes no URL")
    return _run(args, commands[args.action])


def _cmd_quota(args: argparse.Namespace) -> int:
    async def quota(client: LineClient) -> int:
        limit = await client.quota()
        used = await client.quota_consumption()
        day = (
            dt.date.fromisoformat(args.date)
            if args.date
            else dt.datetime.now(LINE_TIMEZONE).date() - dt.timedelta(days=1)
        )
        counts = {kind: await client.delivery_count(kind, day) for kind in _KINDS}
        if args.json:
            _print_json(
                {
                    "quota": unstructure(limit),
                    "used": used,
                    "date": day.isoformat(),
                    "delivered": {kind: unstructure(c) for kind, c in counts.items()},
                }
            )
            return 0
        if limit.type == "limited" and limit.value is not None:
            left = max(0, limit.value - used)
            print(f"Messages this month: {used} of {limit.value} sent ({left} left)")
        else:
            print(f"Messages this month: {used} sent (no monthly limit)")
        print("  (push, multicast and broadcast count; replies are free)")
        print(f"Delivered on {day.isoformat()} (Japan time):")
        for kind, count in counts.items():
            shown = str(count.success) if count.status == "ready" else _STATUS[count.status]
            print(f"  {kind:<10} {shown}")
        return 0

    return _run(args, quota)


_STATUS = {
    "unready": "not counted yet (LINE takes about a day)",
    "unavailable_for_privacy": "fewer than 20 (LINE does not say)",
    "out_of_service": "before LINE counted (2018-03-31)",
}


def add_commands(sub: Any) -> None:
    """Register ``webhook`` and ``quota`` on the ``linegroupbot`` subcommand parser."""
    api_help = "the Messaging API host (default $LINE_API_BASE_URL, else LINE's)"
    webhook = sub.add_parser("webhook", help="show, set or test the channel's webhook URL")
    webhook.add_argument("action", choices=("show", "set", "test"))
    webhook.add_argument(
        "url", nargs="?", help="set: the new URL; test: a URL other than the set one"
    )
    webhook.add_argument("--api-base-url", default=None, help=api_help)
    webhook.add_argument("--json", action="store_true", help="print LINE's answer as JSON")
    webhook.add_argument("--log-level", default="ERROR")
    webhook.set_defaults(func=_cmd_webhook)

    quota = sub.add_parser("quota", help="the monthly message quota and the day's deliveries")
    quota.add_argument(
        "--date", default=None, help="day of the delivery counts (default yesterday)"
    )
    quota.add_argument("--api-base-url", default=None, help=api_help)
    quota.add_argument("--json", action="store_true", help="print the figures as JSON")
    quota.add_argument("--log-level", default="ERROR")
    quota.set_defaults(func=_cmd_quota)
