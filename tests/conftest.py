"""Shared fixtures: the three database backends and a small hand-built case book with known answers.

Server URLs come from TEST_POSTGRES_URL / TEST_MYSQL_URL (set by .ci/run); without them the servers of
this machine are tried, and a backend that cannot be reached is skipped with the reason printed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import OperationalError

from data_access import figures, rollups
from metrics import durations
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

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
TEST_DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class RealFiles:
    """The real outside exports the importer tests read: the full files in ../shared/datasets (beside the
    project in CI), or the small slices of them shipped in tests/data (tests/data/README.md), so that any
    clone tests the importers on real rows."""

    full: bool
    nyc: Path
    la: Path
    la_nc: Path


SLICES = RealFiles(False, TEST_DATA / "nyc311_2013-12-25.slice.csv", TEST_DATA / "la311_2017_subset.slice.csv",
                   TEST_DATA / "la_neighborhood_councils_2019.slice.geojson")
FULL_FILES = RealFiles(True, DATASETS / "nyc311_2013-12-25.csv", DATASETS / "la311_2017_subset.csv",
                       DATASETS / "la_neighborhood_councils_2019.geojson")
NO_FULL_FILES = "../shared/datasets is not beside the project: only the slices in tests/data are tested"


@pytest.fixture(scope="module", params=["slices", "full"])
def real_files(request) -> RealFiles:
    """Each real-data test once on the slices (always there) and once on the full files (skipped, saying why,
    where ../shared/datasets is absent)."""
    if request.param == "slices":
        return SLICES
    if not FULL_FILES.nyc.exists():
        pytest.skip(NO_FULL_FILES)
    return FULL_FILES

BACKEND_URLS = {
    "sqlite": None,  # a temporary file per session
    "postgresql": os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mysql": os.environ.get("TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"),
}

# The case book's clock: every expectation below is worked out at this instant.
NOW = dt.datetime(2026, 11, 20, 12, 0, 0)
NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


@pytest.fixture(scope="session", params=list(BACKEND_URLS))
def engine(request, tmp_path_factory):
    """An empty engine per backend (SQLite file, PostgreSQL, MariaDB)."""
    url = BACKEND_URLS[request.param] or f"sqlite:///{tmp_path_factory.mktemp('db') / 'cases.db'}"
    eng = make_engine(url)
    try:
        with eng.connect():
            pass
    except OperationalError as exc:
        pytest.skip(f"{request.param} not reachable at {url}: {exc.orig}")
    yield eng
    eng.dispose()


def _square(lon: float, lat: float, size: float = 0.002) -> str:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def t(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute)


# Ticket rows of the case book. Deadlines are derived from the urgency (general: contact 24 h, resolve
# 7 d; utility 2 h / 24 h; complex 24 h / 15 d; emergency 30 min / 2 h) unless written here.
CASEBOOK_TICKETS = [
    # T1 S1/C1a: contacted and closed on time, callback solved + satisfied; 48 h to close.
    dict(id=1, ticket_no="T1", street_id=1, community_id=1, grid_cell_id=1, category="供暖",
         received_at=t(1, 9), dispatched_at=t(1, 9, 30), signed_at=t(1, 10), contacted_at=t(1, 12),
         closed_at=t(3, 9), status="closed", callback_at=t(5, 9), resolution="solved", satisfaction="satisfied"),
    # T2 S1/C1a: contacted late (due 3rd 10:00), closed late (due 9th 10:00), partly + basic; 192 h.
    dict(id=2, ticket_no="T2", street_id=1, community_id=1, grid_cell_id=1, category="噪音扰民", whistle=True,
         received_at=t(2, 10), dispatched_at=t(2, 10, 30), signed_at=t(2, 11), contacted_at=t(3, 11),
         closed_at=t(10, 10), status="closed", callback_at=t(12, 9), resolution="partly", satisfaction="basic"),
    # T3 S1/C1b utility: on time both, callback unsolved + unsatisfied; 12 h.
    dict(id=3, ticket_no="T3", street_id=1, community_id=2, grid_cell_id=2, category="供水", urgency="utility",
         received_at=t(5, 8), dispatched_at=t(5, 8, 10), signed_at=t(5, 8, 20), contacted_at=t(5, 9),
         closed_at=t(5, 20), status="closed", callback_at=t(7, 9), resolution="unsolved",
         satisfaction="unsatisfied"),
    # T4 S1/C1b: contacted on time, still open, due 17th 08:00 → overdue at NOW by 3 d 4 h; escalated.
    dict(id=4, ticket_no="T4", street_id=1, community_id=2, grid_cell_id=2, category="物业管理",
         received_at=t(10, 8), dispatched_at=t(10, 9), signed_at=t(10, 10), contacted_at=t(10, 12),
         status="signed"),
    # T5 S2/C2a web, complex: never contacted, open, due 30th → neither overdue nor due for callback.
    dict(id=5, ticket_no="T5", street_id=2, community_id=3, grid_cell_id=3, category="物业管理",
         channel="web", urgency="complex", received_at=t(15, 8), dispatched_at=t(15, 9), status="dispatched"),
    # T6 S2/C2a grid-patrol case: closed on time after 24 h; not in the three rates.
    dict(id=6, ticket_no="T6", street_id=2, community_id=3, grid_cell_id=3, category="环境卫生", channel="grid",
         kind="report", received_at=t(12, 8), dispatched_at=t(12, 8), signed_at=t(12, 9), closed_at=t(13, 8),
         status="closed"),
    # T7 S2/C2a enquiry answered on the spot: never dispatched, closed after 5 minutes.
    dict(id=7, ticket_no="T7", street_id=2, community_id=3, grid_cell_id=3, category="公交出行", kind="enquiry",
         received_at=t(16, 8), closed_at=t(16, 8, 5), status="closed"),
    # T8 S1/C1a excluded (剔单): counts nowhere.
    dict(id=8, ticket_no="T8", street_id=1, community_id=1, grid_cell_id=1, category="噪音扰民", excluded=True,
         exclude_reason="重复诉求", received_at=t(4, 8), dispatched_at=t(4, 9), status="dispatched"),
    # T9 S1/C1a in October (outside the November filter): closed after 48 h, satisfied.
    dict(id=9, ticket_no="T9", street_id=1, community_id=1, grid_cell_id=1, category="供暖",
         received_at=t(15, 8, month=10), dispatched_at=t(15, 9, month=10), signed_at=t(15, 9, 30, month=10),
         contacted_at=t(15, 10, month=10), closed_at=t(17, 8, month=10), status="closed",
         callback_at=t(20, 9, month=10), resolution="solved", satisfaction="satisfied"),
    # T10 S2/C2a: closed an hour *before* it was received (data error, left out of durations); callback
    # attempted but not reached.
    dict(id=10, ticket_no="T10", street_id=2, community_id=3, grid_cell_id=3, category="停车管理",
         received_at=t(18, 10), dispatched_at=t(18, 10, 10), contacted_at=t(18, 10, 30), closed_at=t(18, 9),
         status="closed"),
    # T11 S2/C2a emergency: due 13:00 today → due soon (1 h to go), contact missed (due 11:30).
    dict(id=11, ticket_no="T11", street_id=2, community_id=3, grid_cell_id=3, category="燃气",
         urgency="emergency", received_at=t(20, 11), dispatched_at=t(20, 11, 5), status="dispatched"),
]


def write_casebook(engine) -> None:
    """(Re)create the schema and write the case book."""
    drop_schema(engine)
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(insert(District.__table__), [dict(id=1, code="D1", name="示范区", population=20000)])
        conn.execute(
            insert(Street.__table__),
            [
                dict(id=1, code="S1", name="东湖街道", district_id=1, population=12000),
                dict(id=2, code="S2", name="西苑街道", district_id=1, population=8000),
            ],
        )
        conn.execute(
            insert(Community.__table__),
            [
                dict(id=1, code="C1a", name="春晖社区", street_id=1, population=7000),
                dict(id=2, code="C1b", name="花园里社区", street_id=1, population=5000),
                dict(id=3, code="C2a", name="桃源社区", street_id=2, population=6000),
                dict(id=4, code="C2b", name="静安里社区", street_id=2, population=2000),  # no tickets at all
            ],
        )
        conn.execute(
            insert(GridCell.__table__),
            [
                dict(id=i, code=f"G{i}", name=f"网格{i}", community_id=i, boundary=_square(116.4 + i * 0.002, 39.9),
                     centroid_lat=39.901, centroid_lon=116.401 + i * 0.002, population=pop)
                for i, pop in ((1, 7000), (2, 5000), (3, 6000), (4, 2000))
            ],
        )
        conn.execute(
            insert(Department.__table__),
            [dict(id=1, name="东湖街道办事处", kind="street"), dict(id=2, name="城管委", kind="agency")],
        )
        rows = [prepare_ticket({"lead_department_id": 1, **row}) for row in CASEBOOK_TICKETS]
        conn.execute(insert(Ticket.__table__), rows)
        conn.execute(
            insert(TicketPersonal.__table__),
            [dict(ticket_id=1, caller_name="张三", caller_phone="13800138000", address="春晖社区1号楼", content="暖气不热")],
        )
        conn.execute(
            insert(TicketEvent.__table__),
            [
                dict(ticket_id=2, at=t(2, 10, 40), kind="return", department_id=1, note="派单异议"),
                dict(ticket_id=2, at=t(4, 9), kind="whistle", department_id=1, note=None),
                dict(ticket_id=2, at=t(4, 15), kind="report", department_id=2, note=None),
                dict(ticket_id=3, at=t(5, 12), kind="extend", department_id=1, note="延期3天"),
                dict(ticket_id=4, at=t(18, 9), kind="escalate", department_id=None, note=None),
                dict(ticket_id=4, at=t(19, 9), kind="escalate", department_id=None, note=None),
            ],
        )
        conn.execute(
            insert(Callback.__table__),
            [
                dict(ticket_id=1, at=t(5, 9), reached=True, resolution="solved", satisfaction="satisfied"),
                dict(ticket_id=2, at=t(12, 9), reached=True, resolution="partly", satisfaction="basic"),
                dict(ticket_id=3, at=t(7, 9), reached=True, resolution="unsolved", satisfaction="unsatisfied"),
                dict(ticket_id=10, at=t(19, 9), reached=False, resolution=None, satisfaction=None),
            ],
        )
    if engine.dialect.name == "postgresql":
        # Explicit ids above: move the sequences past them so later inserts get fresh ids.
        with engine.begin() as conn:
            for table in ("district", "street", "community", "grid_cell", "department", "ticket"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    # Like every database the pages read, the case book has its rollups (data_access.rollups).
    rollups.rebuild(engine, now=NOW)


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium through Playwright (never `playwright install`); skips without it."""
    from browser_support import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def casebook(engine):
    """The engine with the case book written (once per backend and session)."""
    write_casebook(engine)
    return engine


@pytest.fixture(scope="session")
def casebook_sqlite_url(tmp_path_factory) -> str:
    """A SQLite file holding the case book, for tests of the app and the CLI that need one database only."""
    url = f"sqlite:///{tmp_path_factory.mktemp('app') / 'casebook.db'}"
    eng = make_engine(url)
    write_casebook(eng)
    eng.dispose()
    return url


@pytest.fixture(params=["rollups", "tickets"])
def conn(casebook, request):
    """A connection in a transaction rolled back after the test, so tests may write freely.

    Every test using it runs twice: with the figures read from the rollups (as the pages read them), and
    from the tickets alone (`figures.RAW`, the reference): the same hand-worked answers on both paths.
    """
    with casebook.connect() as connection:
        if request.param == "tickets":
            connection = connection.execution_options(**figures.RAW)
        trans = connection.begin()
        yield connection
        trans.rollback()


def median_matches(conn, got: float | None, exact: float | None) -> bool:
    """The hand-worked exact median, exactly from the tickets; within the stated bound (1 % or 0.5 h,
    `metrics.durations`) from the rollups' duration histograms."""
    if got is None or exact is None:
        return got is None and exact is None
    return durations.within_bound(got, exact) if figures.rollups_in_use(conn) else got == exact
