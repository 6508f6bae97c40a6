"""An org's settings parse once, with defaults; a bad value costs only its own field."""

from __future__ import annotations

from community.domain.org_settings import OrgSettings


def test_defaults_when_nothing_is_stored() -> None:
    for raw in (None, {}, [], "junk", {"posting": "junk"}):
        settings = OrgSettings.parse(raw)
        assert settings.posting.per_minute == 20
        assert settings.posting.new_member_per_minute == 10
        assert settings.messaging.per_minute == 60
        assert settings.messaging.dm_policy == "everyone"
        assert settings.search.language == "english"


def test_a_bad_field_falls_back_alone_and_unknown_keys_are_kept_out() -> None:
    settings = OrgSettings.parse({"posting": {"per_minute": "lots", "new_member_per_minute": 3},
                                  "messaging": {"dm_policy": "nobody", "per_minute": 0},
                                  "search": {"language": "german"}, "branding": {"color": "red"}})
    assert settings.posting.per_minute == 20
    assert settings.posting.new_member_per_minute == 3
    assert settings.messaging.dm_policy == "everyone"
    assert settings.messaging.per_minute == 60
    assert settings.search.language == "german"
