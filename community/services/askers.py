"""Who is asking, as the first statement of a write's one-statement read (`Database.read_in_context`).

A route that already has the `OrgMember` passes `Asker.of_member`; a route holding only a verified
token passes `Asker.of_caller`, and then who the caller is in `{org}` (`request_context`) is read in
the same statement as what the use case's checks need: one round trip fewer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from community.db.pool import Query
from community.db.queries import orgs, users
from community.domain.principal import Caller, OrgMember, Principal
from community.services.orgs import caller_from_context


@dataclass(frozen=True)
class Asker:
    context: Query  # answers at least org_id and user_id (the tenant context of what follows)
    member_of: Callable[[Mapping[str, Any]], tuple[Principal | None, OrgMember]]

    @classmethod
    def of_member(cls, member: OrgMember) -> Asker:
        return cls(users.tenant_query(member.org_id, member.user_id), lambda _: (member.principal, member))

    @classmethod
    def of_caller(cls, caller: Caller, ref: str) -> Asker:
        """Its answer raises what the request path would (401 signed out, 404, 403 suspended); a
        principal of None: the database does not know the caller (the route takes `org_member`'s path)."""
        return cls(orgs.request_context_query(user_id=caller.user_id, subject=caller.subject, ref=ref,
                                              session=caller.session), caller_from_context)
