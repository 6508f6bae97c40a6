"""Where a request finds the running system's handles."""

from __future__ import annotations

from typing import cast

from quart import current_app

from community.handles import Handles


def current_handles() -> Handles:
    return cast(Handles, current_app.extensions["community"])
