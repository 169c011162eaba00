"""The data layer of the 数据质量 page: the last imports, their findings, and field completeness per street —
checked against the real NYC export, its slice and (where ../shared/datasets is beside the project) the full
file: a borough whose tickets lack coordinates shows it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data_access import quality
from data_access.engine import make_engine
from data_access.scope import Scope
from domain.settings import settings_from_mapping
from importers import ImportOptions, import_file

SETTINGS = settings_from_mapping({"timezone": "America/New_York"})

@pytest.fixture(scope="module")
def nyc(real_files, tmp_path_factory):
    NYC = real_files.nyc
    folder = tmp_path_factory.mktemp("quality")
    engine = make_engine(f"sqlite:///{folder / 'cases.db'}")
    options = ImportOptions(rejects_path=folder / "r.csv", now=dt.datetime(2013, 12, 31))
    first = import_file(engine, NYC, options, SETTINGS)
    second = import_file(engine, NYC, options, SETTINGS)
    yield engine, first, second, NYC
    engine.dispose()


def test_last_imports_newest_first_with_their_counts(nyc):
    engine, first, second, path = nyc
    rows = len(pd.read_csv(path, dtype=str))
    with engine.connect() as conn:
        runs = quality.last_imports(conn, Scope.district())
    assert list(runs.columns) == list(quality.IMPORT_COLUMNS)
    assert runs["id"].tolist() == [second.run_id, first.run_id]
    assert runs[["rows_read", "rows_inserted", "rows_unchanged", "rows_rejected"]].values.tolist() == [
        [rows, 0, rows, 0], [rows, rows, 0, 0]]
    assert set(runs["status"]) == {"done"}


def test_findings_of_a_run_are_its_tally(nyc):
    engine, first, _, _ = nyc
    with engine.connect() as conn:
        findings = quality.import_findings(conn, Scope.district(), first.run_id)
    got = {(k, c): n for k, c, n in zip(findings["kind"], findings["column_name"], findings["count"])}
    assert got == first.findings.counts


def test_field_completeness_per_borough_matches_the_file(nyc):
    engine, _, _, path = nyc
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = len(raw)
    raw = raw[raw["Borough"] != "Unspecified"]
    expected = (raw.assign(has=(raw["Latitude"] != "")).groupby("Borough")["has"].mean()).to_dict()
    with engine.connect() as conn:
        frame = quality.field_completeness(conn, Scope.district())
    shares = quality.completeness_shares(frame)
    got = dict(zip(frame["code"], shares["coordinates"]))
    assert {k: got[k] for k in expected} == pytest.approx(expected)
    assert frame["tickets"].sum() == rows  # the tickets without a borough are the row with street_id NA
    assert frame["street_id"].isna().sum() == 1


def test_the_public_screen_gets_no_data_quality_figures(nyc):
    engine, _, _, _ = nyc
    with engine.connect() as conn, pytest.raises(quality.PublicScopeRefused):
        quality.last_imports(conn, Scope.public_screen())


def test_a_street_scope_sees_only_its_streets(nyc):
    engine, _, _, _ = nyc
    with engine.connect() as conn:
        everything = quality.field_completeness(conn, Scope.district())
        brooklyn = int(everything.loc[everything["code"] == "BROOKLYN", "street_id"].iloc[0])
        scoped = quality.field_completeness(conn, Scope.streets([brooklyn]))
    assert scoped["code"].tolist() == ["BROOKLYN"]
