"""URL rules that write their URL builders when first asked to build.

werkzeug generates and compiles Python source for two URL builders per rule as the rule is added
(about 48 ms for this app's ~140 rules, on every node start and on each of the test suite's ~2,000
system starts), yet nothing here builds URLs on the request path. The builders are werkzeug's own,
made the same way on first use: matching and building answer exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quart.routing import QuartRule


class LazyBuildRule(QuartRule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        name = "_build_unknown" if append_unknown else "_build"

        def build_once(rule: LazyBuildRule, **values: Any) -> tuple[str, str]:
            real: Callable[..., tuple[str, str]] = QuartRule._compile_builder(rule, append_unknown).__get__(rule)
            setattr(rule, name, real)  # later calls go straight to werkzeug's builder
            return real(**values)

        return build_once
