"""Rules that write their URL builders on first use build every URL as werkzeug's own rules do."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from quart.routing import QuartRule

from community.http.app import create_app
from community.http.rules import LazyBuildRule
from community.settings import Settings


def _built(app: Any) -> dict[str, tuple[str, str]]:
    adapter = app.url_map.bind("community.example")
    return {rule.rule: (adapter.build(rule.endpoint, {k: "a-b c" for k in rule.arguments}, method=None),
                        adapter.build(rule.endpoint, {**{k: "x" for k in rule.arguments}, "q": "1 2"}))
            for rule in app.url_map.iter_rules()}


def test_every_rule_builds_the_same_url_as_a_plain_rule() -> None:
    handles: Any = SimpleNamespace(settings=Settings(_env_file=None, database_url="postgresql://x/y"))  # type: ignore[call-arg]
    lazy = create_app(handles)
    assert lazy.url_rule_class is LazyBuildRule
    plain = create_app(handles)
    plain.url_rule_class = QuartRule
    plain.url_map = plain.url_map_class(converters=dict(lazy.url_map.converters))
    for rule in lazy.url_map.iter_rules():
        plain.url_map.add(QuartRule(rule.rule, endpoint=rule.endpoint, methods=rule.methods,
                                    websocket=rule.websocket))
    assert len(_built(lazy)) > 100
    assert _built(lazy) == _built(plain)
