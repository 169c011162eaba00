"""The sample generator's bulk path: exactly the rows and the schema it wrote before, on every backend.

DIGESTS were taken from the generator as it was before bulk loading (rows built one dict per ticket through
`data_access.writes.prepare_ticket`, inserted with SQLAlchemy's executemany, indexes kept during the load),
on SQLite, PostgreSQL and MariaDB alike: a 3,000-ticket sample in chunks of 1,000 — several chunks, with
re-handled tickets — must still give exactly those rows. A deliberate change to the sample changes them:
recompute them with `_digests` and say why in the commit. The servers get a database of their own
(`<test database>_sample`), so rebuilding the sample never drops the shared test database's tables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

import numpy as np
import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from data_access.engine import make_engine
from data_access.schema import (
    Callback,
    Community,
    Department,
    District,
    GridCell,
    Street,
    Ticket,
    TicketEvent,
    TicketPersonal,
    create_schema,
    drop_schema,
)
from data_access.writes import prepare_ticket
from domain import vocab
from domain.deadlines import derive_deadlines, extend
from domain.settings import DEFAULT_SETTINGS
from helpers import BACKEND_URLS
from sample_data import generator
from sample_data.tickets import per_day

NOW = dt.datetime(2026, 11, 20, 12, 0, 0)
TICKETS, CHUNK = 3_000, 1_000

# table: (columns digested, sha256 of the rows in id order (first 24 hex digits), row count)
DIGESTS = {
    "district": ("id code name population", "10cb6a5e58995783540c1412", 1),
    "street": ("id code name district_id population", "e862bfc0c40881da67ae6bea", 8),
    "community": ("id code name street_id population", "dcc6f911a9778e1025f465ff", 44),
    "grid_cell": (
        "id code name community_id boundary centroid_lat centroid_lon population",
        "db716ea7d9a53ae1dd1e7aa7",
        305,
    ),
    "department": ("id name kind", "866a3cb034402024333771bb", 24),
    "ticket": (
        "id ticket_no channel kind category subcategory topic urgency received_at dispatched_at signed_at "
        "contacted_at contact_due_at due_at closed_at status street_id community_id grid_cell_id lat lon "
        "lead_department_id whistle excluded exclude_reason reopened_from_id callback_at resolution "
        "satisfaction caller_hash",
        "7e99cbfb98d410de97f6d266",
        3029,
    ),
    "ticket_personal": (
        "ticket_id caller_name caller_phone address content",
        "646f6e4bf060a9fa767dd2eb",
        2638,
    ),
    "ticket_event": ("id ticket_id at kind department_id note", "fa27bbebe837919c7a81dae8", 13887),
    "callback": ("id ticket_id at reached resolution satisfaction", "245aeb5a1d2a04e0733a33c7", 2462),
}
MODELS = (District, Street, Community, GridCell, Department, Ticket, TicketPersonal, TicketEvent, Callback)
TABLES = [m.__table__ for m in MODELS]


def _own_database(url: str) -> str:
    """`url` with a database of its own next to the test database (created if missing)."""
    base = make_url(url)
    target = base.set(database=f"{base.database}_sample")
    admin = make_engine(url)
    try:
        if admin.dialect.name == "postgresql":
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                exists = text("SELECT 1 FROM pg_database WHERE datname = :d")
                if not conn.execute(exists, {"d": target.database}).first():
                    conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
        else:
            with admin.begin() as conn:
                create = f"CREATE DATABASE IF NOT EXISTS `{target.database}` CHARACTER SET utf8mb4"
                conn.exec_driver_sql(create)
    finally:
        admin.dispose()
    return target.render_as_string(hide_password=False)


def _schema(engine) -> dict:  # type: ignore[no-untyped-def]
    """What create_schema makes of the generator's tables: keys, indexes, foreign keys (and on PostgreSQL
    their catalog definitions)."""
    insp = inspect(engine)
    out: dict = {}
    for table in TABLES:
        name = table.name
        out[name] = (
            insp.get_pk_constraint(name)["constrained_columns"],
            sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(name)),
            sorted(tuple(sorted(u["column_names"])) for u in insp.get_unique_constraints(name)),
            sorted(
                (f["name"] or "", tuple(f["constrained_columns"]), f["referred_table"])
                for f in insp.get_foreign_keys(name)
            ),
        )
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            indexes = "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1"
            out["pg_indexes"] = conn.execute(text(indexes)).scalars().all()
            constraints = (
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
                "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2"
            )
            out["pg_constraints"] = conn.execute(text(constraints)).all()
    return out


def _digests(engine) -> dict[str, tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    out = {}
    with engine.connect() as conn:
        for table in TABLES:
            names = DIGESTS[table.name][0]
            columns = [table.c[name] for name in names.split()]
            rows = [tuple(r) for r in conn.execute(select(*columns).order_by(*table.primary_key.columns))]
            out[table.name] = (names, hashlib.sha256(repr(rows).encode()).hexdigest()[:24], len(rows))
    return out


@pytest.fixture(scope="module", params=list(BACKEND_URLS))
def built(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    """(engine, schema as create_schema makes it) after building the sample in chunks of CHUNK."""
    url = BACKEND_URLS[request.param]
    if url is None:
        url = f"sqlite:///{tmp_path_factory.mktemp('bulk') / 'sample.db'}"
    else:
        try:
            url = _own_database(url)
        except OperationalError as exc:
            pytest.skip(f"{request.param} not reachable: {exc.orig}")
    engine = make_engine(url)
    drop_schema(engine)
    create_schema(engine)
    reference = _schema(engine)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generator, "CHUNK_TICKETS", CHUNK)
        generator.build_sample(engine, tickets=TICKETS, now=NOW)
    yield engine, reference
    engine.dispose()


def test_rows_are_exactly_those_of_before(built):
    engine, _ = built
    assert _digests(engine) == DIGESTS


def test_indexes_and_keys_are_those_create_schema_makes(built):
    engine, reference = built
    assert _schema(engine) == reference


def test_ticket_rows_need_nothing_from_prepare_ticket(built):
    engine, _ = built
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(Ticket.__table__).limit(500))]
    assert rows and all(prepare_ticket(row) == row for row in rows)


@pytest.mark.parametrize("calendar", ["natural", "workday"])
def test_per_day_deadlines_equal_derive_deadlines_and_extend(calendar):
    settings = dataclasses.replace(DEFAULT_SETTINGS, calendar=calendar)
    rng = np.random.default_rng(7)
    # Around the 2026 Spring Festival and National Day holidays, with their adjusted working weekends.
    start = int((dt.datetime(2026, 1, 20) - dt.datetime(1970, 1, 1)).total_seconds())
    at = start + rng.integers(0, 300 * 86_400, 3_000)
    urgency = rng.integers(0, len(vocab.URGENCIES), len(at))
    hours = rng.choice([1, 24, 72, 168, 360], len(at))
    times = at.astype("datetime64[s]").tolist()
    codes = [vocab.URGENCIES[u] for u in urgency.tolist()]

    def seconds(moments: list[dt.datetime]) -> list[int]:
        return np.array(moments, dtype="datetime64[s]").astype(np.int64).tolist()

    for part in (0, 1):
        got = per_day(at, urgency, lambda t, u: derive_deadlines(t, vocab.URGENCIES[u], settings)[part])
        assert got.tolist() == seconds([derive_deadlines(t, c, settings)[part] for t, c in zip(times, codes)])
    got = per_day(at, hours, lambda t, h: extend(t, float(h), settings))
    assert got.tolist() == seconds([extend(t, float(h), settings) for t, h in zip(times, hours.tolist())])
    assert per_day(at[:0], urgency[:0], lambda t, u: t).tolist() == []
