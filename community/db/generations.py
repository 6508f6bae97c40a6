"""Generations: when this node last learned that something a cached page may show has changed.

One counter orders every change this node hears of: a commit through its own pool (bumped after
COMMIT returns, before the writer's response is sent), and from other nodes the cluster bus's
notifications (an org's activity, or a page-table trigger: an org, a user, or everything). A cache
entry is stamped with the counter as it was *before* its read went to the database; it stays good
while neither everything, nor its org, nor its viewer was bumped since. A change that commits
during the read is therefore never hidden behind the entry it made stale.

While the cluster bus is not listening, this node cannot hear other nodes' changes: `listening`
is False and caches must bypass (`lost` also invalidates everything held).
"""

from __future__ import annotations

from uuid import UUID

_MAX_SCOPES = 50_000  # orgs and users remembered; past it everything is invalidated (and forgotten)


class Generations:
    def __init__(self, *, max_scopes: int = _MAX_SCOPES) -> None:
        self.seq = 0
        self.max_scopes = max_scopes
        self.listening = False
        self.bumps = 0
        self.everything = 0  # the last bump of everything
        self._scopes: dict[UUID, int] = {}  # an org's or a user's last bump (UUIDs do not collide)

    def stamp(self) -> int:
        """Take this before the read whose answer will be cached."""
        return self.seq

    def bump(self, scope: UUID | None) -> None:
        """Something in org or user `scope` changed (None: anything, anywhere)."""
        self.seq += 1
        self.bumps += 1
        if scope is None or len(self._scopes) >= self.max_scopes:
            self.everything = self.seq
            self._scopes.clear()
        else:
            self._scopes[scope] = self.seq

    def valid(self, stamp: int, org_id: UUID, user_id: UUID | None) -> bool:
        if self.everything > stamp or self._scopes.get(org_id, 0) > stamp:
            return False
        return user_id is None or self._scopes.get(user_id, 0) <= stamp

    def heard(self) -> None:
        """The cluster bus listens (again): from now on this node hears every change."""
        self.bump(None)
        self.listening = True

    def lost(self) -> None:
        """The cluster bus stopped listening: what is held may be stale, and so would be new entries."""
        self.listening = False
        self.bump(None)
