"""What the tests share besides fixtures: the case book (its rows, its clock and the function that writes it),
the backends' URLs, the app's entry scripts and small helpers. Tests import it by name (`from helpers import
NOW`); the fixtures built on it are in conftest.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import streamlit as st
from sqlalchemy import insert

import cli
from data_access import figures, rollups
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
from metrics import durations

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")  # the dashboard's router, for AppTest.from_file
PUBLIC_APP = str(ROOT / "public_app.py")  # the public screen's own entry script

BACKEND_URLS = {
    "sqlite": None,  # a temporary file per session
    "postgresql": os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mysql": os.environ.get("TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"),
}

# The case book's clock: every expectation below is worked out at this instant.
NOW = dt.datetime(2026, 11, 20, 12, 0, 0)
NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))

# The case book's clock: every expectation below is worked out at this instant.
NOW = dt.datetime(2026, 11, 20, 12, 0, 0)
NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def square(lon: float, lat: float, size: float = 0.002) -> str:
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
                dict(id=i, code=f"G{i}", name=f"网格{i}", community_id=i, boundary=square(116.4 + i * 0.002, 39.9),
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


def median_matches(conn, got: float | None, exact: float | None) -> bool:
    """The hand-worked exact median, exactly from the tickets; within the stated bound (1 % + 0.5 h,
    `metrics.durations`) from the rollups' duration histograms."""
    if got is None or exact is None:
        return got is None and exact is None
    return durations.within_bound(got, exact) if figures.rollups_in_use(conn) else got == exact


def point_app_at(url: str, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    """Point the app at the database `url` with the test seam on (keys.TEST_ACCOUNT signs in, see ui/auth.py)
    and the default settings, its caches empty; returns `url`."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_TEST_MODE", "1")
    monkeypatch.delenv("DASHBOARD_SETTINGS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    return url


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """Exit code, stdout and stderr of `cli.py argv` (argparse's own errors exit through SystemExit)."""
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err
