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


# What each plan unlocks while billing is on (API.md's table): the lowest tier that has a feature.
# With billing off, a self-hosted server, every org has every feature.
TIER_ORDER: tuple[str, ...] = ("community", "organization", "enterprise", "custom")
FEATURE_TIERS: dict[str, str] = {
    "integrations": "organization",
    "analytics": "organization",
    "branding": "enterprise",
    "custom_domain": "enterprise",
    "white_label": "custom",
}


def required_tier(feature: str) -> str:
    return FEATURE_TIERS[feature]


def tier_has(tier_name: str, feature: str) -> bool:
    """Whether `tier_name` includes `feature` (an unknown tier has only the base features)."""
    rank = TIER_ORDER.index(tier_name) if tier_name in TIER_ORDER else 0
    return rank >= TIER_ORDER.index(FEATURE_TIERS[feature])
