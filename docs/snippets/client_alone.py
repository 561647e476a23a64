"""LineClient without a Bot: push to a group from a script or a job."""

from __future__ import annotations

from linegroupbot import LineClient, RetryPolicy, SendResult


async def announce(token: str, group_id: str, *, api_base_url: str | None = None) -> SendResult:
    async with LineClient(token, api_base_url=api_base_url, retry=RetryPolicy(attempts=5)) as line:
        return await line.push(group_id, ["The build is green."])
