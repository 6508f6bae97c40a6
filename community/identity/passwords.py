"""argon2id password hashes, computed in a worker thread so the event loop never stalls,
and a guessability check (zxcvbn: common-password lists, dictionary words, keyboard patterns,
dates and repeats, scored by the guesses they would take)."""

from __future__ import annotations

import trio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn  # type: ignore[import-untyped]

_ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; what follows cannot make a password weaker
MIN_SCORE = 2  # 0-1: under a million guesses ("too guessable" / "very guessable")


class Passwords:
    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        self._decoy: str | None = None

    def _decoy_hash(self) -> str:
        # Verified against when the email is unknown, so timing does not say whether it exists.
        if self._decoy is None:
            self._decoy = self.hasher.hash("decoy password that matches nothing")
        return self._decoy

    async def hash(self, password: str) -> str:
        return await trio.to_thread.run_sync(self.hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        return await trio.to_thread.run_sync(self._verify, stored, password)

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored or self._decoy_hash(), password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    async def weakness(self, password: str, *user_inputs: str) -> str | None:
        """Why the password is too easy to guess (common, or built from the user's own e-mail or name), or None."""
        return await trio.to_thread.run_sync(_weakness, password, user_inputs)


def _weakness(password: str, user_inputs: tuple[str, ...]) -> str | None:
    inputs = [part for text in user_inputs for part in text.replace("@", " ").replace(".", " ").split() if part]
    result = zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    hint = feedback.get("warning") or "This password is easy to guess."
    suggestions = " ".join(feedback.get("suggestions") or [])
    return f"{hint} {suggestions}".strip()
