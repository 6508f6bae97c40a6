"""An organization's own settings (`organizations.settings`), parsed once with their defaults.

Stored as JSON the owners write through `PATCH /api/orgs/{org}`; read here, once per request
(`OrgMember.settings`), so no use case digs into dicts or repeats a default. A value that does
not fit its field falls back to that field's default instead of failing the request. A new
area adds its section here (a model with defaults) and one field on `OrgSettings`.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def lenient(cls, raw: object) -> Self:
        """The section from stored JSON: each valid field kept, anything else its default."""
        if not isinstance(raw, dict):
            return cls()
        kept: dict[str, Any] = {}
        for name in cls.model_fields:
            if name not in raw:
                continue
            try:
                cls.model_validate({name: raw[name]})
            except ValidationError:
                continue
            kept[name] = raw[name]
        return cls.model_validate(kept)


class PostingSettings(_Section):
    """Per-member posting limits (topics and replies per minute); new members get the stricter one."""

    per_minute: int = Field(default=20, ge=1)
    new_member_per_minute: int = Field(default=10, ge=1)
    new_member_days: float = Field(default=1.0, ge=0)


class MessagingSettings(_Section):
    per_minute: int = Field(default=60, ge=1)
    dm_policy: Literal["everyone", "moderators", "off"] = "everyone"


class SearchSettings(_Section):
    language: str = "english"


class OrgSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    posting: PostingSettings = PostingSettings()
    messaging: MessagingSettings = MessagingSettings()
    search: SearchSettings = SearchSettings()

    @classmethod
    def parse(cls, raw: object) -> OrgSettings:
        stored = raw if isinstance(raw, dict) else {}
        return cls(posting=PostingSettings.lenient(stored.get("posting")),
                   messaging=MessagingSettings.lenient(stored.get("messaging")),
                   search=SearchSettings.lenient(stored.get("search")))
