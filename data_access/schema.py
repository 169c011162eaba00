"""The case database: typed SQLAlchemy 2 models.

Timestamps are naive local wall-clock time of the deployment's zone (DESIGN.md principle 5). Codes in
`channel`, `kind`, `urgency`, `status`, `resolution`, `satisfaction` and `ticket_event.kind` come from
`domain.vocab`.

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
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
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
    centroid_lat: Mapped[float] = mapped_column(Double())
    centroid_lon: Mapped[float] = mapped_column(Double())
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
    # Indexed: without it SQLite checks every dropped or deleted row against the whole table (foreign keys on).
    reopened_from_id: Mapped[Optional[int]] = mapped_column(IdType, ForeignKey("ticket.id"), index=True)
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
        # The rollups' corrections read the uncontacted tickets still inside their contact window, and the
        # public screen the tickets closed in the last days: both narrow ranges of these columns.
        Index("ix_ticket_contact_due", "contact_due_at"),
        Index("ix_ticket_closed", "closed_at"),
        # A category filter over days no rollup covers (dirty days, the edges of a window) reads its own
        # tickets only.
        Index("ix_ticket_category_received", "category", "received_at"),
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
    """Create every table and index that does not exist yet (idempotent; an index added to an existing
    table since it was created is added too)."""
    Base.metadata.create_all(engine)
    for table in Base.metadata.sorted_tables:
        for index in table.indexes:
            index.create(engine, checkfirst=True)


def drop_schema(engine) -> None:  # type: ignore[no-untyped-def]
    """Drop every table of the case database (for rebuilding a sample database)."""
    Base.metadata.drop_all(engine)


# --- imports (importers) ------------------------------------------------------------------


class ImportRun(Base):
    """One run of `cli.py import` / `import-boundaries`: what was read, what happened, where it stopped.

    `checkpoint_records` is the number of source records whose batch is committed; an interrupted run of
    the same file (same SHA-256 and options) resumes after it. `rejects_bytes` is the size of the rejects
    file at that checkpoint, so a resumed run truncates what a failed batch had written.
    """

    __tablename__ = "import_run"
    id: Mapped[intpk]
    kind: Mapped[short]  # "tickets" | "boundaries"
    started_at: Mapped[stamp]
    finished_at: Mapped[Optional[stamp]]
    source_name: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[label]
    options_key: Mapped[str] = mapped_column(String(64))  # digest of mapping, zones, CRS, transaction mode
    source_tz: Mapped[Optional[label]]
    transaction_mode: Mapped[short]  # "batch" | "single"
    status: Mapped[short]  # "running" | "done" | "failed"
    rows_read: Mapped[int] = mapped_column(BigInteger(), default=0)
    rows_inserted: Mapped[int] = mapped_column(BigInteger(), default=0)
    rows_updated: Mapped[int] = mapped_column(BigInteger(), default=0)
    rows_unchanged: Mapped[int] = mapped_column(BigInteger(), default=0)
    rows_rejected: Mapped[int] = mapped_column(BigInteger(), default=0)
    findings: Mapped[int] = mapped_column(BigInteger(), default=0)
    checkpoint_records: Mapped[int] = mapped_column(BigInteger(), default=0)
    checkpoint_line: Mapped[int] = mapped_column(BigInteger(), default=0)
    rejects_bytes: Mapped[int] = mapped_column(BigInteger(), default=0)
    rejects_path: Mapped[Optional[str]] = mapped_column(String(500))
    message: Mapped[Optional[str]] = mapped_column(String(500))

    __table_args__ = (Index("ix_import_run_started", "started_at"), Index("ix_import_run_sha", "source_sha256"))


class ImportFinding(Base):
    """A data-quality finding of an import run: a problem that did not stop rows from loading, counted."""

    __tablename__ = "import_finding"
    id: Mapped[intpk]
    run_id: Mapped[int] = mapped_column(IdType, ForeignKey("import_run.id"), index=True)
    kind: Mapped[label]  # importers.findings.FINDINGS
    column_name: Mapped[Optional[str]] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(BigInteger())
    example_lines: Mapped[Optional[str]] = mapped_column(String(200))  # first lines, comma-separated


class UnitBoundary(Base):
    """The polygon of a street or community (grid cells keep theirs in `grid_cell.boundary`), GeoJSON, WGS-84."""

    __tablename__ = "unit_boundary"
    id: Mapped[intpk]
    level: Mapped[short]  # "street" | "community"
    unit_id: Mapped[int] = mapped_column(IdType)
    boundary: Mapped[str] = mapped_column(Text())
    centroid_lat: Mapped[float] = mapped_column(Double())
    centroid_lon: Mapped[float] = mapped_column(Double())

    __table_args__ = (Index("ux_unit_boundary_level_unit", "level", "unit_id", unique=True),)


# --- sign-in (data_access.accounts) -------------------------------------------------------------------


class Account(Base):
    """Who may sign in to the internal dashboard, in which role, bound to which district or street.

    `password_hash` is a bcrypt hash (never a plain password); an account without one signs in only through
    the deployment's identity provider (OpenID Connect), matched on `username` or `email`. The sign-in
    bookkeeping (failed attempts in the current window, lock, last sign-in) lives here so a lock holds across
    restarts and across several app processes. Role codes: admin | supervisor | secretary.
    """

    __tablename__ = "account"
    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[name]
    email: Mapped[Optional[str]] = mapped_column(String(200))
    role: Mapped[short]
    district_id: Mapped[Optional[int]] = mapped_column(IdType, ForeignKey("district.id"))
    street_id: Mapped[Optional[int]] = mapped_column(IdType, ForeignKey("street.id"))
    password_hash: Mapped[Optional[str]] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean(), default=True)
    created_at: Mapped[stamp]
    failed_attempts: Mapped[int] = mapped_column(Integer(), default=0)
    first_failed_at: Mapped[Optional[stamp]]  # start of the current window of failed attempts
    locked_until: Mapped[Optional[stamp]]
    last_sign_in_at: Mapped[Optional[stamp]]


class AuthSession(Base):
    """A sign-in that outlives the browser tab: the browser keeps a random token in a cookie, this row keeps
    only the token's SHA-256 (`token_hash`), so a copy of the table signs nobody in.

    A session is valid while `revoked_at` is empty and neither limit of `auth_policy.session_expiry` has
    passed: idle since `last_seen_at` (written at most once a minute), or too long since `created_at` (the
    sign-in; for the identity provider its `auth_time`). `end_reason` says why it ended: signed_out,
    account_inactive, password_changed, role_changed, expired_idle, expired_absolute
    (data_access.sessions, which writes every row).
    """

    __tablename__ = "auth_session"
    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(IdType, ForeignKey("account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[short]  # "password" | "oidc"
    created_at: Mapped[stamp]
    last_seen_at: Mapped[stamp]
    revoked_at: Mapped[Optional[stamp]]
    end_reason: Mapped[Optional[str]] = mapped_column(String(32))


# --- rollups (data_access.rollups) -------------------------------------------------------------------
#
# Pre-aggregated figures, so that a page reads a few thousand rows instead of millions of tickets. Each
# table holds, per received day (or month) and unit (community, or grid cell) — and per category and
# channel where its name says so — the number of non-excluded tickets that meet each condition of
# ROLLUP_COUNT_COLUMNS (defined in `data_access.ticket_measures`), with every "deadline < now" taken as
# true where the deadline exists ("settled"): the readers correct that for the few tickets whose deadline is
# still ahead. The histogram tables count durations per stage and bucket (`metrics.durations`) for medians.
# Missing ids are stored as 0 (a key column cannot be NULL). `rollup_dirty` lists the days whose tickets
# changed since the rollups were last refreshed: readers take those days from the tickets themselves.

RATE_COUNT_COLUMNS = (
    "tickets",
    "dispatched",
    "response_due",
    "contacted_on_time",
    "callbacks_answered",
    "solved",
    "partly",
    "unsolved",
    "satisfied",
    "basic",
    "unsatisfied",
    "callback_due",
    "callback_covered",
    "closed",
    "closed_on_time",
    "open",
    "open_overdue",
    "grid_cases",
    "grid_closed",
)
FUNNEL_STAGES = ("received", "dispatched", "signed", "contacted", "closed", "callback", "satisfied")
FUNNEL_COLUMNS = tuple(f"funnel_{stage}" for stage in FUNNEL_STAGES[1:])  # received = tickets
EVENT_KINDS = ("return", "extend", "escalate", "whistle", "reopen")  # 退单, 延期, 督办, 吹哨, 重办
EVENT_COLUMNS = tuple(f"{kind}_tickets" for kind in EVENT_KINDS)
STAGE_TIMES = ("dispatched", "signed", "contacted", "closed", "callback")  # each named after the stage it leads into
REVERSED_COLUMNS = tuple(f"{stage}_reversed" for stage in STAGE_TIMES)
ROLLUP_COUNT_COLUMNS = (*RATE_COUNT_COLUMNS, *FUNNEL_COLUMNS, *EVENT_COLUMNS, *REVERSED_COLUMNS)

ROLLUP_UNITS = ("street", "community", "grid_cell")
ROLLUP_GRAINS = ("day", "month")


class RollupTable:
    """One rollup table: its grain, the dimensions it keeps, the counts it holds and the SQLAlchemy table."""

    def __init__(self, grain: str, unit: str, *, category: bool, channel: bool, histogram: bool = False) -> None:
        assert grain in ROLLUP_GRAINS and unit in ROLLUP_UNITS
        self.grain, self.unit, self.category, self.channel, self.histogram = grain, unit, category, channel, histogram
        short = {"street": "street", "community": "comm", "grid_cell": "cell"}[unit]
        parts = ["rollup", *(["hist"] if histogram else []), grain, short]
        parts += [*(["cat"] if category else []), *(["chan"] if channel else [])]
        self.name = "_".join(parts)
        # The cell tables feed the map (the three rates, volume, overdue) only.
        self.counts: tuple[str, ...] = () if histogram else (ROLLUP_COUNT_COLUMNS if unit == "community" else RATE_COUNT_COLUMNS)
        keys = [
            Column("period_start", Date(), primary_key=True),  # the day, or the first day of the month
            Column("street_id", IdType, primary_key=True, autoincrement=False),
        ]
        if unit != "street":
            keys.append(Column("community_id", IdType, primary_key=True, autoincrement=False))
        if unit == "grid_cell":
            keys.append(Column("grid_cell_id", IdType, primary_key=True, autoincrement=False))
        if category:
            keys.append(Column("category", String(64), primary_key=True))
        if channel:
            keys.append(Column("channel", String(16), primary_key=True))
        if histogram:
            keys += [
                Column("stage", SmallInteger(), primary_key=True, autoincrement=False),  # index into STAGE_TIMES
                Column("bucket", SmallInteger(), primary_key=True, autoincrement=False),  # metrics.durations
            ]
        values = [Column("n", BigInteger(), nullable=False)] if histogram else [
            Column(name, BigInteger(), nullable=False) for name in self.counts
        ]
        # Clustered on the key (period first) where the database allows it: a window is one range read.
        self.table = Table(self.name, Base.metadata, *keys, *values, sqlite_with_rowid=False)

    @property
    def dims(self) -> frozenset[str]:
        """The filter/grouping dimensions this table can answer (street always; day only at day grain)."""
        dims = {"street_id"} if self.unit == "street" else {"street_id", "community_id"}
        if self.unit == "grid_cell":
            dims.add("grid_cell_id")
        if self.category:
            dims.add("category")
        if self.channel:
            dims.add("channel")
        if self.grain == "day":
            dims.add("day")
        return frozenset(dims)

    def __repr__(self) -> str:
        return f"RollupTable({self.name})"


def _rollup_tables() -> tuple[RollupTable, ...]:
    """The tables, chosen by measuring a 1,000,000-ticket sample: a table is worth keeping where its rows are
    far fewer than the tickets it sums (a day × cell × category table held about as many rows as tickets:
    a category on the map reads whole months from `month_cell_cat` and the days at a window's edges from
    the tickets, through the (category, received_at) index). Durations are kept per street (and channel)
    by day and per street, street and category, or community by month; a community's few days at the edges
    of a window are read from its tickets."""
    tables = []
    for grain in ROLLUP_GRAINS:
        tables += [
            RollupTable(grain, "community", category=True, channel=True),
            RollupTable(grain, "community", category=True, channel=False),
            RollupTable(grain, "community", category=False, channel=False),
            RollupTable(grain, "grid_cell", category=False, channel=True),
            RollupTable(grain, "grid_cell", category=False, channel=False),
            RollupTable(grain, "street", category=False, channel=True, histogram=True),
            RollupTable(grain, "street", category=False, channel=False, histogram=True),
        ]
    tables += [
        RollupTable("month", "grid_cell", category=True, channel=False),
        RollupTable("month", "community", category=False, channel=False, histogram=True),
        RollupTable("month", "street", category=True, channel=False, histogram=True),
    ]
    return tuple(tables)


ROLLUP_TABLES = _rollup_tables()

rollup_dirty = Table(
    "rollup_dirty",
    Base.metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("day", Date(), nullable=False, index=True),
)

# One row (id 1): which definition of the counts the rollups were built with, when, and how many times they
# changed since (`generation`: readers key what they keep on it — two refreshes may share a timestamp).
rollup_state = Table(
    "rollup_state",
    Base.metadata,
    Column("id", Integer(), primary_key=True, autoincrement=False),
    Column("version", Integer(), nullable=False),
    Column("generation", BigInteger(), nullable=False),
    Column("built_at", DateTime(), nullable=False),
    Column("refreshed_at", DateTime(), nullable=False),
    Column("tickets", BigInteger(), nullable=False),
)
