"""数据质量 page: the last imports with counts and findings, completeness per street; staff roles only."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import cli
from conftest import SLICES
from helpers import APP
from ui import keys

PAGE = "views/data_quality.py"
NYC = SLICES.nyc  # the real NYC rows shipped in tests/data
_RAW = pd.read_csv(NYC, dtype=str, keep_default_na=False)
NYC_ROWS = len(_RAW)
NO_LATITUDE = int((_RAW["Latitude"] == "").sum())  # counted here from the file, not by the importer


@pytest.fixture(scope="module")
def imported_nyc(tmp_path_factory) -> str:
    """A database holding one import run: the real NYC 311 export."""
    folder = tmp_path_factory.mktemp("quality")
    url = f"sqlite:///{folder / 'nyc.db'}"
    assert cli.main(["init-db", "--url", url]) == 0
    assert cli.main(["import", str(NYC), "--url", url, "--tz", "America/New_York",
                     "--rejects", str(folder / "nyc.rejects.csv")]) == 0
    return url


def open_page(url: str, role: str, monkeypatch) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_TEST_MODE", "1")
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[keys.NOW_OVERRIDE] = dt.datetime(2013, 12, 31, 12, 0)
    at.session_state[keys.TEST_ACCOUNT] = role
    at.query_params["period"] = "custom"
    at.query_params["since"] = "2013-12-01"
    at.query_params["until"] = "2013-12-31"
    at.run()
    assert not at.exception, at.exception
    return at.switch_page(PAGE).run()


def test_supervisor_sees_the_import_and_its_findings(imported_nyc, monkeypatch):
    at = open_page(imported_nyc, "supervisor", monkeypatch)
    assert not at.exception, at.exception
    runs = at.dataframe[0].value
    assert len(runs) == 1 and int(runs["rows_read"].iloc[0]) == NYC_ROWS and int(runs["rows_rejected"].iloc[0]) == 0
    findings = at.dataframe[1].value
    assert int(findings.loc[findings["kind"] == "缺少经纬度，无法上图或按位置落入网格", "count"].sum()) == NO_LATITUDE > 0


def test_completeness_shows_streets_missing_coordinates(imported_nyc, monkeypatch):
    at = open_page(imported_nyc, "supervisor", monkeypatch)
    shares = at.dataframe[2].value
    assert shares["coordinates"].min() < 1.0  # some borough has tickets without coordinates
    assert (shares["tickets"].sum()) == NYC_ROWS


def test_secretary_does_not_get_the_page(imported_nyc, monkeypatch):
    # The router does not register the page for a secretary: there is nothing to switch to.
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page(imported_nyc, "secretary", monkeypatch)


def test_no_imports_is_explained(casebook_sqlite_url, monkeypatch):
    at = open_page(casebook_sqlite_url, "supervisor", monkeypatch)
    assert not at.exception
    assert any("还没有导入记录" in i.value for i in at.info)
