"""Failed sign-in limits: per email and per client address, over 15 minutes."""

from __future__ import annotations

from dataclasses import dataclass, field

from community.domain.ratelimit import SlidingWindow


@dataclass
class LoginLimits:
    per_email: SlidingWindow = field(default_factory=lambda: SlidingWindow(limit=5, window=900))
    per_address: SlidingWindow = field(default_factory=lambda: SlidingWindow(limit=30, window=900))
