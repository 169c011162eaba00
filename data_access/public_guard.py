"""The stricter refusal of the public screen: what may never reach a screen in a public lobby.

`scope.check_public` refuses personal data (the caller's name, phone, address, the complaint's text, the
caller hash). A public screen must not show anything that points at one ticket or one household either:
the ticket number (a caller knows theirs) and the exact coordinates of the place. `PUBLIC_FORBIDDEN_COLUMNS`
adds those — and the free-text note of the status history — to `schema.PERSONAL_COLUMNS`;
`check_public_strict` refuses any statement that refers to one of them, or to a personal table, anywhere
(select list, joins, filters, ordering), before it reaches the database. Every query of
`data_access.public_queries` goes through it.
"""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import Column, Table
from sqlalchemy.sql import visitors

from data_access.schema import PERSONAL_COLUMNS, PERSONAL_TABLES, Ticket, TicketEvent
from data_access.scope import PersonalDataRefused

T = Ticket.__table__

PUBLIC_FORBIDDEN_COLUMNS = frozenset(
    {
        T.c.ticket_no,  # identifies one ticket; the caller knows it
        T.c.lat,  # the exact place of one ticket
        T.c.lon,
        T.c.caller_hash,  # linkable identity (also in PERSONAL_COLUMNS)
        TicketEvent.__table__.c.note,  # free text written by staff, may quote the caller
        *PERSONAL_COLUMNS,
    }
)
PUBLIC_FORBIDDEN_TABLES = PERSONAL_TABLES


def _key(column: Column) -> tuple[str, str]:
    return (getattr(column.table, "name", ""), column.name)


_FORBIDDEN_KEYS = frozenset(_key(c) for c in PUBLIC_FORBIDDEN_COLUMNS)
_FORBIDDEN_TABLE_NAMES = frozenset(t.name for t in PUBLIC_FORBIDDEN_TABLES)


class PublicDataRefused(PersonalDataRefused):
    """A statement meant for the public screen referred to a column or table the public may not see."""


def referenced_forbidden(stmt: visitors.Visitable) -> Sequence[str]:
    """"table.column" (or "table") of every forbidden column/table the statement refers to, sorted.

    Columns are matched by table and column name, through aliases and subqueries.
    """
    found: set[str] = set()
    for element in visitors.iterate(stmt):
        if isinstance(element, Table) and element.name in _FORBIDDEN_TABLE_NAMES:
            found.add(element.name)
        elif isinstance(element, Column):
            # proxy_set holds the column itself and every column it stands for (through aliases and
            # subqueries), so `ticket.alias().c.ticket_no` is caught like `ticket.c.ticket_no`.
            for base in element.proxy_set:
                if not isinstance(base, Column):
                    continue
                key = _key(base)
                if key in _FORBIDDEN_KEYS or key[0] in _FORBIDDEN_TABLE_NAMES:
                    found.add(".".join(key))
    return sorted(found)


def check_public_strict(stmt: visitors.Visitable) -> None:
    """Refuse a statement that refers to anything in PUBLIC_FORBIDDEN_COLUMNS / PUBLIC_FORBIDDEN_TABLES."""
    names = referenced_forbidden(stmt)
    if names:
        raise PublicDataRefused("the public screen may not read: " + ", ".join(names))
