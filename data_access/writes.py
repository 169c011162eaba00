"""Writing tickets: the one path that fills derived deadlines and keeps the callback result consistent.

Used by the live simulator and the importers (the bulk sample generator applies the same
`prepare_ticket` to its rows). The caller owns the transaction. Every write here marks the ticket's
received day for the rollups (`rollups.mark_days`/`mark_tickets`), in the same transaction, so the figures
include it the moment it commits; a writer that changes tickets with its own SQL must do the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from sqlalchemy import Connection, insert, update

from data_access import rollups
from data_access.schema import EVENT_KINDS, Callback, Ticket, TicketEvent
from domain import vocab
from domain.deadlines import derive_deadlines
from domain.settings import DEFAULT_SETTINGS, Settings

T = Ticket.__table__

_TICKET_DEFAULTS: Mapping[str, Any] = {
    "channel": vocab.CHANNEL_HOTLINE,
    "kind": vocab.KIND_HELP,
    "urgency": vocab.URGENCY_GENERAL,
    "status": vocab.STATUS_RECEIVED,
    "whistle": False,
    "excluded": False,
}

_EMPTY_ROW: Mapping[str, Any] = {c.name: None for c in T.columns if c.name != "id"}


def prepare_ticket(row: Mapping[str, Any], settings: Settings = DEFAULT_SETTINGS) -> dict[str, Any]:
    """A full ticket row (every column but `id` present, so rows can be inserted together) with defaults and
    derived deadlines filled in; deadlines the source gave are kept."""
    out = {**_EMPTY_ROW, **_TICKET_DEFAULTS, **row}
    if out.get("urgency") not in vocab.URGENCIES:
        raise ValueError(f"unknown urgency class: {out.get('urgency')!r}")
    received = out.get("received_at")
    if not isinstance(received, dt.datetime):
        raise ValueError("received_at must be a datetime")
    if out.get("contact_due_at") is None or out.get("due_at") is None:
        contact_due, due = derive_deadlines(received, out["urgency"], settings)
        if out.get("contact_due_at") is None:
            out["contact_due_at"] = contact_due
        if out.get("due_at") is None:
            out["due_at"] = due
    return out


def insert_ticket(conn: Connection, row: Mapping[str, Any], settings: Settings = DEFAULT_SETTINGS) -> int:
    """Insert one ticket (deadlines derived unless given); its new id."""
    values = prepare_ticket(row, settings)
    result = conn.execute(insert(T).values(**values))
    rollups.mark_days(conn, [values["received_at"]])
    return int(result.inserted_primary_key[0])


def update_ticket(conn: Connection, ticket_id: int, **values: Any) -> None:
    """Change columns of one ticket (status, timestamps, …) and mark it for the rollups."""
    conn.execute(update(T).where(T.c.id == ticket_id).values(**values))
    rollups.mark_tickets(conn, [ticket_id])


def add_event(conn: Connection, ticket_id: int, kind: str, at: dt.datetime, **fields: Any) -> None:
    if kind not in vocab.EVENT_KINDS:
        raise ValueError(f"unknown event kind: {kind!r}")
    conn.execute(insert(TicketEvent.__table__).values(ticket_id=ticket_id, kind=kind, at=at, **fields))
    if kind in EVENT_KINDS:  # the rollups count tickets with these events
        rollups.mark_tickets(conn, [ticket_id])


def record_callback(
    conn: Connection,
    ticket_id: int,
    at: dt.datetime,
    *,
    reached: bool,
    resolution: str | None = None,
    satisfaction: str | None = None,
) -> None:
    """Store a callback attempt; an answered one becomes the ticket's counted result."""
    if reached and (resolution not in vocab.RESOLUTIONS or satisfaction not in vocab.SATISFACTIONS):
        raise ValueError("an answered callback needs a resolution and a satisfaction")
    conn.execute(
        insert(Callback.__table__).values(
            ticket_id=ticket_id,
            at=at,
            reached=reached,
            resolution=resolution if reached else None,
            satisfaction=satisfaction if reached else None,
        )
    )
    add_event(conn, ticket_id, vocab.EVENT_CALLBACK, at)
    if reached:
        update_ticket(conn, ticket_id, callback_at=at, resolution=resolution, satisfaction=satisfaction)
