"""A generic 12345 export with Chinese headers (GB18030, as government systems write it): every column lands
where the dashboard reads it, and the rates computed on the imported rows are the hand-worked ones."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from data_access import queries
from data_access.engine import make_engine
from data_access.schema import Callback, Community, Department, GridCell, Street, Ticket, TicketPersonal
from data_access.scope import Scope
from importers import ImportOptions, import_file

T, P, CB, S, C, DEP = (t.__table__ for t in (Ticket, TicketPersonal, Callback, Street, Community, Department))
NOW = dt.datetime(2026, 11, 20, 12, 0)
HEADER = ("工单编号,受理时间,诉求渠道,诉求类型,问题分类,二级分类,紧急程度,派单时间,签收时间,联系时间,办理时限,办结时间,"
          "工单状态,承办单位,所属街道,所属社区,网格,经度,纬度,回访时间,是否解决,满意度,剔除原因,是否吹哨,诉求人,联系电话,"
          "诉求地址,诉求内容")
ROWS = [
    # H1: contacted in time, closed on time, 已解决/满意.
    "H1,2026-11-02 09:00:00,12345热线,投诉,供暖,暖气不热,一般,2026-11-02 09:30,2026-11-02 10:00,2026-11-02 12:00,"
    "7天,2026-11-04 09:00,已办结,东湖街道办事处,东湖街道,幸福社区,,116.40,39.90,2026-11-05 10:00,已解决,满意,,否,"
    "张三,13800138000,东湖街道幸福社区1号楼,暖气不热，室温只有15度",
    # H2: emergency, contact late (due 30 min), closed late (due 2 h), 部分解决/基本满意, whistle.
    "H2,2026-11-03 08:00:00,12345热线,求助,燃气,燃气泄漏,紧急,2026-11-03 08:05,2026-11-03 08:10,2026-11-03 09:00,"
    ",2026-11-03 11:00,已办结,燃气集团,东湖街道,幸福社区,,,,2026-11-04 10:00,部分解决,基本满意,,是,"
    "李四,13900139000,,有煤气味",
    # H3: same community name in another street; web channel; open and overdue (7 days from 11-05).
    "H3,2026-11-05 10:00:00,微信,投诉,噪音扰民,施工噪音,一般,2026-11-05 10:30,,,,,办理中,西苑街道办事处,西苑街道,"
    "幸福社区,,,,,,,,,王五,13700137000,,夜间施工",
    # H4: excluded (剔单) with its reason.
    "H4,2026-11-06 10:00:00,12345热线,投诉,噪音扰民,,一般,2026-11-06 10:30,,,,,已派单,东湖街道办事处,东湖街道,"
    "幸福社区,,,,,,,重复诉求,,赵六,13600136000,,重复反映",
]


@pytest.fixture(scope="module")
def hotline(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hotline")
    path = folder / "12345导出.csv"
    path.write_bytes(("\r\n".join([HEADER, *ROWS]) + "\r\n").encode("gb18030"))
    engine = make_engine(f"sqlite:///{folder / 'cases.db'}")
    summary = import_file(engine, path, ImportOptions(rejects_path=folder / "r.csv", now=NOW, caller_salt="pepper"))
    yield engine, summary
    engine.dispose()


def _ticket(engine, number: str):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(T).where(T.c.ticket_no == number)).mappings().one()


def test_detected_as_12345_in_gb18030(hotline):
    _, summary = hotline
    assert (summary.format, summary.detected, summary.encoding) == ("12345", True, "gb18030")
    assert (summary.progress.inserted, summary.progress.rejected) == (4, 0)


@pytest.mark.parametrize("number, column, expected", [
    ("H1", "channel", "hotline"), ("H1", "kind", "complaint"), ("H1", "urgency", "general"),
    ("H1", "status", "closed"), ("H1", "due_at", dt.datetime(2026, 11, 9, 9, 0)),
    ("H1", "contact_due_at", dt.datetime(2026, 11, 3, 9, 0)), ("H1", "resolution", "solved"),
    ("H1", "satisfaction", "satisfied"), ("H1", "callback_at", dt.datetime(2026, 11, 5, 10, 0)),
    ("H1", "subcategory", "暖气不热"), ("H1", "whistle", False),
    ("H2", "urgency", "emergency"), ("H2", "kind", "help"), ("H2", "due_at", dt.datetime(2026, 11, 3, 10, 0)),
    ("H2", "resolution", "partly"), ("H2", "satisfaction", "basic"), ("H2", "whistle", True),
    ("H3", "channel", "web"), ("H3", "status", "signed"), ("H4", "excluded", True),
    ("H4", "exclude_reason", "重复诉求"), ("H4", "status", "dispatched"),
])
def test_columns_and_words_land_as_codes(hotline, number, column, expected):
    assert _ticket(hotline[0], number)[column] == expected


def test_personal_data_only_in_ticket_personal_and_the_caller_hash_is_salted(hotline):
    engine, _ = hotline
    with engine.connect() as conn:
        personal = conn.execute(select(P).join(T, T.c.id == P.c.ticket_id).where(T.c.ticket_no == "H1")).mappings().one()
        ticket = conn.execute(select(T).where(T.c.ticket_no == "H1")).mappings().one()
    assert (personal["caller_name"], personal["caller_phone"]) == ("张三", "13800138000")
    assert personal["content"] == "暖气不热，室温只有15度"
    assert ticket["caller_hash"] == hashlib.sha256(b"pepper13800138000").hexdigest()
    assert "13800138000" not in {str(v) for v in ticket.values()}


def test_the_same_community_name_in_two_streets_is_two_communities(hotline):
    engine, _ = hotline
    with engine.connect() as conn:
        rows = conn.execute(select(C.c.name, S.c.name).join(S, S.c.id == C.c.street_id).order_by(S.c.name)).all()
        departments = dict(conn.execute(select(DEP.c.name, DEP.c.kind)).all())
    assert [tuple(r) for r in rows] == [("幸福社区", "东湖街道"), ("幸福社区", "西苑街道")]
    assert departments == {"东湖街道办事处": "street", "燃气集团": "agency", "西苑街道办事处": "street"}


def test_the_rates_on_the_imported_rows_are_the_hand_worked_ones(hotline):
    engine, _ = hotline
    with engine.connect() as conn:
        counts = queries.rate_counts_for(conn, Scope.district(), queries.TicketFilter(), now=NOW)
    # H4 is excluded. Dispatched: H1, H2, H3; contacted on time: H1 only; callbacks: H1 (solved/satisfied),
    # H2 (partly/basic); closed H1 on time, H2 late; H3 open and overdue (due 11-12 10:00 < NOW).
    assert {k: counts[k] for k in ("tickets", "dispatched", "contacted_on_time", "callbacks_answered", "solved",
                                   "partly", "satisfied", "basic", "closed", "closed_on_time", "open_overdue")} == {
        "tickets": 3, "dispatched": 3, "contacted_on_time": 1, "callbacks_answered": 2, "solved": 1, "partly": 1,
        "satisfied": 1, "basic": 1, "closed": 2, "closed_on_time": 1, "open_overdue": 1}


def test_callbacks_are_attempt_rows_too(hotline):
    engine, _ = hotline
    with engine.connect() as conn:
        rows = conn.execute(select(T.c.ticket_no, CB.c.reached, CB.c.satisfaction).join(T, T.c.id == CB.c.ticket_id)
                            .order_by(T.c.ticket_no)).all()
    assert [tuple(r) for r in rows] == [("H1", True, "satisfied"), ("H2", True, "basic")]


def test_no_grid_cell_is_invented_for_a_grid_name(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    path = tmp_path / "export.csv"
    path.write_text("工单编号,受理时间,问题分类,所属街道,所属社区,网格\nX1,2026-11-01 09:00,供暖,东湖街道,幸福社区,第3网格\n",
                    encoding="utf-8")
    summary = import_file(engine, path, ImportOptions(rejects_path=tmp_path / "r.csv", now=NOW))
    with engine.connect() as conn:
        cells = conn.execute(select(GridCell.__table__.c.id)).all()
    engine.dispose()
    assert cells == []
    assert summary.findings.counts[("unknown_unit", "网格")] == 1
