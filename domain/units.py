"""The units a figure can have: how it is formatted, compared with the previous period and coloured on a map.

Shared by the metric registry (`metrics.definitions`), period comparisons (`domain.periods.change`) and the
rendering components (KPI cards, rankings, the map's colour scales).
"""

UNIT_RATE = "rate"  # a share in [0, 1], shown as a percentage
UNIT_SCORE = "score"  # points in [0, 100]
UNIT_COUNT = "count"  # a number of tickets
UNIT_HOURS = "hours"  # a duration
UNIT_PER_10K = "per_10k"  # tickets per 10,000 residents (not bounded by 1)
UNITS = (UNIT_RATE, UNIT_SCORE, UNIT_COUNT, UNIT_HOURS, UNIT_PER_10K)
