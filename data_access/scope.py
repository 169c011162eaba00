"""Who may see what (`Scope`) and what they asked for (`TicketFilter`), turned into SQL conditions.

Every query in `data_access.queries` takes both. The scope is the viewer's right (from their role); the
filter is their choice in the sidebar. The filter can only narrow the scope: asking for a street outside
the scope yields nothing from it, never more (`conditions` intersects them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Sequence

from sqlalchemy import Column, ColumnElement, Table, false
from sqlalchemy.sql import visitors

from data_access.schema import PERSONAL_COLUMNS, PERSONAL_TABLES, Community, Ticket

T = Ticket.__table__


@dataclass(frozen=True)
class Scope:
    """What a viewer may see. `None` means "all" at that level; `public` means aggregates only."""

    street_ids: frozenset[int] | None = None
    community_ids: frozenset[int] | None = None
    public: bool = False

    @classmethod
    def district(cls) -> "Scope":
        """A district supervisor: every street."""
        return cls()

    @classmethod
    def streets(cls, ids: Iterable[int]) -> "Scope":
        return cls(street_ids=frozenset(ids))

    @classmethod
    def public_screen(cls) -> "Scope":
        return cls(public=True)


@dataclass(frozen=True)
class TicketFilter:
    """The viewer's choice: period by `received_at` (both ends inclusive) and optional narrowing."""

    since: dt.date | None = None
    until: dt.date | None = None
    street_ids: tuple[int, ...] | None = None
    community_ids: tuple[int, ...] | None = None
    categories: tuple[str, ...] | None = None
    channels: tuple[str, ...] | None = None


ALL = TicketFilter()


def unit_conditions(scope: Scope, street_col: ColumnElement, community_col: ColumnElement | None) -> list:
    """Conditions restricting a street/community column pair to the scope."""
    conds: list = []
    if scope.street_ids is not None:
        conds.append(street_col.in_(sorted(scope.street_ids)))
    if scope.community_ids is not None and community_col is not None:
        conds.append(community_col.in_(sorted(scope.community_ids)))
    return conds


def ticket_conditions(scope: Scope, flt: TicketFilter = ALL, *, include_excluded: bool = False, columns=None) -> list:  # type: ignore[no-untyped-def]
    """WHERE conditions on `ticket` for a scope and a filter; excluded tickets (剔单) left out by default.
    `columns`: the same conditions on another source of the ticket's columns (by name), e.g. a subquery."""
    c = T.c if columns is None else columns
    conds = unit_conditions(scope, c.street_id, c.community_id)
    if not include_excluded:
        conds.append(c.excluded == false())
    if flt.since is not None:
        conds.append(c.received_at >= dt.datetime.combine(flt.since, dt.time()))
    if flt.until is not None:
        conds.append(c.received_at < dt.datetime.combine(flt.until + dt.timedelta(days=1), dt.time()))
    if flt.street_ids is not None:
        conds.append(c.street_id.in_(sorted(flt.street_ids)))
    if flt.community_ids is not None:
        conds.append(c.community_id.in_(sorted(flt.community_ids)))
    if flt.categories is not None:
        conds.append(c.category.in_(sorted(flt.categories)))
    if flt.channels is not None:
        conds.append(c.channel.in_(sorted(flt.channels)))
    return conds


def rollup_conditions(scope: Scope, flt: TicketFilter, table) -> list:  # type: ignore[no-untyped-def]
    """WHERE conditions on a rollup table (`schema.RollupTable`) for a scope and a filter's units, categories
    and channels — the same narrowing as `ticket_conditions`, on the rollup's key columns (the period is the
    caller's: rollup readers split it between tables). Rollups hold non-excluded tickets only."""
    tb = table.table
    community = tb.c.get("community_id")
    if community is None and (scope.community_ids is not None or flt.community_ids is not None):
        raise ValueError(f"{table.name} has no communities: it cannot narrow to one")
    conds = unit_conditions(scope, tb.c.street_id, community)
    if flt.street_ids is not None:
        conds.append(tb.c.street_id.in_(sorted(flt.street_ids)))
    if flt.community_ids is not None:
        conds.append(community.in_(sorted(flt.community_ids)))
    if flt.categories is not None:
        conds.append(tb.c.category.in_(sorted(flt.categories)))
    if flt.channels is not None:
        conds.append(tb.c.channel.in_(sorted(flt.channels)))
    return conds


def community_conditions(scope: Scope) -> list:
    C = Community.__table__
    return unit_conditions(scope, C.c.street_id, C.c.id)


def _column_key(column: Column) -> tuple[str, str]:
    return (getattr(column.table, "name", ""), column.name)


_PERSONAL_KEYS = frozenset(_column_key(c) for c in PERSONAL_COLUMNS)


class PersonalDataRefused(PermissionError):
    """A public-scope query referred to a personal column or table."""


def referenced_personal(stmt: visitors.Visitable) -> Sequence[str]:
    """Names of the personal columns/tables a statement refers to anywhere (select list, joins, filters)."""
    found: list[str] = []
    for element in visitors.iterate(stmt):
        if isinstance(element, Table) and element in PERSONAL_TABLES:
            found.append(element.name)
        elif isinstance(element, Column) and _column_key(element) in _PERSONAL_KEYS:
            found.append(".".join(_column_key(element)))
    return sorted(set(found))


def check_public(scope: Scope, stmt: visitors.Visitable) -> None:
    """Refuse a public-scope statement that touches personal data (personal data protected by construction)."""
    if scope.public:
        names = referenced_personal(stmt)
        if names:
            raise PersonalDataRefused("public scope may not read personal data: " + ", ".join(names))
