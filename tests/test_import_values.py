"""Reading single values and words: timestamps, zones, deadlines, numbers, coordinates, mappings, detection."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from importers import crs
from importers.mapping import column_key, detect_format, load_mapping, load_preset, preset_names
from importers.values import BadValue, DateParser, TimeConverter, parse_duration_until, parse_float, parse_yes_no

D = dt.datetime


@pytest.mark.parametrize("text, order, expected, midnight", [
    ("2024-03-01 09:05:33", "ymd", D(2024, 3, 1, 9, 5, 33), False),
    ("2024-03-01T09:05:33.123", "ymd", D(2024, 3, 1, 9, 5, 33), False),
    ("2024/3/1 9:05", "ymd", D(2024, 3, 1, 9, 5), False),
    ("2024.03.01 09:05:33.5", "ymd", D(2024, 3, 1, 9, 5, 33), False),
    ("2024年3月1日 9时5分", "ymd", D(2024, 3, 1, 9, 5), False),
    ("2024年3月1日 下午3:05", "ymd", D(2024, 3, 1, 15, 5), False),
    ("2024-03-01", "ymd", D(2024, 3, 1), True),
    ("2024-03-01 00:00:00", "ymd", D(2024, 3, 1), True),
    ("12/25/2013 11:59:08 PM", "mdy", D(2013, 12, 25, 23, 59, 8), False),
    ("12/25/2013 12:00:00 AM", "mdy", D(2013, 12, 25), True),
    ("12/25/2013 12:30:00 PM", "mdy", D(2013, 12, 25, 12, 30), False),
    ("1/5/2018 0:00", "mdy", D(2018, 1, 5), True),
], ids=lambda v: str(v) if isinstance(v, str) else None)
def test_timestamps_are_read(text, order, expected, midnight):
    at, midnight_only = DateParser(order)(text)
    assert (at.replace(tzinfo=None), midnight_only) == (expected, midnight)


@pytest.mark.parametrize("text, order", [
    ("2024-13-01 09:00", "ymd"), ("2024-02-30", "ymd"), ("yesterday", "ymd"), ("13/45/2013 11:00:00 PM", "mdy"),
    ("12/25/2013 13:00:00 PM", "mdy"), ("2013-12-25 25:61", "ymd"), ("", "ymd"),
], ids=lambda v: v or "empty")
def test_unreadable_timestamps_are_bad_values(text, order):
    with pytest.raises(BadValue, match="not a date"):
        DateParser(order)(text)


def test_excel_datetimes_pass_through_to_the_second():
    at, midnight = DateParser()(D(2024, 3, 1, 9, 5, 33, 987654))
    assert (at, midnight) == (D(2024, 3, 1, 9, 5, 33), False)


def test_offsets_in_the_source_win_over_the_source_zone():
    at, _ = DateParser()("2010-04-14T06:37:38-08:00")
    assert TimeConverter("America/New_York", "Asia/Shanghai")(at) == D(2010, 4, 14, 22, 37, 38)


@pytest.mark.parametrize("source, target, local, expected", [
    ("America/New_York", "Asia/Shanghai", D(2013, 12, 25, 23, 59, 8), D(2013, 12, 26, 12, 59, 8)),  # EST +13 h
    ("America/New_York", "Asia/Shanghai", D(2013, 7, 4, 12, 0), D(2013, 7, 5, 0, 0)),  # EDT +12 h
    ("America/Los_Angeles", "America/Los_Angeles", D(2017, 3, 12, 2, 30), D(2017, 3, 12, 2, 30)),  # same zone
    ("Asia/Shanghai", "America/New_York", D(2024, 3, 1, 9, 0), D(2024, 2, 29, 20, 0)),
], ids=["winter", "summer", "same-zone-untouched", "beijing-to-new-york"])
def test_source_wall_clock_becomes_deployment_wall_clock(source, target, local, expected):
    assert TimeConverter(source, target)(local) == expected


@pytest.mark.parametrize("value, unit, expected", [
    ("7天", None, D(2024, 3, 8, 9, 0)),
    ("24小时", None, D(2024, 3, 2, 9, 0)),
    ("2h", None, D(2024, 3, 1, 11, 0)),
    ("15个工作日", None, D(2024, 3, 22, 9, 0)),  # March 2024 has no holidays: three weeks of weekdays
    ("48", "小时", D(2024, 3, 3, 9, 0)),
])
def test_deadlines_written_as_spans(value, unit, expected):
    assert parse_duration_until(value, D(2024, 3, 1, 9, 0), unit) == expected


@pytest.mark.parametrize("value", ["7", "soon", "7 weeks"])
def test_deadlines_without_a_unit_are_bad_values(value):
    with pytest.raises(BadValue):
        parse_duration_until(value, D(2024, 3, 1, 9, 0), None)


@pytest.mark.parametrize("value, expected", [("39.9", 39.9), (" -118.2 ", -118.2), (116, 116.0), ("", None), (None, None)])
def test_numbers(value, expected):
    assert parse_float(value) == expected


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "1,5", True])
def test_not_numbers(value):
    with pytest.raises(BadValue, match="not a number"):
        parse_float(value)


@pytest.mark.parametrize("value, expected", [("是", True), ("否", False), ("Y", True), ("n", False), ("", None),
                                             ("1", True), ("FALSE", False)])
def test_yes_no_words(value, expected):
    assert parse_yes_no(value) is expected


# --- coordinates: the published reference pairs (eviltransform's tests; coordtransform for BD-09) ------
WGS_GCJ = [  # (wgs lat, wgs lon, gcj lat, gcj lon)
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize("wlat, wlon, glat, glon", WGS_GCJ, ids=["shanghai", "shenzhen", "beijing"])
def test_wgs84_to_gcj02_matches_the_reference(wlat, wlon, glat, glon):
    lon, lat = crs.wgs84_to_gcj02(wlon, wlat)
    assert (float(lon), float(lat)) == pytest.approx((glon, glat), abs=1e-9)


@pytest.mark.parametrize("wlat, wlon, glat, glon", WGS_GCJ, ids=["shanghai", "shenzhen", "beijing"])
def test_gcj02_to_wgs84_inverts_it(wlat, wlon, glat, glon):
    lon, lat = crs.to_wgs84(glon, glat, "gcj02")
    assert (float(lon), float(lat)) == pytest.approx((wlon, wlat), abs=1e-8)


def test_bd09_to_gcj02_matches_the_reference():
    lon, lat = crs.bd09_to_gcj02(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx((116.39762729119315, 39.90865673957631), abs=1e-9)


def test_bd09_round_trips_through_wgs84():
    wlon, wlat = crs.to_wgs84(116.404, 39.915, "bd09")
    back = crs.gcj02_to_bd09(*crs.wgs84_to_gcj02(wlon, wlat))
    # The published BD-09 pair of formulas are inverse to ~4e-7° (4 cm), not exactly.
    assert (float(back[0]), float(back[1])) == pytest.approx((116.404, 39.915), abs=1e-6)


def test_outside_china_gcj02_is_wgs84():
    lon, lat = crs.to_wgs84(-73.92, 40.63, "gcj02")
    assert (float(lon), float(lat)) == (-73.92, 40.63)


# --- mappings and detection --------------------------------------------------------------------------


@pytest.mark.parametrize("a, b", [("Created Date", "created_date"), ("CreatedDate", "created date"),
                                  ("\ufeff工单编号", "工单编号 ")])
def test_column_names_compare_loosely(a, b):
    assert column_key(a) == column_key(b)


NYC_PORTAL = ["Unique Key", "Created Date", "Closed Date", "Agency", "Complaint Type", "Descriptor", "Status",
              "Due Date", "Community Board", "Borough", "Latitude", "Longitude"]
NYC_API = ["unique_key", "created_date", "closed_date", "agency", "complaint_type", "descriptor", "status",
           "community_board", "borough", "latitude", "longitude", "open_data_channel_type"]
LA = ["SRNumber", "CreatedDate", "UpdatedDate", "Owner", "RequestType", "Status", "RequestSource", "ServiceDate",
      "ClosedDate", "Latitude", "Longitude", "APC", "CD", "NC", "NCName"]
OPEN311 = ["service_request_id", "status", "service_name", "service_code", "description", "requested_datetime",
           "updated_datetime", "address", "lat", "long"]
HOTLINE = ["工单编号", "受理时间", "诉求类型", "问题分类", "紧急程度", "派单时间", "签收时间", "联系时间", "办理时限",
           "办结时间", "承办单位", "所属街道", "所属社区", "网格", "经度", "纬度", "回访时间", "是否解决", "满意度"]


@pytest.mark.parametrize("header, expected", [(NYC_PORTAL, "nyc311"), (NYC_API, "nyc311"), (LA, "la311"),
                                              (OPEN311, "open311"), (HOTLINE, "12345")],
                         ids=["nyc-portal", "nyc-api", "la", "open311", "12345"])
def test_format_is_detected_from_the_header(header, expected):
    assert detect_format(header) == expected


def test_an_unknown_header_asks_for_a_mapping():
    with pytest.raises(ValueError, match="--mapping"):
        detect_format(["id", "when", "what"])


def test_every_preset_loads_and_names_its_required_columns():
    assert preset_names() == ["12345", "la311", "nyc311", "open311"]
    for name in preset_names():
        mapping = load_preset(name)
        assert {"ticket_no", "received_at"} <= set(mapping.columns)


@pytest.mark.parametrize("body, message", [
    ('[columns]\nticket_no = "id"\nreceived_at = "t"\nfavourite_colour = "c"\n', "unknown field 'favourite_colour'"),
    ('[columns]\nticket_no = "id"\n', "received_at"),
    ('[columns]\nticket_no = "id"\nreceived_at = "t"\n[values.status]\n"Done" = "finished"\n', "unknown status code"),
    ('[columns]\nticket_no = "id"\nreceived_at = "t"\n[values.urgency]\n"Hot" = "burning"\n', "unknown urgency code"),
    ('coordinates = "mercator"\n[columns]\nticket_no = "id"\nreceived_at = "t"\n', "coordinates must be"),
    ('colour = 1\n', "unknown key"),
    ('[columns\n', "not valid TOML"),
], ids=["unknown-field", "missing-required", "bad-status", "bad-urgency", "bad-crs", "unknown-key", "bad-toml"])
def test_mapping_files_are_checked_strictly(tmp_path, body, message):
    path = tmp_path / "map.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_mapping(path)


def test_a_mapping_file_extends_a_preset(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text('extends = "12345"\ncoordinates = "gcj02"\n[columns]\nticket_no = "案件号"\n'
                    '[values.status]\n"已反馈" = "closed"\n', encoding="utf-8")
    mapping = load_mapping(path)
    assert mapping.columns["ticket_no"] == ("案件号",)
    assert mapping.columns["received_at"] == load_preset("12345").columns["received_at"]
    assert mapping.coordinates == "gcj02"
    assert mapping.words["status"]["已反馈"].status == "closed"
    assert mapping.words["status"]["已办结"].status == "closed"  # the built-in words stay


def test_presets_are_files_in_the_documented_folder():
    assert all((Path(__file__).parents[1] / "importers" / "presets" / f"{n}.toml").is_file()
               for n in preset_names())
