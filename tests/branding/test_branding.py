"""Branding through PATCH /api/orgs/{org}: colours white text can be read on, fonts from a list,
nothing else; gated on the Enterprise plan when billing is on."""

from __future__ import annotations

import io

import httpx
import trio
from PIL import Image

from community.app import System
from community.domain.branding import contrast_with_white
from tests.factories import Persona, Personas
from tests.resources.conftest import Files


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


def _photo(size: tuple[int, int] = (1600, 900)) -> bytes:
    """A JPEG carrying EXIF (the camera that took it): what a phone uploads."""
    image = Image.new("RGB", size, (30, 90, 160))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model 12"  # Model
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


async def _logo(files: Files, who: Persona, data: bytes, content_type: str = "image/jpeg",
                purpose: str = "logo") -> str:
    name = "logo.png" if content_type == "image/png" else "logo.jpg"
    upload = await files.upload(who, name, content_type, data, purpose=purpose)
    return str(upload["id"])


async def test_a_logo_is_re_encoded_without_metadata_before_it_is_shown(client: httpx.AsyncClient,
                                                                        runtime: System, personas: Personas) -> None:
    with trio.fail_after(60):
        files = Files(client, runtime, personas)
        acme = personas.acme
        assert Image.open(io.BytesIO(_photo())).getexif()  # the original carries metadata
        first = await _logo(files, acme.admin, _photo())
        r = await client.patch(f"/api/orgs/{acme.slug}", headers=acme.admin.auth,
                               json={"branding": {"logo_upload_id": first, "font": "Lato"}})
        assert r.status_code == 200, r.text
        org = r.json()["organization"]
        assert org["logo_url"] == f"/api/images/{first}" and org["branding"] == {"font": "Lato"}
        shown = await client.get(org["logo_url"])  # public: anyone, no token
        assert shown.status_code == 302
        image = await files.fetch(shown.headers["location"])
        assert image.headers["content-type"] == "image/webp"
        with Image.open(io.BytesIO(image.content)) as decoded:
            assert decoded.format == "WEBP" and max(decoded.size) <= 480
            assert not decoded.getexif() and "exif" not in decoded.info and "icc_profile" not in decoded.info

        second = await _logo(files, acme.owner, _photo((200, 200)))
        r = await client.patch(f"/api/orgs/{acme.slug}", headers=acme.owner.auth,
                               json={"branding": {"logo_upload_id": second}})
        assert r.json()["organization"]["logo_url"] == f"/api/images/{second}"
        assert r.json()["organization"]["branding"] == {"font": "Lato"}  # branding keys merge
        assert (await client.get(f"/api/images/{first}")).status_code == 404  # the replaced logo is gone
        r = await client.patch(f"/api/orgs/{acme.slug}", headers=acme.owner.auth, json={"logo_url": None})
        assert r.json()["organization"]["logo_url"] is None
        assert (await client.get(f"/api/images/{second}")).status_code == 404


async def test_a_logo_must_be_the_callers_own_image_upload(client: httpx.AsyncClient, runtime: System,
                                                           personas: Personas) -> None:
    with trio.fail_after(60):
        files = Files(client, runtime, personas)
        acme, url = personas.acme, f"/api/orgs/{personas.acme.slug}"

        async def patch(who: Persona, upload_id: str) -> httpx.Response:
            return await client.patch(url, headers=who.auth, json={"branding": {"logo_upload_id": upload_id}})

        theirs = await _logo(files, acme.owner, _photo((64, 64)))
        assert (await patch(acme.admin, theirs)).status_code == 404  # another user's upload
        attachment = await _logo(files, acme.admin, _photo((64, 64)), purpose="attachment")
        assert (await patch(acme.admin, attachment)).status_code == 409  # not uploaded as a logo
        broken = await _logo(files, acme.admin, b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, content_type="image/png")
        r = await patch(acme.admin, broken)
        assert r.status_code == 422, r.text
        assert [e["loc"] for e in r.json()["errors"]] == [["body", "branding", "logo_upload_id"]]
        assert (await patch(acme.admin, "not-a-uuid")).status_code == 422
        mine = await _logo(files, acme.admin, _photo((64, 64)))
        assert (await patch(acme.member, mine)).status_code == 403
        assert (await patch(acme.admin, mine)).status_code == 200
        assert (await patch(acme.admin, mine)).status_code == 409  # an upload is used once
        r = await client.get(url, headers=acme.member.auth)
        assert r.json()["organization"]["logo_url"] == f"/api/images/{mine}"
