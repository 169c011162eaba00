"""The sample's rows: drafts and their lives (tickets.py, lifecycle.py) as columns of Python values.

Each function returns `Columns`: column name → one value per row, ready for `data_access.bulk.load_rows`
(`list(columns)` and `zip(*columns.values())`). Codes, names, ids and timestamps are looked up or converted a
whole column at a time; only text that differs per ticket (ticket numbers, personal data) is formatted row
by row. The values are exactly what `data_access.writes.prepare_ticket` would store for these tickets: every
column is given, deadlines included, so it has nothing to fill in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from domain import vocab
from sample_data import catalog, personal
from sample_data.geography import Geography
from sample_data.lifecycle import NOTES, Life
from sample_data.tickets import CH_GRID, SUB_NAMES, Draft

Columns = dict[str, list]

_CATEGORY = np.array([c.name for c in catalog.CATEGORIES], dtype=object)
_TOPIC = np.array(
    [catalog.TOPIC if c.name == catalog.TOPIC_CATEGORY else None for c in catalog.CATEGORIES], dtype=object
)
_SUBCATEGORY = np.array(SUB_NAMES, dtype=object)


def _times(seconds: np.ndarray) -> list:
    """Seconds since 1970 → naive datetimes; NaT (int64 min) → None."""
    return seconds.astype("datetime64[s]").tolist()


def _codes(values: np.ndarray, vocabulary: Sequence[str]) -> list:
    """vocabulary[v] for each index v; None for -1."""
    return np.array([*vocabulary, None], dtype=object)[values].tolist()


def _ids(values: np.ndarray) -> list:
    """Ids; None for 0."""
    return [v or None for v in values.tolist()]


def _floats(values: np.ndarray) -> list:
    """Floats; None for NaN."""
    return np.where(np.isnan(values), None, values).tolist()


def concat(parts: list[Columns]) -> Columns:
    """The rows of several `Columns` with the same columns, one after the other."""
    if len(parts) == 1:
        return parts[0]
    return {name: [v for part in parts for v in part[name]] for name in parts[0]}


def tickets(d: Draft, life: Life, geo: Geography) -> tuple[Columns, Columns]:
    """(ticket, ticket_personal) columns; grid cases have no caller, hence no personal row."""
    public = np.nonzero(d.channel != CH_GRID)[0]
    callers = d.take(public)
    phones = personal.phones(callers.caller)
    places = personal.addresses(callers, geo)
    personal_columns = {
        "ticket_id": callers.id.tolist(),
        "caller_name": personal.person_names(callers.caller),
        "caller_phone": phones,
        "address": places,
        "content": personal.contents(callers, places),
    }
    caller_hash = np.full(len(d), None, dtype=object)
    caller_hash[public] = personal.caller_hashes(phones)
    ids = d.id.tolist()
    day = d.rec.astype("datetime64[s]").astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    yyyymmdd = (
        (month.astype("datetime64[Y]").astype(np.int64) + 1970) * 10_000
        + (month.astype(np.int64) % 12 + 1) * 100
        + (day - month).astype(np.int64)
        + 1
    )
    prefix = np.where(d.channel == CH_GRID, "WG", "GD").tolist()
    community = geo.cell_community[d.cell]
    ticket_columns = {
        "id": ids,
        "ticket_no": [f"{p}{ymd}{i:07d}" for p, ymd, i in zip(prefix, yyyymmdd.tolist(), ids)],
        "channel": _codes(d.channel, vocab.CHANNELS),
        "kind": _codes(d.kind, vocab.KINDS),
        "category": _CATEGORY[d.cat].tolist(),
        "subcategory": _SUBCATEGORY[d.sub].tolist(),
        "topic": _TOPIC[d.cat].tolist(),
        "urgency": _codes(d.urgency, vocab.URGENCIES),
        "received_at": _times(d.rec),
        "dispatched_at": _times(life.dispatched),
        "signed_at": _times(life.signed),
        "contacted_at": _times(life.contacted),
        "contact_due_at": _times(d.contact_due),
        "due_at": _times(life.due),
        "closed_at": _times(life.closed),
        "status": _codes(life.status, vocab.STATUSES),
        "street_id": (geo.community_street[community] + 1).tolist(),
        "community_id": (community + 1).tolist(),
        "grid_cell_id": (d.cell + 1).tolist(),
        "lat": _floats(d.lat),
        "lon": _floats(d.lon),
        "lead_department_id": _ids(d.lead),
        "whistle": life.whistle.tolist(),
        "excluded": d.excluded.tolist(),
        "exclude_reason": _codes(d.exclude_reason, [name for name, _ in catalog.EXCLUDE_REASONS]),
        "reopened_from_id": _ids(d.reopen_of),
        "callback_at": _times(life.callback_at),
        "resolution": _codes(life.resolution, vocab.RESOLUTIONS),
        "satisfaction": _codes(life.satisfaction, vocab.SATISFACTIONS),
        "caller_hash": caller_hash.tolist(),
    }
    return ticket_columns, personal_columns


def events(d: Draft, life: Life, first_id: int) -> Columns:
    """ticket_event columns, ids from `first_id`, by ticket and time."""
    pos, at, kind, dept, note = life.events.arrays()
    return {
        "id": list(range(first_id, first_id + len(pos))),
        "ticket_id": d.id[pos].tolist(),
        "at": _times(at),
        "kind": _codes(kind, vocab.EVENT_KINDS),
        "department_id": _ids(dept),
        "note": _codes(note, NOTES),
    }


def callbacks(d: Draft, life: Life, first_id: int) -> Columns:
    """callback columns, ids from `first_id`, by ticket and time."""
    pos, at, reached, res, sat = life.callbacks
    order = np.lexsort((at, pos))
    return {
        "id": list(range(first_id, first_id + len(pos))),
        "ticket_id": d.id[pos[order]].tolist(),
        "at": _times(at[order]),
        "reached": reached[order].tolist(),
        "resolution": _codes(res[order], vocab.RESOLUTIONS),
        "satisfaction": _codes(sat[order], vocab.SATISFACTIONS),
    }
