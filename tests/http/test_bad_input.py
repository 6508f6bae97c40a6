"""Bad input is a 4xx naming what is wrong, on every route: generated from the URL map, never a 500."""

from __future__ import annotations

import re
import uuid

import httpx
from pydantic import BaseModel
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE

from community.app import System
from community.http.app import create_app
from tests.factories import Factory, Personas

JSON = {"content-type": "application/json"}


def _routes(runtime: System) -> list[tuple[str, str, type[BaseModel] | None]]:
    app = create_app(runtime.handles)
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        schema = getattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE, None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule, schema[0] if schema else None))
    return found


def _path(rule: str, org: str) -> str:
    path = re.sub(r"<uuid:[^>]+>", lambda _: str(uuid.uuid4()), rule)
    return re.sub(r"<[^>]+>", "x", path.replace("<org>", org))


async def test_every_json_route_refuses_undecodable_deeply_nested_and_bad_text_bodies(
        client: httpx.AsyncClient, personas: Personas, runtime: System) -> None:
    auth = {**personas.acme.owner.auth, **JSON}
    json_routes = [(m, r, model) for m, r, model in _routes(runtime) if model is not None]
    assert len(json_routes) > 20
    for method, rule, model in json_routes:
        path = _path(rule, personas.acme.slug)
        r = await client.request(method, path, content=b'{"name": "caf\xe9"}', headers=auth)
        assert (r.status_code, r.json()["code"]) == (400, "bad_request"), (method, rule, r.text)
        assert "UTF-8" in r.json()["detail"]
        r = await client.request(method, path, content=b"[" * 1000 + b"]" * 1000, headers=auth)
        assert r.status_code == 400, (method, rule, r.text)
        r = await client.request(method, path, content=b'{"a":' * 40 + b"1" + b"}" * 40, headers=auth)
        assert r.status_code == 400, (method, rule, r.text)
        assert model is not None
        for field in model.model_fields:
            for text in ('"a\\u0000b"', '"\\ud800"', '["ok", "x\\udfffy"]'):
                r = await client.request(method, path, content=f'{{"{field}": {text}}}'.encode(), headers=auth)
                assert r.status_code == 422, (method, rule, field, r.text)
                problem = r.json()
                assert problem["code"] == "validation_failed"
                assert problem["errors"][0]["loc"][:2] == ["body", field], (method, rule, problem)
                assert field in problem["detail"]


async def test_a_nul_or_bad_key_deep_inside_a_body_is_named(client: httpx.AsyncClient, personas: Personas) -> None:
    r = await client.patch(f"/api/orgs/{personas.acme.slug}", headers={**personas.acme.owner.auth, **JSON},
                           content=b'{"branding": {"colors": ["#fff", "a\\u0000"], "\\u0000k": 1}}')
    assert r.status_code == 422
    locs = [e["loc"] for e in r.json()["errors"]]
    assert locs == [["body", "branding", "colors", 1], ["body", "branding", "\ufffdk"]]


async def test_every_route_refuses_nul_in_path_and_query(client: httpx.AsyncClient, personas: Personas,
                                                         runtime: System) -> None:
    auth = personas.acme.owner.auth
    for method, rule, _ in _routes(runtime):
        nul_path = _path(rule, personas.acme.slug + "%00") if "<org>" in rule else rule + "%00"
        for path in (nul_path, _path(rule, personas.acme.slug) + "?q=a%00b&tag=x"):
            r = await client.request(method, path, headers=auth)
            assert r.status_code == 422, (method, path, r.text)
            assert r.headers["content-type"] == "application/problem+json"
        # A percent-encoded lone surrogate cannot be decoded: it reaches no row, and answers no 500.
        r = await client.request(method, _path(rule, personas.acme.slug + "%ED%A0%80"), headers=auth)
        assert r.status_code < 500, (method, rule, r.text)


async def test_search_filters_are_parameters_not_sql(client: httpx.AsyncClient, personas: Personas) -> None:
    base = f"/api/orgs/{personas.acme.slug}/search"
    for params in ({"q": "hello", "tag": "' OR 1=1--"}, {"q": "' OR 1=1--"}, {"q": "a & | ! ( ) : * <->"},
                   {"q": "x", "cursor": "' OR 1=1--"}, {"q": "x", "sort": "recent", "tag": "%_\\"}):
        r = await client.get(base, params=params, headers=personas.acme.member.auth)
        assert r.status_code in (200, 400, 422), (params, r.text)
        if r.status_code == 200:
            assert r.json()["results"] == []


async def test_org_settings_are_validated_on_write(client: httpx.AsyncClient, personas: Personas) -> None:
    path, auth = f"/api/orgs/{personas.acme.slug}", personas.acme.owner.auth
    for settings, bad in (({"posting": "fast"}, ["settings", "posting"]),
                          ({"messaging": "x"}, ["settings", "messaging"]),
                          ({"posting": {"per_minute": "20"}}, ["settings", "posting", "per_minute"]),
                          ({"posting": {"per_minute": 0}}, ["settings", "posting", "per_minute"]),
                          ({"messaging": {"dm_policy": "sometimes"}}, ["settings", "messaging", "dm_policy"]),
                          ({"search": {"language": "klingon"}}, ["settings", "search", "language"]),
                          ({"surprise": 1}, ["settings", "surprise"])):
        r = await client.patch(path, json={"settings": settings}, headers=auth)
        assert r.status_code == 422, (settings, r.text)
        assert [e["loc"][1:] for e in r.json()["errors"]] == [bad]
    good = {"posting": {"per_minute": 30}, "messaging": {"dm_policy": "moderators"}, "search": {"language": "simple"}}
    r = await client.patch(path, json={"settings": good}, headers=auth)
    assert r.status_code == 200
    assert r.json()["organization"]["settings"] == good


async def test_stored_settings_of_the_wrong_type_fall_back_to_defaults(
        client: httpx.AsyncClient, personas: Personas, factory: Factory) -> None:
    """A row written before validation existed (or by hand) must not make every post and message a 500."""
    acme = personas.acme
    await factory.conn.execute(
        """UPDATE organizations SET settings = '{"posting": "fast", "messaging": "x", "search": {"language": 3}}'
           WHERE id = $1""", acme.id)
    forum = await client.post(f"/api/orgs/{acme.slug}/forums", json={"name": "Settings"}, headers=acme.owner.auth)
    assert forum.status_code == 201
    topic = await client.post(f"/api/orgs/{acme.slug}/forums/{forum.json()['forum']['id']}/topics",
                              json={"title": "Still works", "content": "hello"}, headers=acme.member.auth)
    assert topic.status_code == 201
    chat = await client.post(f"/api/orgs/{acme.slug}/conversations",
                             json={"participant_ids": [str(acme.admin.user_id)]}, headers=acme.member.auth)
    assert chat.status_code == 201, chat.text
    message = await client.post(f"/api/orgs/{acme.slug}/conversations/{chat.json()['conversation']['id']}/messages",
                                json={"content": "hi"}, headers=acme.member.auth)
    assert message.status_code == 201
    r = await client.get(f"/api/orgs/{acme.slug}/search", params={"q": "works"}, headers=acme.member.auth)
    assert r.status_code == 200
