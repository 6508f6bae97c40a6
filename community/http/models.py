"""Request bodies and query strings shared by the routes (pydantic at the edge, extra="forbid")."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from community.domain.cursors import DEFAULT_LIMIT, MAX_LIMIT


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=500)
