"""Rendering components the pages share: KPI cards, charts, rankings, trends, the funnel, the overdue list,
the grid map's layers and the public screen's panels. They draw with `st.*`; their data comes from
`ui.data` (cached seams) and their numbers from `metrics/`."""
