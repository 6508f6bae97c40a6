"""Branding through PATCH /api/orgs/{org}: colours white text can be read on, fonts from a list,
nothing else; gated on the Enterprise plan when billing is on."""

from __future__ import annotations

import httpx

from community.domain.branding import contrast_with_white
from tests.factories import Personas


def test_contrast_matches_wcag() -> None:
    assert round(contrast_with_white("#000000"), 1) == 21.0
    assert round(contrast_with_white("#ffffff"), 1) == 1.0
    assert round(contrast_with_white("#767676"), 2) == 4.54  # the lightest grey that passes AA


async def test_branding_is_validated(client: httpx.AsyncClient, personas: Personas) -> None:
    acme = personas.acme
    url = f"/api/orgs/{acme.slug}"
    good = {"primary_color": "#1D4ED8", "accent_color": "#767676", "font": "Inter"}
    r = await client.patch(url, json={"branding": good}, headers=acme.admin.auth)
    assert r.status_code == 200, r.text
    assert r.json()["organization"]["branding"] == {"primary_color": "#1d4ed8", "accent_color": "#767676",
                                                    "font": "Inter"}
    bad = [({"primary_color": "#ffff00"}, "primary_color"), ({"accent_color": "#777777"}, "accent_color"),
           ({"primary_color": "blue"}, "primary_color"), ({"accent_color": "#12345"}, "accent_color"),
           ({"font": "Comic Sans; } body { display: none"}, "font"), ({"css": "body{}"}, "css")]
    for branding, name in bad:
        r = await client.patch(url, json={"branding": branding}, headers=acme.owner.auth)
        assert r.status_code == 422, (branding, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert ["body", "branding", name] in [e["loc"][:3] for e in r.json()["errors"]], (branding, r.json())
    r = await client.get(url, headers=acme.member.auth)
    assert r.json()["organization"]["branding"]["primary_color"] == "#1d4ed8"  # nothing bad was stored
