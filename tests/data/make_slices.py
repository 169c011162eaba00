"""Cut the small slices in this folder from the full exports in ../shared/datasets (run by hand, once):

    python tests/data/make_slices.py [path/to/shared/datasets]

Rows are taken as they are (every field, in their original order; quoting as Python's csv module writes it),
chosen so that each slice still holds the awkward cases the importer tests look for: rows without coordinates, a row closed
before it was received, midnight-only times, a deadline column that is mostly empty, unknown boroughs, rows in a neighbourhood council the polygons leave out.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared" / "datasets"
US_FORMAT = "%m/%d/%Y %I:%M:%S %p"
COUNCILS = ("47", "0", "34", "50", "78", "55", "87", "20", "15", "5")  # 0: two councils without an id


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, list(reader)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)


def _when(text: str):  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.datetime.strptime(text, US_FORMAT) if text else None


def nyc() -> None:
    header, rows = _rows(SOURCE / "nyc311_2013-12-25.csv")
    col = {name: i for i, name in enumerate(header)}
    keep = set(range(0, len(rows), 8))
    keep |= {i for i, r in enumerate(rows) if not r[col["Latitude"]]}  # all 82 without coordinates
    keep |= {i for i, r in enumerate(rows) if r[col["Borough"]] == "Unspecified"}  # all 38
    keep |= {i for i, r in enumerate(rows)
             if _when(r[col["Closed Date"]]) and _when(r[col["Closed Date"]]) < _when(r[col["Created Date"]])}
    _write(HERE / "nyc311_2013-12-25.slice.csv", header, [rows[i] for i in sorted(keep)])


def la() -> None:
    features = json.loads((SOURCE / "la_neighborhood_councils_2019.geojson").read_text(encoding="utf-8"))
    chosen = [f for f in features["features"] if str(f["properties"].get("nc_id")) in COUNCILS]
    (HERE / "la_neighborhood_councils_2019.slice.geojson").write_text(
        json.dumps({**features, "features": chosen}, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    header, rows = _rows(SOURCE / "la311_2017_subset.csv")
    col = {name: i for i, name in enumerate(header)}
    inside = [i for i, r in enumerate(rows) if r[col["NC"]] in COUNCILS]
    keep = set(inside[::8])
    keep |= set([i for i, r in enumerate(rows) if r[col["NC"]] not in COUNCILS][::200])  # outside the polygons
    keep |= set([i for i, r in enumerate(rows) if not r[col["Latitude"]]][::40])
    keep |= {i for i, r in enumerate(rows)
             if _when(r[col["ClosedDate"]]) and _when(r[col["ClosedDate"]]) < _when(r[col["CreatedDate"]])}
    _write(HERE / "la311_2017_subset.slice.csv", header, [rows[i] for i in sorted(keep)])


if __name__ == "__main__":
    nyc()
    la()
