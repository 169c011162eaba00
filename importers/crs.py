"""Coordinates: China's GCJ-02 ("Mars") and Baidu's BD-09 → WGS-84, and a plausibility check.

Chinese map services (AMap/Gaode, Tencent: GCJ-02; Baidu: BD-09) shift coordinates; the dashboard stores
WGS-84 (DESIGN.md, grid_cell). The formulas are the published ones used by eviltransform/coordtransform:
WGS-84 → GCJ-02 is closed-form (Krasovsky ellipsoid), its inverse is solved by fixed-point iteration to
better than 1e-9 degrees, and BD-09 → GCJ-02 is closed-form. Outside China's bounding box GCJ-02 equals
WGS-84. Everything works on numpy arrays (a batch at a time) and on plain floats.
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis (m)
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_ITERATIONS = 30
_TOLERANCE = 1e-10  # degrees


def out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return ~((lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271))


def _delta_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _delta_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon, lat):  # type: ignore[no-untyped-def]
    """WGS-84 → GCJ-02 (identity outside China)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlat = _delta_lat(lon - 105.0, lat - 35.0)
    dlon = _delta_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_wgs84(lon, lat):  # type: ignore[no-untyped-def]
    """GCJ-02 → WGS-84 by fixed-point iteration of the forward formula (identity outside China)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    w_lon, w_lat = lon.copy(), lat.copy()
    for _ in range(_ITERATIONS):
        g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = g_lon - lon, g_lat - lat
        w_lon, w_lat = w_lon - e_lon, w_lat - e_lat
        if np.all(np.abs(e_lon) < _TOLERANCE) and np.all(np.abs(e_lat) < _TOLERANCE):
            break
    outside = out_of_china(lon, lat)
    return np.where(outside, lon, w_lon), np.where(outside, lat, w_lat)


def bd09_to_gcj02(lon, lat):  # type: ignore[no-untyped-def]
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lon, lat):  # type: ignore[no-untyped-def]
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def to_wgs84(lon, lat, system: str):  # type: ignore[no-untyped-def]
    """Coordinates in `system` ("wgs84", "gcj02", "bd09") as WGS-84 numpy arrays."""
    if system == "wgs84":
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if system == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if system == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    raise ValueError(f"unknown coordinate system {system!r} (wgs84, gcj02, bd09)")


def plausible(lon: float, lat: float) -> bool:
    """Inside −180..180 / −90..90 and not the (0, 0) of an empty geocode."""
    return -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0 and not (lon == 0.0 and lat == 0.0)
