"""The one query that reads a caller's identity, and the permission it needs.

No view shows callers today (DOMAIN.md: the ticket number is enough to act). The query exists so that the
rule has one place: it refuses unless the viewer's role may see callers (`Permissions.see_caller`, which no
role has by default) and the scope is not the public screen's, and it reads only tickets in scope.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, select

from data_access.schema import TicketPersonal
from data_access.scope import ALL, PersonalDataRefused, Scope, ticket_conditions
from data_access.sql import T, fetch
from domain.auth_policy import Permissions

P = TicketPersonal.__table__


def check_caller_permission(scope: Scope, permissions: Permissions) -> None:
    """Refuse (PersonalDataRefused) unless this viewer may read callers' identities."""
    if scope.public or not permissions.see_caller:
        raise PersonalDataRefused("this role may not see callers' identities")


def caller_identity(conn: Connection, scope: Scope, permissions: Permissions, ticket_no: str) -> pd.DataFrame:
    """caller_name, caller_phone, address, content of one ticket in scope (no row if outside it)."""
    check_caller_permission(scope, permissions)
    stmt = (
        select(T.c.ticket_no, P.c.caller_name, P.c.caller_phone, P.c.address, P.c.content)
        .join(P, P.c.ticket_id == T.c.id)
        .where(*ticket_conditions(scope, ALL, include_excluded=True), T.c.ticket_no == ticket_no)
    )
    return fetch(conn, scope, stmt)
