"""Billing infrastructure: the Stripe gateway and the handle use cases and routes reach it by."""

from __future__ import annotations

from dataclasses import dataclass

from community.actors.billing import BillingWorker
from community.billing.gateway import StripeGateway
from community.settings import Settings


@dataclass(frozen=True)
class Billing:
    """Billing is on when a Stripe secret key is set; off, `gateway` is None and every org has
    every feature (a self-hosted server is never crippled)."""

    settings: Settings
    gateway: StripeGateway | None
    worker: BillingWorker

    @property
    def enabled(self) -> bool:
        return self.gateway is not None
