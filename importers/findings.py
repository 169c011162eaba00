"""Data-quality findings: problems that do not make a row unusable. The row loads; the finding is counted.

Each kind has a one-line explanation (shown by the summary and, later, the 数据质量 page). A run keeps a
count per (kind, column) and the first few line numbers as examples, so a person can look at the rows
without the import storing any of their values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXAMPLES_KEPT = 20  # line numbers remembered per (kind, column): enough to look at, small enough to store

FINDINGS: dict[str, str] = {
    "missing_coordinates": "no coordinates: the ticket cannot be placed on the map or in a grid cell by position",
    "coordinates_out_of_range": "coordinates outside −90..90 / −180..180 (or 0,0): dropped",
    "closed_before_received": "closed before it was received: left out of durations (DOMAIN.md)",
    "closed_without_time": "status says closed but there is no closing time",
    "closing_time_on_open_ticket": "a closing time on a ticket whose status is not closed",
    "midnight_only": "time of day missing (00:00:00 or a date alone): hours-based measures are unreliable",
    "due_before_received": "deadline before the time of receipt",
    "received_in_future": "received after the moment of import",
    "unknown_word": "a word the vocabulary does not know (status, urgency, kind, channel, result …): default used",
    "missing_category": "no category: stored as the mapping's default category",
    "truncated_text": "text longer than its column: cut to fit",
    "no_area": "neither street, community, grid cell nor a position that falls in one",
    "unknown_unit": "a street/community/grid cell name not in the database (and the mapping does not create units)",
    "outside_grid": "coordinates that fall in no grid cell",
    "grid_outside_community": "coordinates fall in a grid cell of another community than the row names: cell left empty",
    "street_mismatch": "the row's street differs from its community's street: the community's street is used",
    "incomplete_callback": "a callback result without its other half (解决/满意) or without a time",
    "callback_not_reached": "callback time without any result: stored as an unanswered attempt",
    "polygon_repaired": "an invalid polygon (self-intersection, …) repaired with make_valid",
    "polygon_simplified": "a polygon too detailed to store (65,535 bytes of GeoJSON) simplified until it fits",
    "missing_name": "a boundary without a name: its code is used as the name",
}


@dataclass
class FindingTally:
    """Counts and example lines per (kind, column) for one run."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    examples: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def add(self, kind: str, column: str, line: int) -> None:
        if kind not in FINDINGS:
            raise ValueError(f"unknown finding kind: {kind!r}")
        key = (kind, column)
        self.counts[key] = self.counts.get(key, 0) + 1
        kept = self.examples.setdefault(key, [])
        if len(kept) < EXAMPLES_KEPT:
            kept.append(line)

    def merge(self, other: "FindingTally") -> None:
        for key, count in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + count
            kept = self.examples.setdefault(key, [])
            kept.extend(other.examples.get(key, [])[: EXAMPLES_KEPT - len(kept)])

    def total(self) -> int:
        return sum(self.counts.values())

    def rows(self) -> list[dict[str, object]]:
        """One dict per (kind, column), largest count first: kind, column_name, count, example_lines."""
        ordered = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [
            dict(kind=kind, column_name=column[:100] or None, count=count,
                 example_lines=examples_text(self.examples.get((kind, column), [])))
            for (kind, column), count in ordered
        ]

    @classmethod
    def from_rows(cls, rows: list[dict[str, object]]) -> "FindingTally":
        tally = cls()
        for row in rows:
            key = (str(row["kind"]), str(row["column_name"] or ""))
            tally.counts[key] = int(row["count"])  # type: ignore[call-overload]
            text = str(row["example_lines"] or "")
            tally.examples[key] = [int(x) for x in text.split(",") if x]
        return tally


def examples_text(lines: list[int]) -> str:
    """Example line numbers as stored (comma-separated, cut to the column's 200 characters)."""
    text = ""
    for line in lines:
        piece = f"{line}" if not text else f",{line}"
        if len(text) + len(piece) > 200:
            break
        text += piece
    return text
