"""Where a request finds the running system."""

from __future__ import annotations

from typing import cast

from quart import current_app

from community.runtime import Runtime


def current_runtime() -> Runtime:
    return cast(Runtime, current_app.extensions["community"])
