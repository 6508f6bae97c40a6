"""`/openapi.json` against the URL map: every route, its real path, methods, parameters, answers and auth."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from pydantic import BaseModel
from quart import Blueprint
from quart_schema.extension import QUART_SCHEMA_HIDDEN_ATTRIBUTE
from werkzeug.routing import Rule

from community.app import System
from community.http.app import create_app
from community.http.models import Answer, Body
from community.http.openapi import PROBLEM_STATUSES, answers, declared_answers, openapi_path, route_auth, text_pattern

_UNDOCUMENTED = {"static", "openapi", "swagger_ui"}


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    document: dict[str, Any] = r.json()
    return document


def _rules(runtime: System) -> list[Rule]:
    """Every rule but the document's own and those hidden on purpose (the browser app's files)."""
    app = create_app(runtime.handles)
    return [r for r in app.url_map.iter_rules() if r.endpoint not in _UNDOCUMENTED
            and not getattr(app.view_functions[r.endpoint], QUART_SCHEMA_HIDDEN_ATTRIBUTE, False)]


def _methods(rule: Rule) -> set[str]:
    return {m.lower() for m in rule.methods or () if m not in ("HEAD", "OPTIONS")}


async def test_every_rule_is_a_path_with_its_methods_and_parameters(spec: dict[str, Any], runtime: System) -> None:
    rules = _rules(runtime)
    expected: dict[str, set[str]] = {}
    for rule in rules:
        path = openapi_path(rule)
        assert "<" not in path and path.count("{") == len(rule.arguments), rule.rule
        expected.setdefault(path, set()).update(_methods(rule))
        operations = spec["paths"].get(path)
        assert operations is not None, f"{rule.rule} is missing from /openapi.json"
        for method in _methods(rule):
            operation = operations[method]
            params = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert params == set(rule.arguments), (rule.rule, method, params)
    assert {p: set(ops) for p, ops in spec["paths"].items()} == expected


async def test_operation_ids_are_unique(spec: dict[str, Any]) -> None:
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


async def test_every_operation_declares_its_answer_and_problems(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            good = [s for s in responses if s.startswith(("2", "3"))]
            assert good, f"{method} {path} declares no answer"
            for status in good:
                for media in responses[status].get("content", {}).values():
                    ref = media["schema"].get("$ref")
                    if ref:
                        assert ref.removeprefix("#/components/schemas/") in schemas, (path, ref)
            problems = [s for s in responses if s.startswith("4")]
            if operation["security"] or operation["parameters"] or "requestBody" in operation:
                assert problems, f"{method} {path} declares no problem answers"
            for status in problems:
                assert responses[status] == {"$ref": f"#/components/responses/{status}"}
            assert "application/problem+json" in responses["default"]["content"]
    for status in PROBLEM_STATUSES:
        content = spec["components"]["responses"][str(status)]["content"]
        assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert set(schemas["Problem"]["required"]) >= {"type", "title", "status", "code", "detail"}


async def test_security_follows_each_route(spec: dict[str, Any], runtime: System) -> None:
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "A built-in or Auth0 access token."}
    app = create_app(runtime.handles)
    for rule in _rules(runtime):
        auth = route_auth(rule, app.view_functions[rule.endpoint])
        for method in _methods(rule):
            security = spec["paths"][openapi_path(rule)][method]["security"]
            assert security == {"bearer": [{"bearer": []}], "optional": [{}, {"bearer": []}], "none": []}[auth]
    public = {p for p, ops in spec["paths"].items() if any(op["security"] == [] for op in ops.values())}
    assert {"/api/auth/login", "/api/auth/register", "/api/config", "/api/invitations/{token}"} <= public
    assert "/api/me" not in public
    assert spec["paths"]["/api/orgs/{org}"]["get"]["security"] == [{}, {"bearer": []}]


async def test_uuid_parameters_say_so(spec: dict[str, Any]) -> None:
    params = spec["paths"]["/api/orgs/{org}/forums/{forum_id}"]["get"]["parameters"]
    by_name = {p["name"]: p for p in params if p["in"] == "path"}
    assert by_name["forum_id"]["schema"] == {"type": "string", "format": "uuid"}
    assert by_name["org"]["schema"] == {"type": "string", "pattern": text_pattern(0)}  # no NUL, like every string


async def test_input_strings_say_what_the_server_takes(spec: dict[str, Any]) -> None:
    """Stripped before their length is checked, NUL refused: written as patterns (the fuzzer's positive check)."""
    register = spec["components"]["schemas"]["RegisterBody"]["properties"]
    assert register["display_name"]["pattern"] == text_pattern(1)
    assert re.search(text_pattern(1), "  x ") and not re.search(text_pattern(1), "   ")
    assert not re.search(text_pattern(0), "a\x00b")
    assert re.search(text_pattern(3), " abc ") and not re.search(text_pattern(3), " ab  ")
    assert register["password"]["format"] == "password"
    search = {p["name"]: p for p in spec["paths"]["/api/orgs/{org}/search"]["get"]["parameters"]}
    assert search["q"]["required"] is True and "required" not in search["cursor"]
    assert search["cursor"]["schema"]["format"] == "cursor" and "anyOf" not in search["cursor"]["schema"]


async def test_bodies_and_answers_are_named_components(spec: dict[str, Any]) -> None:
    create_topic = spec["paths"]["/api/orgs/{org}/forums/{forum_id}/topics"]["post"]
    assert create_topic["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateTopicBody"}
    assert create_topic["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TopicAnswer"}
    post = spec["components"]["schemas"]["Post"]
    assert post["additionalProperties"] is False
    assert {"id", "topic_id", "html", "reactions", "my_reactions", "edit_count"} <= set(post["required"])


def _all_subclasses(base: type[BaseModel]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for cls in base.__subclasses__():
        found += [cls, *_all_subclasses(cls)]
    return found


def test_model_names_are_unique() -> None:
    """Components are keyed by class name: two models with one name would overwrite each other."""
    classes = {c for c in _all_subclasses(Answer) + _all_subclasses(Body) if c.__module__.startswith("community.")}
    names = [c.__name__ for c in classes]
    assert sorted(n for n in names if names.count(n) > 1) == []


async def test_every_route_declares_answers(runtime: System) -> None:
    app = create_app(runtime.handles)
    missing = [r.rule for r in _rules(runtime) if not declared_answers(app.view_functions[r.endpoint])]
    assert missing == []


class _Small(Answer):
    name: str


async def test_an_undeclared_answer_is_a_500(runtime: System) -> None:
    """The self-check the whole suite runs under: an extra field, or an undeclared status, is refused."""
    app = create_app(runtime.handles)
    probe = Blueprint("probe", __name__)

    @probe.get("/probe/extra")
    @answers(_Small)
    async def extra() -> dict[str, Any]:
        return {"name": "x", "secret": "leaked"}

    @probe.get("/probe/status")
    @answers(_Small)
    async def status() -> tuple[dict[str, Any], int]:
        return {"name": "x"}, 202

    @probe.get("/probe/good")
    @answers(_Small)
    async def good() -> dict[str, Any]:
        return {"name": "x"}

    app.register_blueprint(probe)
    test_client = app.test_client()
    assert (await test_client.get("/probe/good")).status_code == 200
    for path in ("/probe/extra", "/probe/status"):
        r = await test_client.get(path)
        assert r.status_code == 500
        assert r.mimetype == "application/problem+json"
        assert (await r.get_json())["code"] == "answer_undeclared"
