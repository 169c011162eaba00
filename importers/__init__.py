"""Importers: real case data into the case database (hotline exports, 311 exports, boundaries).

    summary = import_file(engine, Path("export.csv"), ImportOptions(format="12345"), settings)
    result = import_boundaries(engine, Path("grids.geojson"), BoundaryOptions(level="grid", ...))

Modules, in the order a row travels:
- readers / excel_reader / json_reader — streaming records with their line numbers (CSV in any Chinese
  export encoding, .xlsx, JSON arrays and JSON Lines);
- mapping (+ presets/*.toml) — which column is which field; format detection from the header;
- values / source_words — timestamps, numbers, deadlines, yes/no and status words → codes;
- cells / rows — a batch of records read a column at a time, then each record → a parsed row, or a reject
  with column and reason; findings for the rest;
- batch / areas / point_in_polygon / crs — areas by name or code, point in polygon, GCJ-02/BD-09 → WGS-84,
  derived deadlines (writes.prepare_ticket);
- upsert — the upsert on the ticket number (bulk loads through `data_access.bulk`);
- seen / rejects / runs / pipeline / report — duplicates, the rejects file, the import_run checkpoint,
  the batch loop and its transactions, the printed summary;
- boundaries / place_tickets — GeoJSON polygons validated, repaired or rejected, and stored tickets placed
  in them.
A package of its own beside `data_access/`: it writes through the schema, the write helpers
(`data_access.writes`, `data_access.bulk`, `data_access.rollups`) and the shared settings and vocabulary; only the CLI, the
import benchmark and the tests use it. docs/importing.md is the user's side of all this.
"""

from importers.pipeline import ImportFailed, ImportOptions, ImportSetupError, ImportSummary, import_file

__all__ = ["ImportFailed", "ImportOptions", "ImportSetupError", "ImportSummary", "import_file"]
