"""A PATCH body's `null`: clears a field that may be empty, is a 422 naming the field otherwise.

Every PATCH route, every field of its body sent as null alone (what the fuzzer found: `branding:
null` answered 500). Paths come from the authorization matrix's set-ups, signed in as the owner.
"""

from __future__ import annotations

from typing import Any

import httpx

from community.app import System
from tests.factories import Factory, Personas
from tests.hardening.test_fuzz import _template
from tests.matrix_support import MatrixContext
from tests.test_matrix import _cases


def _fields(openapi: dict[str, Any], template: str) -> list[str]:
    body = openapi["paths"][template]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[1]
    return sorted(openapi["components"]["schemas"][name]["properties"])


async def test_null_in_a_patch_is_an_answer_never_a_500(
        client: httpx.AsyncClient, personas: Personas, factory: Factory, runtime: System) -> None:
    ctx = MatrixContext(client, personas, factory, runtime)
    openapi = (await client.get("/openapi.json")).json()
    wrong = []
    tried = 0
    for case in _cases():
        if case["method"] != "PATCH" or "requestBody" not in openapi["paths"][_template(case["rule"])]["patch"]:
            continue
        for name in _fields(openapi, _template(case["rule"])):
            params = await case["setup"](ctx) if "setup" in case else {}
            headers = await case["headers"](ctx, params, "owner") if "headers" in case else ctx.headers("owner")
            r = await client.patch(case["path"](ctx, params), json={name: None}, headers=headers)
            tried += 1
            named = r.status_code == 422 and any(e["loc"][-1] == name for e in r.json()["errors"])
            if r.status_code not in (200, 402) and not named:
                wrong.append(f"PATCH {case['rule']} {{{name}: null}}: {r.status_code} {r.text[:200]}")
    assert wrong == [], "\n".join(wrong)
    assert tried > 30


async def test_a_patch_is_authorized_before_the_plan_is_checked(client: httpx.AsyncClient, personas: Personas) -> None:
    """A guest asking for branding or a custom domain is refused as a guest (403), not told the plan (402)."""
    acme = personas.acme
    for body in ({"branding": {"primary_color": "#123456"}}, {"custom_domain": "guest.example.com"}):
        r = await client.patch(f"/api/orgs/{acme.slug}", json=body, headers=acme.guest.auth)
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), (body, r.text)
