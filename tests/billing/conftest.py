"""Billing on: the server's real `stripe` client against a loopback Stripe stand-in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from community.settings import Settings
from tests.billing.stripe_standin import StripeStandIn, serve_standin

WEBHOOK_SECRET = "whsec_test_0123456789abcdef"


@pytest.fixture
def standin() -> Iterator[StripeStandIn]:
    found, server = serve_standin(WEBHOOK_SECRET)
    yield found
    server.shutdown()
    server.server_close()


def billing_settings(database_url: str, data_dir: Path, standin: StripeStandIn, **extra: Any) -> Settings:
    return Settings(database_url=database_url, host="127.0.0.1", port=0, websocket_port=0,
                    community_data_dir=data_dir, argon2_time_cost=1, argon2_memory_kib=1024,
                    log_format="console", log_level="warning", db_pool_min=1, db_pool_max=5,
                    stripe_secret_key="sk_test_standin", stripe_webhook_secret=WEBHOOK_SECRET,
                    stripe_api_base=standin.url, stripe_price_community="price_community",
                    stripe_price_organization="price_organization", stripe_price_enterprise="price_enterprise",
                    stripe_price_custom="price_custom", _env_file=None, **extra)  # type: ignore[call-arg]


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 15.0) -> None:
    """Poll what the billing actor writes (a table; nothing to wait on but the database)."""
    with trio.fail_after(within):
        while not await check():  # noqa: ASYNC110 - polling the database
            await trio.sleep(0.05)


async def send(client: httpx.AsyncClient, standin: StripeStandIn, type: str, obj: dict[str, Any], *,
               event_id: str | None = None) -> httpx.Response:
    body, headers = standin.event(type, obj, event_id=event_id)
    return await client.post("/api/billing/webhook", content=body, headers=headers)
