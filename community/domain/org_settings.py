"""An organization's own settings (`organizations.settings`), parsed once with their defaults.

Stored as JSON the owners write through `PATCH /api/orgs/{org}`; read here, once per request
(`OrgMember.settings`), so no use case digs into dicts or repeats a default. A value that does
not fit its field falls back to that field's default instead of failing the request. A new
area adds its section here (a model with defaults) and one field on `OrgSettings`.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator


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

    per_minute: int = Field(default=20, ge=1, le=1000)
    new_member_per_minute: int = Field(default=10, ge=1, le=1000)
    new_member_days: float = Field(default=1.0, ge=0, le=365)


class MessagingSettings(_Section):
    per_minute: int = Field(default=60, ge=1, le=1000)
    dm_policy: Literal["everyone", "moderators", "off"] = "everyone"


# Text search configurations every supported PostgreSQL ships (`\\dF`).
SearchLanguage = Literal["simple", "arabic", "danish", "dutch", "english", "finnish", "french", "german", "greek",
                         "hungarian", "indonesian", "irish", "italian", "lithuanian", "nepali", "norwegian",
                         "portuguese", "romanian", "russian", "spanish", "swedish", "tamil", "turkish"]


class SearchSettings(_Section):
    language: SearchLanguage = "english"


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


# What `PATCH /api/orgs/{org}` accepts: the same sections, strictly (an unknown key or a value of the
# wrong type is a 422 naming it), so a bad setting is refused on write instead of read around.
_STRICT = ConfigDict(frozen=True, extra="forbid", strict=True)


class _Integral(BaseModel):
    """JSON Schema's integer is any number without a fraction: 23.0 is 23 (strict mode alone refuses it)."""

    @field_validator("*", mode="before")
    @classmethod
    def _integral(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, float) and value.is_integer() and cls.model_fields[str(info.field_name)].annotation is int:
            return int(value)
        return value


class PostingSettingsBody(_Integral, PostingSettings):
    model_config = _STRICT


class MessagingSettingsBody(_Integral, MessagingSettings):
    model_config = _STRICT


class SearchSettingsBody(SearchSettings):
    model_config = _STRICT


class OrgSettingsBody(BaseModel):
    model_config = _STRICT

    posting: PostingSettingsBody | None = None
    messaging: MessagingSettingsBody | None = None
    search: SearchSettingsBody | None = None
