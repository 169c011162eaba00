"""The summary an import prints at the end: counts that add up, findings with their meaning, speed."""

from __future__ import annotations

from importers.findings import FINDINGS
from importers.pipeline import ImportSummary

FINDINGS_SHOWN = 25


def summary_lines(summary: ImportSummary) -> list[str]:
    """Human-readable lines of an import summary (what `cli.py import` prints)."""
    p = summary.progress
    how = "detected" if summary.detected else "given"
    lines = [
        f"{summary.source.name}: format {summary.format} ({how}), encoding {summary.encoding or 'n/a'}, "
        f"times {summary.source_tz} → {summary.target_tz}, transaction per {'file' if summary.transaction == 'single' else 'batch'}",
    ]
    if summary.resumed_from_line:
        lines.append(f"resumed after line {summary.resumed_from_line:,} (run {summary.run_id})")
    lines.append(
        f"rows {summary.rows:,} = loaded {p.loaded:,} (new {p.inserted:,}, updated {p.updated:,}, "
        f"unchanged {p.unchanged:,}) + rejected {p.rejected:,}"
    )
    if summary.rejects_path is not None:
        lines.append(f"rejects (line, column, reason, row): {summary.rejects_path}")
    rows = summary.findings.rows()
    if rows:
        lines.append(f"findings (rows loaded, problem counted): {summary.findings.total():,}")
        for row in rows[:FINDINGS_SHOWN]:
            examples = str(row["example_lines"] or "").split(",")[:5]
            lines.append(f"  {row['kind']:<28} {row['count']:>9,}  {row['column_name'] or '':<24} "
                         f"lines {', '.join(examples)}  — {FINDINGS[str(row['kind'])]}")
        if len(rows) > FINDINGS_SHOWN:
            lines.append(f"  … {len(rows) - FINDINGS_SHOWN} more (see the import_finding table)")
    lines.extend(f"note: {note}" for note in summary.notes)
    if summary.analyze_seconds is not None:
        lines.append(f"planner statistics refreshed (ANALYZE) in {summary.analyze_seconds:.1f} s")
    rate = summary.rows / summary.elapsed if summary.elapsed > 0 else 0.0
    lines.append(f"{summary.status}: {summary.rows:,} rows in {summary.elapsed:.1f} s ({rate:,.0f} rows/s), run {summary.run_id}")
    return lines
