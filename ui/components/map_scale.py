"""The grid map's measures and colour scale, in pure Python: what a cell is coloured by, the classes of the
scale (round breaks of the values in view, or fixed steps for satisfaction) and the legend's labels."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import pandas as pd

from domain.settings import Settings
from domain.units import UNIT_COUNT, UNIT_PER_10K, UNIT_RATE
from metrics import rates

RGBA = tuple[int, int, int, int]


# ------------------------------------------------------------------------------------------ measures

# What a cell can be coloured by: a metric key (its name and definition come from locales) and its unit.
MEASURE_UNITS = {
    "tickets": UNIT_COUNT,
    "tickets_per_10k": UNIT_PER_10K,
    "overdue_open": UNIT_COUNT,
    "satisfaction_rate": UNIT_RATE,
}
MEASURES = tuple(MEASURE_UNITS)


def cell_measures(counts: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """A copy of per-cell counts (RATE_COUNT_COLUMNS and population) with every measure of MEASURES.

    `satisfaction_rate` is NaN where fewer than `settings.public_min_count` callbacks were answered (too
    few to colour a cell by), and `tickets_per_10k` is NaN where the population is unknown.
    """
    out = rates.add_tickets_per_10k(rates.add_rates(counts, settings))
    too_few = pd.to_numeric(out["callbacks_answered"]).fillna(0) < settings.public_min_count
    out["satisfaction_rate"] = out["satisfaction_rate"].mask(too_few)
    return out


# --------------------------------------------------------------------------------------- colour scale

# ColorBrewer palettes (colorbrewer2.org), light to dark. Counts use the five darker steps of the 6-class
# schemes so that the lightest class is still tinted and never mistaken for "zero".
BLUES = ((198, 219, 239), (158, 202, 225), (107, 174, 214), (49, 130, 189), (8, 81, 156))
YLORBR = ((254, 227, 145), (254, 196, 79), (254, 153, 41), (217, 95, 14), (153, 52, 4))
REDS = ((252, 187, 161), (252, 146, 114), (251, 106, 74), (222, 45, 38), (165, 15, 21))
RDYLGN = ((215, 25, 28), (253, 174, 97), (255, 255, 191), (166, 217, 106), (26, 150, 65))
ZERO_COLOUR = (247, 247, 247)
MISSING_COLOUR = (189, 189, 189)
FILL_ALPHA = 210

MEASURE_PALETTES = {"tickets": BLUES, "tickets_per_10k": YLORBR, "overdue_open": REDS, "satisfaction_rate": RDYLGN}
# Satisfaction is read against fixed steps (comparable across periods and places), not the scope's spread.
SATISFACTION_BREAKS = (0.80, 0.85, 0.90, 0.95)
CLASSES = 5


@dataclass(frozen=True)
class LegendBin:
    """One class of a colour scale: values in [low, high) (None = unbounded), or exactly 0, or missing."""

    kind: str  # "zero", "range" or "missing"
    low: float | None
    high: float | None
    colour: RGBA


@dataclass(frozen=True)
class ColourScale:
    """Class breaks b1 < b2 < … and one colour per class: (-inf, b1), [b1, b2), …, [bk, +inf).

    With `zero_colour`, a value of exactly 0 gets its own class; NaN/None get `missing_colour`.
    """

    breaks: tuple[float, ...]
    colours: tuple[RGBA, ...]
    zero_colour: RGBA | None = None
    missing_colour: RGBA = (*MISSING_COLOUR, FILL_ALPHA)

    def __post_init__(self) -> None:
        if len(self.colours) != len(self.breaks) + 1:
            raise ValueError("a colour scale needs one colour more than it has breaks")
        if any(b >= c for b, c in zip(self.breaks, self.breaks[1:])):
            raise ValueError("breaks must increase strictly")

    def colour(self, value: float | None) -> RGBA:
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            return self.missing_colour
        if self.zero_colour is not None and value == 0:
            return self.zero_colour
        return self.colours[sum(1 for b in self.breaks if value >= b)]

    def legend(self, lowest: float | None = None) -> list[LegendBin]:
        """The classes in order (zero first when it has its own colour, missing last); `lowest` is the
        lower bound of the first range class (e.g. 1 for counts that have a zero class)."""
        edges = [lowest, *self.breaks, None]
        bins = [LegendBin("zero", 0, 0, self.zero_colour)] if self.zero_colour is not None else []
        bins += [LegendBin("range", lo, hi, c) for lo, hi, c in zip(edges, edges[1:], self.colours)]
        return [*bins, LegendBin("missing", None, None, self.missing_colour)]


def nice_ceil(value: float, integer: bool) -> float:
    """`value` rounded up to two significant digits, the second a 0 or a 5 (330 -> 350, 0.42 -> 0.45,
    16 -> 20); counts of 10 or less are rounded up to a whole number only. Fine enough to keep classes apart
    when the cells' values are close together, round enough to read."""
    if value <= 0:
        return 0.0
    if integer and value <= 10:
        return float(math.ceil(value - 1e-9))
    step = 5 * 10.0 ** (math.floor(math.log10(value)) - 1)
    return round(math.ceil(value / step - 1e-9) * step, 10)


def nice_breaks(values: Iterable[float | None], classes: int = CLASSES, integer: bool = True) -> tuple[float, ...]:
    """Round class breaks for the positive values (zero has its own class): the (classes-1) nearest-rank
    quantiles rounded up by `nice_ceil`, keeping only breaks that leave no class empty."""
    positive = sorted(float(v) for v in values if v is not None and not math.isnan(float(v)) and float(v) > 0)
    if not positive:
        return ()
    n = len(positive)
    raw = [positive[max(math.ceil(i * n / classes) - 1, 0)] for i in range(1, classes)]
    breaks: list[float] = []
    for q in raw:
        b = nice_ceil(q, integer)
        # Keep b only if some value lies below it (above the previous break) and some value reaches it.
        floor = breaks[-1] if breaks else -math.inf
        if b not in breaks and any(floor <= v < b for v in positive) and positive[-1] >= b:
            breaks.append(b)
    return tuple(breaks)


def spread(palette: Sequence[tuple[int, int, int]], classes: int) -> list[tuple[int, int, int]]:
    """`classes` colours of a palette, evenly spaced with both ends (one class takes the middle colour)."""
    if classes == 1:
        return [palette[len(palette) // 2]]
    return [palette[round(i * (len(palette) - 1) / (classes - 1))] for i in range(classes)]


def measure_scale(measure: str, values: Iterable[float | None]) -> ColourScale:
    """The colour scale of a measure over the values of the cells in view."""
    palette = MEASURE_PALETTES[measure]
    if MEASURE_UNITS[measure] == UNIT_RATE:
        breaks: tuple[float, ...] = SATISFACTION_BREAKS
        zero = None
    else:
        breaks = nice_breaks(values, integer=MEASURE_UNITS[measure] == UNIT_COUNT)
        zero = (*ZERO_COLOUR, FILL_ALPHA)
    colours = tuple((*c, FILL_ALPHA) for c in spread(palette, len(breaks) + 1))
    return ColourScale(breaks=breaks, colours=colours, zero_colour=zero)  # type: ignore[arg-type]


def range_label(low: float | None, high: float | None, unit: str) -> str:
    """The text of a legend class [low, high): "1–4" for counts, "10–25" for rates per 10,000, "80–85%"
    for rates; an open end is written "< high" or "≥ low"."""

    def fmt(v: float) -> str:
        if unit == UNIT_RATE:
            return f"{v * 100:g}%"
        return f"{v:g}" if unit == UNIT_PER_10K else f"{int(v):,}"

    if unit == UNIT_COUNT and high is not None:
        last = int(high) - 1  # counts are integers: [1, 5) is 1–4
        if low is None:
            return f"≤ {last:,}"
        return f"{int(low):,}" if last == int(low) else f"{int(low):,}–{last:,}"
    if low is None and high is None:
        return "—"
    if low is None:
        return f"< {fmt(high)}"  # type: ignore[arg-type]
    if high is None:
        return f"≥ {fmt(low)}"
    if unit == UNIT_RATE:
        return f"{low * 100:g}–{fmt(high)}"
    return f"{fmt(low)}–{fmt(high)}"
