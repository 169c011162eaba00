"""The case database: typed SQLAlchemy 2 models.

Timestamps are naive local wall-clock time of the deployment's zone (DESIGN.md principle 5). Codes in
`channel`, `kind`, `urgency`, `status`, `resolution`, `satisfaction` and `ticket_event.kind` come from
`metrics.vocab`.

Personal data (caller name, phone, exact address, the complaint's free text) lives only in
`ticket_personal`; `PERSONAL_COLUMNS` lists every column that a public-scope query must never select.
The answered callback's result is kept twice on purpose: the `callback` table is the hotline's stream of
attempts, and `ticket.callback_at/resolution/satisfaction` hold the answer that counts (the last answered
callback), written by `data_access.writes.record_callback`, so rates are plain counts on one table.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Shared column types (one place, so every dialect gets the same widths).
# BigInteger ids: a city writes ~2,500万 tickets a year (DOMAIN.md); on SQLite a BIGINT primary key would
# not be a rowid alias, so the variant keeps INTEGER there.
IdType = BigInteger().with_variant(Integer(), "sqlite")
intpk = Annotated[int, mapped_column(IdType, primary_key=True, autoincrement=True)]
code = Annotated[str, mapped_column(String(32), unique=True)]
name = Annotated[str, mapped_column(String(100))]
short = Annotated[str, mapped_column(String(16))]
label = Annotated[str, mapped_column(String(64))]
stamp = Annotated[dt.datetime, mapped_column(DateTime())]


class Base(DeclarativeBase):
    pass


class District(Base):
    __tablename__ = "district"
    id: Mapped[intpk]
    code: Mapped[code]
    name: Mapped[name]
    population: Mapped[Optional[int]]


class Street(Base):
    __tablename__ = "street"
    id: Mapped[intpk]
    code: Mapped[code]
    name: Mapped[name]
    district_id: Mapped[int] = mapped_column(IdType, ForeignKey("district.id"), index=True)
    population: Mapped[Optional[int]]


class Community(Base):
    __tablename__ = "community"
    id: Mapped[intpk]
    code: Mapped[code]
    name: Mapped[name]
    street_id: Mapped[int] = mapped_column(IdType, ForeignKey("street.id"), index=True)
    population: Mapped[Optional[int]]


class GridCell(Base):
    """网格: a polygon (GeoJSON geometry text, WGS-84) inside one community."""

    __tablename__ = "grid_cell"
    id: Mapped[intpk]
    code: Mapped[code]
    name: Mapped[name]
    community_id: Mapped[int] = mapped_column(IdType, ForeignKey("community.id"), index=True)
    boundary: Mapped[str] = mapped_column(Text())
    centroid_lat: Mapped[float] = mapped_column(Float())
    centroid_lon: Mapped[float] = mapped_column(Float())
    population: Mapped[Optional[int]]


class Department(Base):
    """A unit that handles (承办) or assists (协办) tickets."""

    __tablename__ = "department"
    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[short]


class Ticket(Base):
    """One demand (诉求/工单) or grid case (网格案件)."""

    __tablename__ = "ticket"
    id: Mapped[intpk]
    ticket_no: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[short]
    kind: Mapped[short]
    category: Mapped[label]
    subcategory: Mapped[Optional[label]]
    topic: Mapped[Optional[label]]  # 每月一题 tag
    urgency: Mapped[short]
    received_at: Mapped[stamp]
    dispatched_at: Mapped[Optional[stamp]]
    signed_at: Mapped[Optional[stamp]]
    contacted_at: Mapped[Optional[stamp]]
    contact_due_at: Mapped[Optional[stamp]]
    due_at: Mapped[Optional[stamp]]
    closed_at: Mapped[Optional[stamp]]
    status: Mapped[short]
    street_id: Mapped[Optional[int]] = mapped_column(IdType, ForeignKey("street.id"))
    community_id: Mapped[Optional[int]] = mapped_column(IdType, ForeignKey("community.id"))
    grid_cell_id: Mapped[Optional[int]] = mapped_column(IdType, ForeignKey("grid_cell.id"))
    lat: Mapped[Optional[float]]
    lon: Mapped[Optional[float]]
    lead_department_id: Mapped[Optional[int]] = mapped_column(IdType, ForeignKey("department.id"))
    whistle: Mapped[bool] = mapped_column(Boolean(), default=False)  # 吹哨
    excluded: Mapped[bool] = mapped_column(Boolean(), default=False)  # 剔单
    exclude_reason: Mapped[Optional[label]]
    reopened_from_id: Mapped[Optional[int]] = mapped_column(IdType, ForeignKey("ticket.id"))
    # The answered callback that counts (see the module docstring).
    callback_at: Mapped[Optional[stamp]]
    resolution: Mapped[Optional[short]]
    satisfaction: Mapped[Optional[short]]
    # Salted hash of the caller's identity, for repeat-caller counts; still personal (linkable).
    caller_hash: Mapped[Optional[str]] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_ticket_street_received", "street_id", "received_at"),
        Index("ix_ticket_community_received", "community_id", "received_at"),
        Index("ix_ticket_grid_received", "grid_cell_id", "received_at"),
        Index("ix_ticket_status_due", "status", "due_at"),
        Index("ix_ticket_received", "received_at"),
    )


class TicketPersonal(Base):
    """Personal data of a ticket, one row per ticket; never read by a public-scope query."""

    __tablename__ = "ticket_personal"
    ticket_id: Mapped[int] = mapped_column(IdType, ForeignKey("ticket.id"), primary_key=True)
    caller_name: Mapped[Optional[str]] = mapped_column(String(100))
    caller_phone: Mapped[Optional[str]] = mapped_column(String(32))
    address: Mapped[Optional[str]] = mapped_column(String(200))
    content: Mapped[Optional[str]] = mapped_column(Text())


class TicketEvent(Base):
    """The status history of a ticket (派单, 签收, 退单, 延期, 督办, 吹哨, 报到, 办结, 回访, 重办)."""

    __tablename__ = "ticket_event"
    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(IdType, ForeignKey("ticket.id"), index=True)
    at: Mapped[stamp]
    kind: Mapped[short]
    department_id: Mapped[Optional[int]] = mapped_column(IdType, ForeignKey("department.id"))
    note: Mapped[Optional[str]] = mapped_column(String(200))

    __table_args__ = (Index("ix_ticket_event_kind_ticket", "kind", "ticket_id"),)


class Callback(Base):
    """One callback attempt by the hotline centre (回访)."""

    __tablename__ = "callback"
    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(IdType, ForeignKey("ticket.id"), index=True)
    at: Mapped[stamp]
    reached: Mapped[bool] = mapped_column(Boolean())
    resolution: Mapped[Optional[short]]
    satisfaction: Mapped[Optional[short]]


# Every column a public-scope query must never select (issue: personal data protected by construction).
PERSONAL_COLUMNS = frozenset(
    {
        TicketPersonal.__table__.c.caller_name,
        TicketPersonal.__table__.c.caller_phone,
        TicketPersonal.__table__.c.address,
        TicketPersonal.__table__.c.content,
        Ticket.__table__.c.caller_hash,
    }
)
PERSONAL_TABLES = frozenset({TicketPersonal.__table__})


def create_schema(engine) -> None:  # type: ignore[no-untyped-def]
    """Create every table and index that does not exist yet (idempotent)."""
    Base.metadata.create_all(engine)


def drop_schema(engine) -> None:  # type: ignore[no-untyped-def]
    """Drop every table of the case database (for rebuilding a sample database)."""
    Base.metadata.drop_all(engine)
