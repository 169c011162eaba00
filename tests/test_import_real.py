"""The importers on real exports: NYC 311, LA 311 with the LA neighbourhood councils as grid cells — on SQLite,
PostgreSQL and MariaDB; each test on the slices in tests/data and on the full files in ../shared/datasets
(skipped where that folder is absent). Counts stated in the datasets' README are checked on the full files.

Every expectation is computed independently here from the raw files with pandas/shapely (never with the
importer's own code): row counts that add up, findings on the rows that have them, metrics per unit, and
point-in-polygon placement. The shared backend `engine` is emptied for this module and the case book is
written back afterwards, so the other test modules still find it.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import func, select

from data_access import queries
from data_access.schema import Callback, Community, GridCell, Street, Ticket, TicketPersonal, create_schema, drop_schema
from data_access.scope import Scope, TicketFilter
from domain.settings import settings_from_mapping
from helpers import write_casebook
from importers import ImportOptions, import_file
from importers.boundaries import BoundaryOptions, import_boundaries

US_FORMAT = "%m/%d/%Y %I:%M:%S %p"
# US deployments set their own zone (docs/importing.md), so stored times are the files' wall-clock times.
NYC_SETTINGS = settings_from_mapping({"timezone": "America/New_York"})
LA_SETTINGS = settings_from_mapping({"timezone": "America/Los_Angeles"})
NYC_NOW = dt.datetime(2013, 12, 31, 12, 0)
LA_NOW = dt.datetime(2018, 6, 30, 12, 0)
NYC_PERIOD = TicketFilter(since=dt.date(2013, 12, 1), until=dt.date(2013, 12, 31))  # the LA rows are of 2017
LA_PERIOD = TicketFilter(since=dt.date(2017, 1, 1), until=dt.date(2017, 12, 31))
T = Ticket.__table__

def _raw(path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["line"] = range(2, len(frame) + 2)  # header is line 1; these files have no multi-line records
    return frame


def _when(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.where(values != ""), format=US_FORMAT)


def _end_of_day_if_midnight(values: pd.Series) -> pd.Series:
    """The documented deadline rule: a deadline at 00:00:00 means the end of that day."""
    midnight = values.notna() & (values == values.dt.normalize())
    return values.where(~midnight, values + pd.Timedelta(hours=23, minutes=59, seconds=59))


def _snapshot(engine) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    """Everything the importer writes, comparable between two points in time."""
    with engine.connect() as conn:
        tickets = conn.execute(select(T).order_by(T.c.ticket_no)).all()
        personal = conn.execute(select(TicketPersonal.__table__).order_by("ticket_id")).all()
        callbacks = conn.execute(select(func.count()).select_from(Callback.__table__)).scalar_one()
        units = [conn.execute(select(func.count()).select_from(t.__table__)).scalar_one()
                 for t in (Street, Community, GridCell)]
    return tickets, personal, callbacks, units


@pytest.fixture(scope="module")
def imported(engine, real_files, tmp_path_factory):
    """NYC, then the LA polygons and LA, each imported twice, on an emptied backend."""
    drop_schema(engine)
    create_schema(engine)
    out = tmp_path_factory.mktemp("rejects")
    NYC, LA, LA_NC = real_files.nyc, real_files.la, real_files.la_nc
    result = {"engine": engine, "files": real_files, "nyc": NYC, "la": LA, "la_nc": LA_NC}
    nyc = ImportOptions(rejects_path=out / "nyc.rejects.csv", now=NYC_NOW)
    result["nyc1"] = import_file(engine, NYC, nyc, NYC_SETTINGS)
    result["nyc_after_first"] = _snapshot(engine)
    result["nyc2"] = import_file(engine, NYC, nyc, NYC_SETTINGS)
    result["nyc_after_second"] = _snapshot(engine)
    result["boundaries"] = import_boundaries(engine, LA_NC, BoundaryOptions(
        level="grid", mapping="la-nc-boundaries", rejects_path=out / "nc.rejects.csv"), LA_SETTINGS)
    la = ImportOptions(rejects_path=out / "la.rejects.csv", now=LA_NOW)
    result["la1"] = import_file(engine, LA, la, LA_SETTINGS)
    result["la_after_first"] = _snapshot(engine)
    result["la2"] = import_file(engine, LA, la, LA_SETTINGS)
    result["la_after_second"] = _snapshot(engine)
    yield result
    write_casebook(engine)


# --- NYC ---------------------------------------------------------------------------------------------


def test_nyc_rows_loaded_and_rejected_add_up_to_the_file(imported):
    summary, raw = imported["nyc1"], _raw(imported["nyc"])
    assert summary.format == "nyc311" and summary.detected
    assert summary.rows == len(raw)
    assert summary.progress.loaded + summary.progress.rejected == len(raw)
    assert (summary.progress.inserted, summary.progress.rejected) == (len(raw), 0)
    assert len(raw) == 2386 or not imported["files"].full


def test_nyc_second_import_is_a_no_op(imported):
    again = imported["nyc2"].progress
    assert (again.inserted, again.updated, again.unchanged, again.rejected) == (0, 0, imported["nyc1"].rows, 0)
    assert imported["nyc_after_second"] == imported["nyc_after_first"]


def test_nyc_missing_coordinates_are_findings_on_the_right_lines(imported):
    raw = _raw(imported["nyc"])
    missing = raw[(raw["Latitude"] == "") | (raw["Longitude"] == "")]["line"].tolist()
    tally = imported["nyc1"].findings
    key = ("missing_coordinates", "Latitude/Longitude")
    assert tally.counts[key] == len(missing) > 0
    assert len(missing) == 82 or not imported["files"].full
    assert tally.examples[key] == missing[:20]


def test_nyc_closed_before_created_and_midnight_times_are_findings(imported):
    raw = _raw(imported["nyc"])
    created, closed = _when(raw["Created Date"]), _when(raw["Closed Date"])
    before = raw[closed < created]["line"].tolist()
    tally = imported["nyc1"].findings
    assert tally.counts[("closed_before_received", "Closed Date")] == len(before) == 1  # in the slice too
    assert tally.examples[("closed_before_received", "Closed Date")] == before
    assert tally.counts[("midnight_only", "Created Date")] == int((created == created.dt.normalize()).sum())
    assert tally.counts[("midnight_only", "Closed Date")] == int((closed == closed.dt.normalize()).sum())


def _nyc_expected_by_borough(path) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    raw = _raw(path)
    created, closed = _when(raw["Created Date"]), _when(raw["Closed Date"])
    due = _end_of_day_if_midnight(_when(raw["Due Date"])).fillna(created + pd.Timedelta(days=7))
    is_closed = raw["Status"] == "Closed"
    frame = pd.DataFrame({
        "street": raw["Borough"].where(raw["Borough"] != "Unspecified"),
        "tickets": 1,
        "closed": is_closed.astype(int),
        "closed_on_time": (is_closed & (closed <= due)).astype(int),
        "open": (~is_closed).astype(int),
        "open_overdue": (~is_closed & (due < NYC_NOW)).astype(int),
    })
    return frame.dropna(subset=["street"]).groupby("street").sum()


def test_nyc_metrics_by_borough_match_an_independent_computation(imported):
    expected = _nyc_expected_by_borough(imported["nyc"])
    with imported["engine"].connect() as conn:
        got = queries.rate_counts(conn, Scope.district(), NYC_PERIOD, now=NYC_NOW, by="street")
    got = got[got["code"].isin(expected.index)].set_index("code")
    for column in ("tickets", "closed", "closed_on_time", "open", "open_overdue"):
        assert got[column].to_dict() == expected[column].to_dict(), column


def test_nyc_median_hours_to_close_matches_an_independent_computation(imported):
    raw = _raw(imported["nyc"])
    created, closed = _when(raw["Created Date"]), _when(raw["Closed Date"])
    valid = (raw["Status"] == "Closed") & closed.notna() & (closed >= created)
    expected = (closed - created)[valid].dt.total_seconds().median()
    with imported["engine"].connect() as conn:
        got = queries.median_seconds_to_close(conn, Scope.district(), NYC_PERIOD)
    assert got == pytest.approx(expected)


def test_nyc_community_boards_sit_in_their_borough(imported):
    with imported["engine"].connect() as conn:
        rows = conn.execute(select(Community.__table__.c.code, Street.__table__.c.code)
                            .join(Street.__table__, Street.__table__.c.id == Community.__table__.c.street_id)).all()
    boards = {community: street for community, street in rows if community[:2].isdigit() and " " in community}
    assert boards  # "12 MANHATTAN" → MANHATTAN
    assert all(community.split(" ", 1)[1] == street for community, street in boards.items())


# --- LA ----------------------------------------------------------------------------------------------


def test_la_polygons_all_load_as_grid_cells(imported):
    summary = imported["boundaries"]
    features = len(json.loads(imported["la_nc"].read_text())["features"])
    assert (summary.features, summary.inserted, summary.rejected) == (features, features, 0)
    assert features == 99 or not imported["files"].full
    with imported["engine"].connect() as conn:
        codes = set(conn.execute(select(GridCell.__table__.c.code)).scalars())
    assert "47" in codes and "NC-OBJ-27" in codes and "NC-OBJ-105" in codes  # the two councils with nc_id 0


def test_la_rows_add_up_and_the_second_import_is_a_no_op(imported):
    first, second = imported["la1"].progress, imported["la2"].progress
    rows = len(_raw(imported["la"]))
    assert imported["la1"].rows == rows and (rows == 9999 or not imported["files"].full)
    assert (first.inserted, first.rejected) == (rows, 0)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, rows)
    assert imported["la_after_second"] == imported["la_after_first"]


def test_la_findings_match_the_datasets_readme(imported):
    raw, tally = _raw(imported["la"]), imported["la1"].findings
    missing = int(((raw["Latitude"] == "") | (raw["Longitude"] == "")).sum())
    created, closed = _when(raw["CreatedDate"]), _when(raw["ClosedDate"])
    before = int((closed < created).sum())
    assert tally.counts[("missing_coordinates", "Latitude/Longitude")] == missing > 0
    assert tally.counts[("closed_before_received", "ClosedDate")] == before > 0
    assert (missing, before) == (1753, 12) or not imported["files"].full


def _la_expected_places(LA, LA_NC) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """For each LA row: its community (NC, else the polygon its point falls in) and its grid cell."""
    raw = _raw(LA)
    features = json.loads(LA_NC.read_text())["features"]
    codes = [f["properties"]["nc_id"] if f["properties"]["nc_id"] != "0" else f"NC-OBJ-{f['properties']['objectid']}"
             for f in features]
    polygons = [shape(f["geometry"]) for f in features]
    has_point = (raw["Latitude"] != "") & (raw["Longitude"] != "")
    lon = pd.to_numeric(raw["Longitude"].where(has_point)).to_numpy()
    lat = pd.to_numeric(raw["Latitude"].where(has_point)).to_numpy()
    cell = []
    for x, y in zip(lon, lat):
        hit = None
        if x == x:
            point = shapely.Point(x, y)
            hit = next((codes[i] for i, poly in enumerate(polygons) if poly.intersects(point)), None)
        cell.append(hit)
    nc = [value or None for value in raw["NC"]]
    # A row that names its council keeps the cell only if the point falls in that council's polygon.
    grid = [c if n is None or c == n else None for c, n in zip(cell, nc)]
    community = [n or c for c, n in zip(cell, nc)]
    return pd.DataFrame({"line": raw["line"], "ticket_no": raw["SRNumber"], "community": community, "grid": grid,
                         "excluded": raw["Status"].isin(["Cancelled", "Referred Out"]),
                         "grid_case": raw["RequestSource"] == "Driver Self Report"})


@pytest.fixture(scope="module")
def la_expected(imported) -> pd.DataFrame:
    return _la_expected_places(imported["la"], imported["la_nc"])


def test_la_tickets_are_placed_in_grid_cells_by_point_in_polygon(imported, la_expected):
    G = GridCell.__table__
    with imported["engine"].connect() as conn:
        got = dict(conn.execute(select(T.c.ticket_no, G.c.code).outerjoin(G, G.c.id == T.c.grid_cell_id)
                                .where(T.c.ticket_no.like("1-%"))).all())
    expected = {no: None if pd.isna(grid) else grid for no, grid in zip(la_expected["ticket_no"], la_expected["grid"])}
    assert {no: got[no] for no in expected} == expected


def test_la_metrics_per_community_match_an_independent_computation(imported, la_expected):
    counted = la_expected[~la_expected["excluded"]].dropna(subset=["community"])
    expected = counted.groupby("community").agg(tickets=("line", "size"), grid_cases=("grid_case", "sum"))
    with imported["engine"].connect() as conn:
        got = queries.rate_counts(conn, Scope.district(), LA_PERIOD, now=LA_NOW, by="community")
    got = got[got["tickets"] > 0].set_index("code")
    assert got["tickets"].to_dict() == expected["tickets"].to_dict()
    assert got["grid_cases"].to_dict() == expected["grid_cases"].astype("int64").to_dict()


def test_la_cancelled_and_referred_out_are_excluded_with_their_reason(imported):
    raw = _raw(imported["la"])
    with imported["engine"].connect() as conn:
        reasons = dict(conn.execute(select(T.c.exclude_reason, func.count()).where(T.c.excluded.is_(True))
                                    .group_by(T.c.exclude_reason)).all())
    assert reasons == raw["Status"].value_counts()[["Cancelled", "Referred Out"]].to_dict()
