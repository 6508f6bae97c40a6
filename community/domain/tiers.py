"""Subscription tiers and their seat limits (None: unlimited)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tier:
    name: str
    member_limit: int | None
    monthly_usd: int | None


TIERS: dict[str, Tier] = {t.name: t for t in (
    Tier("community", 50, 29),
    Tier("organization", 250, 99),
    Tier("enterprise", 1000, 299),
    Tier("custom", None, None),
)}
DEFAULT_TIER = TIERS["community"]


def tier(name: str) -> Tier:
    try:
        return TIERS[name]
    except KeyError:
        raise ValueError(f"unknown tier {name!r}; one of {', '.join(TIERS)}") from None
