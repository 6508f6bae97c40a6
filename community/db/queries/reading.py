"""Reading helpers: the public directory and member suggestions for @mentions."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from community.db.pool import Conn, rows

_DIRECTORY = "SELECT * FROM public_organizations($1, $2, $3)"
# A prefix of the display name, or of any word in it; the handle is what `@mentions` match.
_SUGGEST_MEMBERS = """
SELECT u.id AS user_id, u.display_name, u.avatar_url, m.role, lower(replace(u.display_name, ' ', '')) AS handle
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.org_id = $1 AND m.status = 'active'
  AND (lower(u.display_name) LIKE $2 ESCAPE '\\' OR lower(u.display_name) LIKE '% ' || $2 ESCAPE '\\'
       OR lower(replace(u.display_name, ' ', '')) LIKE $2 ESCAPE '\\')
ORDER BY lower(u.display_name) LIKE $2 ESCAPE '\\' DESC, lower(u.display_name), u.id
LIMIT $3
"""


async def list_public_orgs(conn: Conn, *, after: tuple[str, UUID] | None, limit: int) -> list[dict[str, Any]]:
    return rows(await conn.fetch(_DIRECTORY, *(after or (None, None)), limit))


async def suggest_members(conn: Conn, org_id: UUID, prefix: str, limit: int) -> list[dict[str, Any]]:
    pattern = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return rows(await conn.fetch(_SUGGEST_MEMBERS, org_id, pattern, limit))
