"""Data quality (数据质量): the last imports, their findings, and how complete each field is per street.

Small frames for the administrator's and supervisor's data-quality page (never the public screen: import
runs name files and folders). Counts come from the database; `completeness_shares` turns them into the
0–1 shares the page colours, so a street whose tickets lack coordinates or callbacks stands out.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, and_, func, select

from data_access.schema import ImportFinding, ImportRun, Street, Ticket
from data_access.scope import ALL, Scope, TicketFilter, ticket_conditions
from data_access.sql import count_if, fetch
from domain import vocab

T = Ticket.__table__
S = Street.__table__
R = ImportRun.__table__
F = ImportFinding.__table__

IMPORT_COLUMNS = (
    "id", "kind", "source_name", "format", "status", "started_at", "finished_at", "rows_read", "rows_inserted",
    "rows_updated", "rows_unchanged", "rows_rejected", "findings", "rejects_path", "message",
)
# field → (what counts as filled, the tickets it is expected on). Closing and callback fields are only
# expected once a ticket is closed; everything else on every ticket.
_CLOSED = T.c.status == vocab.STATUS_CLOSED
COMPLETENESS_FIELDS = {
    "coordinates": (and_(T.c.lat.is_not(None), T.c.lon.is_not(None)), None),
    "community": (T.c.community_id.is_not(None), None),
    "grid_cell": (T.c.grid_cell_id.is_not(None), None),
    "subcategory": (T.c.subcategory.is_not(None), None),
    "lead_department": (T.c.lead_department_id.is_not(None), None),
    "dispatched_at": (T.c.dispatched_at.is_not(None), None),
    "signed_at": (T.c.signed_at.is_not(None), None),
    "contacted_at": (T.c.contacted_at.is_not(None), None),
    "closed_at": (T.c.closed_at.is_not(None), _CLOSED),
    "callback": (T.c.callback_at.is_not(None), _CLOSED),
}


class PublicScopeRefused(PermissionError):
    """Data-quality frames are for staff, not for the public screen."""


def _staff_only(scope: Scope) -> None:
    if scope.public:
        raise PublicScopeRefused("data-quality figures are not shown on the public screen")




def last_imports(conn: Connection, scope: Scope, *, limit: int = 20) -> pd.DataFrame:
    """The latest import runs, newest first: IMPORT_COLUMNS (counts as int64, times as datetimes)."""
    _staff_only(scope)
    stmt = select(*(R.c[c] for c in IMPORT_COLUMNS)).order_by(R.c.started_at.desc(), R.c.id.desc()).limit(limit)
    frame = fetch(conn, scope, stmt)
    for col in ("rows_read", "rows_inserted", "rows_updated", "rows_unchanged", "rows_rejected", "findings"):
        frame[col] = pd.to_numeric(frame[col]).fillna(0).astype("int64")
    for col in ("started_at", "finished_at"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def import_findings(conn: Connection, scope: Scope, run_id: int) -> pd.DataFrame:
    """kind, column_name, count, example_lines of one run, largest count first (kinds: importers.findings)."""
    _staff_only(scope)
    stmt = (select(F.c.kind, F.c.column_name, F.c.count, F.c.example_lines)
            .where(F.c.run_id == run_id).order_by(F.c.count.desc(), F.c.kind))
    frame = fetch(conn, scope, stmt)
    frame["count"] = pd.to_numeric(frame["count"]).astype("int64")
    return frame


def field_completeness(conn: Connection, scope: Scope, flt: TicketFilter = ALL) -> pd.DataFrame:
    """Per street in scope (and one row with street_id None for tickets without a street): `tickets`, and
    for each field of COMPLETENESS_FIELDS `<field>_filled` and `<field>_expected` counts. Excluded tickets
    count too: a data-quality question, not an assessment one."""
    _staff_only(scope)
    cols = [func.count().label("tickets")]
    for name, (filled, expected) in COMPLETENESS_FIELDS.items():
        cols.append(count_if(filled if expected is None else and_(filled, expected)).label(f"{name}_filled"))
        cols.append((func.count() if expected is None else count_if(expected)).label(f"{name}_expected"))
    stmt = select(T.c.street_id, *cols).where(*ticket_conditions(scope, flt, include_excluded=True))
    counts = fetch(conn, scope, stmt.group_by(T.c.street_id))
    names = fetch(conn, scope, select(S.c.id.label("street_id"), S.c.code, S.c.name.label("street_name")))
    frame = counts.merge(names, on="street_id", how="left")
    count_cols = [c for c in frame.columns if c == "tickets" or c.endswith(("_filled", "_expected"))]
    for col in count_cols:
        frame[col] = pd.to_numeric(frame[col]).fillna(0).astype("int64")
    frame["street_id"] = frame["street_id"].astype("Int64")
    frame = frame.sort_values(["street_id"], na_position="last", ignore_index=True)
    return frame[["street_id", "code", "street_name", *count_cols]]


def completeness_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """street_id, street_name, tickets and one 0–1 share per field (NaN where no ticket expects it)."""
    out = frame[["street_id", "street_name", "tickets"]].copy()
    for name in COMPLETENESS_FIELDS:
        expected = frame[f"{name}_expected"].astype("float64")
        out[name] = frame[f"{name}_filled"].astype("float64") / expected.where(expected > 0)
    return out
