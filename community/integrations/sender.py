"""Sending one delivery: to the address the guard checked, 10 s, no redirects, 1 KB of answer.

Standard Webhooks signing (`standardwebhooks`): `webhook-id`, `webhook-timestamp` and
`webhook-signature` (`v1,<base64 HMAC-SHA256>`; during a secret rotation both secrets sign).
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

import httpx
from standardwebhooks.webhooks import Webhook

from community.integrations.guard import Target

TIMEOUT_SECONDS = 10.0
EXCERPT_BYTES = 1024
DRAIN_BYTES = 1024 * 1024
USER_AGENT = "Community-Webhooks/1"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signature_headers(message_id: str, at: datetime, body: str, signing: list[str]) -> dict[str, str]:
    signatures = " ".join(Webhook(secret).sign(message_id, at, body) for secret in signing)
    return {"webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signatures}


@dataclass(frozen=True)
class Outcome:
    status: int | None
    latency_ms: int
    excerpt: str
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Sender:
    """One pooled client for every delivery (connections reused per endpoint), made at the first
    delivery: building its TLS context (the CA bundle) costs 35-150 ms, which a node whose orgs have
    no integrations never needs to pay."""

    def __init__(self) -> None:
        self._pooled: httpx.AsyncClient | None = None

    @property
    def _client(self) -> httpx.AsyncClient:
        if self._pooled is None:
            self._pooled = httpx.AsyncClient(follow_redirects=False, timeout=TIMEOUT_SECONDS, trust_env=False,
                                             headers={"User-Agent": USER_AGENT})
        return self._pooled

    async def aclose(self) -> None:
        if self._pooled is not None:
            await self._pooled.aclose()

    async def post(self, target: Target, body: str, headers: dict[str, str]) -> Outcome:
        host = f"[{target.address}]" if target.address.version == 6 else str(target.address)
        split = httpx.URL(target.url)
        pinned = split.copy_with(host=host.strip("[]"), port=target.port)
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        started = time.perf_counter()
        try:
            async with self._client.stream("POST", pinned, content=body.encode(), extensions=extensions,
                                           headers={**headers, "Host": _host_header(target),
                                                    "Content-Type": "application/json"}) as answer:
                received, total = b"", 0
                # Drained (so the connection is reused and nothing is left half-read), but only the
                # first 1 KB is kept; an endless answer is cut off at DRAIN_BYTES (or by the timeout).
                async for chunk in answer.aiter_raw():
                    total += len(chunk)
                    if len(received) < EXCERPT_BYTES:
                        received += chunk[: EXCERPT_BYTES - len(received)]
                    if total > DRAIN_BYTES:
                        break
                return Outcome(answer.status_code, _ms(started),
                               received[:EXCERPT_BYTES].decode("utf-8", "replace"), None)
        except httpx.TimeoutException:
            return Outcome(None, _ms(started), "", f"timed out after {TIMEOUT_SECONDS:.0f} s")
        except httpx.HTTPError as exc:
            return Outcome(None, _ms(started), "", f"{type(exc).__name__}: could not connect or send"[:300])


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    return target.host if target.port == default else f"{target.host}:{target.port}"


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
