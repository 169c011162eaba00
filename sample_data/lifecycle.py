"""What happens to each ticket: dispatch, sign, contact, close, and everything in between — vectorised.

Times are laid out against the ticket's own deadlines, so "on time" and "late" are decided first and the
timestamps follow: a place's quality (a logit, good > 0) sets how often it contacts late, closes late or
leaves a ticket stuck for weeks, and the callback result depends on lateness, on whether the ticket was
still open when the hotline called, on the category's difficulty and on the place. Then everything is
cut at `now`: later timestamps are not written, so recent tickets are open and some old ones are overdue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from domain import vocab
from domain.deadlines import extend
from domain.settings import Settings
from sample_data import catalog
from sample_data.tickets import (
    CH_GRID,
    U_COMPLEX,
    U_EMERGENCY,
    U_GENERAL,
    U_UTILITY,
    Draft,
    K,
    Places,
    per_day,
)

DAY, HOUR, MINUTE = 86_400, 3_600, 60
NAT = np.iinfo(np.int64).min  # datetime64 NaT: "not (yet) happened"

EV = {k: i for i, k in enumerate(vocab.EVENT_KINDS)}
NOTES = (
    "热线直接答复",
    "非本单位职责，申请退单",
    "申请延期1天",
    "申请延期3天",
    "申请延期7天",
    "申请延期15天",
    "街道吹哨，召集相关部门",
    "到场报到，协同处置",
    "区接诉即办中心督办",
    "回访未接通",
    "回访复核",
    "诉求人不满意，重新办理",
)
NOTE = {n: i for i, n in enumerate(NOTES)}

RETURN_SHARE = {True: 0.022, False: 0.06}  # 退单: street-led vs agency-led tickets
EXTENSION = {U_GENERAL: 0.045, U_COMPLEX: 0.12, U_UTILITY: 0.015, U_EMERGENCY: 0.0}
EXTENSION_HOURS = {U_GENERAL: (72, 168), U_COMPLEX: (168, 360), U_UTILITY: (24, 24), U_EMERGENCY: (0, 0)}
WHISTLE_SHARE = 0.055  # of dispatched tickets; categories weight it (catalog.Category.whistle)
REACHED = (0.92, 0.90, 0.85)  # callback attempts: chance the caller answers the 1st/2nd/3rd call
RETRY = (0.75, 0.5)
RECHECK = 0.025  # answered callbacks checked again a few days later (复核); the last answer counts
REOPEN = 0.3  # unsatisfied and not solved → re-handled (重办)
STUCK_MAX_DAYS = 120  # the longest a stuck ticket stays open past its deadline (plus two days)

CAT_DIFFICULTY = np.array([c.difficulty for c in catalog.CATEGORIES])
CAT_WHISTLE = np.array([c.whistle for c in catalog.CATEGORIES])


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


@dataclass
class Events:
    """Event rows gathered as arrays: ticket position, time, kind, department id (0 none), note (-1 none)."""

    parts: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def add(
        self,
        mask: np.ndarray,
        at: np.ndarray,
        kind: str,
        dept: np.ndarray | int = 0,
        note: np.ndarray | int = -1,
    ) -> None:
        pos = np.nonzero(mask)[0]
        dept_arr = np.broadcast_to(dept, mask.shape)[pos]
        note_arr = np.broadcast_to(note, mask.shape)[pos]
        self.parts.append((pos, at[pos], np.full(len(pos), EV[kind]), dept_arr, note_arr))

    def arrays(self) -> tuple[np.ndarray, ...]:
        if not self.parts:
            return tuple(np.zeros(0, dtype=np.int64) for _ in range(5))
        cols = [np.concatenate([p[i] for p in self.parts]) for i in range(5)]
        order = np.lexsort((cols[1], cols[0]))  # by ticket, then time; ties keep the order added
        return tuple(c[order] for c in cols)


@dataclass
class Life:
    """The lifecycle of a chunk of tickets at `now`."""

    dispatched: np.ndarray
    signed: np.ndarray
    contacted: np.ndarray
    closed: np.ndarray
    due: np.ndarray
    status: np.ndarray  # index into vocab.STATUSES
    whistle: np.ndarray
    callback_at: np.ndarray
    resolution: np.ndarray  # index into vocab.RESOLUTIONS or -1
    satisfaction: np.ndarray  # index into vocab.SATISFACTIONS or -1
    events: Events
    callbacks: tuple[np.ndarray, ...]  # (position, at, reached, resolution, satisfaction)
    reopen_pos: np.ndarray  # positions re-handled by a new ticket
    reopen_at: np.ndarray


def business_time(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The hotline calls back between 09:00 and 20:00: move other times to the next such morning."""
    day = t // DAY * DAY
    tod = t - day
    early = tod < 9 * HOUR
    late = tod >= 20 * HOUR
    morning = 9 * HOUR + rng.integers(0, 3 * HOUR, len(t))
    return np.where(early, day + np.maximum(morning, tod), np.where(late, day + DAY + morning, t))


def _outcome(
    score: np.ndarray, late: np.ndarray, q: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(resolution, satisfaction) indices of answered callbacks from a 'bad result' logit."""
    n = len(score)
    bad = rng.random(n) < sigmoid(score)
    unsolved = bad & (rng.random(n) < 0.5)
    resolution = np.where(bad, np.where(unsolved, 2, 1), 0)
    p_unsat = np.select(
        [resolution == 0, resolution == 1],
        [sigmoid(-4.0 - 0.6 * q + 0.9 * late), sigmoid(-0.9 - 0.5 * q + 0.6 * late)],
        sigmoid(0.9 - 0.5 * q + 0.5 * late),
    )
    p_basic = np.select([resolution == 0, resolution == 1], [0.07, 0.6], 0.7)
    u = rng.random(n)
    unsat = u < p_unsat
    basic = ~unsat & (rng.random(n) < p_basic)
    satisfaction = np.where(unsat, 2, np.where(basic, 1, 0))
    return resolution, satisfaction


def simulate(
    d: Draft,
    places: Places,
    now_s: int,
    settings: Settings,
    rng: np.random.Generator,
    allow_reopen: bool = True,
) -> Life:
    """Lay out the history of every ticket of `d` as it stands at `now_s`."""
    n = len(d)
    geo = places.geo
    q = geo.community_quality[geo.cell_community[d.cell]]
    street = geo.cell_street[d.cell]
    own_street = places.street_dept[street]
    other_street = places.street_dept[(street + 1) % len(places.street_dept)]

    def rnd() -> np.ndarray:
        return rng.random(n)

    grid = d.channel == CH_GRID
    public = ~grid
    handled = ~d.onspot
    lc = (d.contact_due - d.rec).astype(float)
    lr = (d.due0 - d.rec).astype(float)
    ev = Events()

    # 派单 (grid cases go to their community at once), 退单 and re-dispatch, 签收.
    disp = np.where(grid, d.rec, d.rec + 30 + (lc * 0.12 * rng.beta(2, 5, n)).astype(np.int64))
    lead_is_street = np.isin(d.lead, places.street_dept)
    returned = handled & public & (rnd() < np.where(lead_is_street, RETURN_SHARE[True], RETURN_SHARE[False]))
    ret_at = disp + MINUTE + (lc * 0.08 * rng.beta(2, 3, n)).astype(np.int64)
    redisp = ret_at + MINUTE + (lc * 0.04 * rng.beta(2, 3, n)).astype(np.int64)
    # A street returns what is an agency's (or a neighbouring street's); an agency returns it to the street.
    cat_lead = places.cat_lead[d.cat]
    wrong = np.where(lead_is_street, np.where(cat_lead > 0, cat_lead, other_street), own_street)
    sign = (
        np.where(returned, redisp, disp)
        + MINUTE
        + (lc * np.where(grid, 0.05, 0.15) * rng.beta(2, 5, n)).astype(np.int64)
    )

    # 联系诉求人: mostly within the contact limit, late more often in weak places.
    late_contact = public & handled & ((rnd() < sigmoid(-5.0 - 0.9 * q)) | (sign >= d.contact_due))
    room = np.maximum(d.contact_due - sign, 0)
    contact = np.where(
        late_contact,
        np.maximum(d.contact_due, sign) + MINUTE + (lc * rng.exponential(0.4, n)).astype(np.int64),
        sign + (room * rng.beta(1.3, 3, n)).astype(np.int64),
    )

    # 延期: an approved extension moves the deadline (domain.deadlines.extend).
    p_ext = np.choose(d.urgency, [EXTENSION[u] for u in range(4)])
    extended = handled & (rnd() < p_ext)
    due = d.due0.copy()
    ext_hours = np.zeros(n, dtype=np.int64)
    for u, (short, long) in EXTENSION_HOURS.items():
        sel = extended & (d.urgency == u)
        ext_hours[sel] = np.where(rng.random(int(sel.sum())) < 0.6, short, long)
    ext_pos = np.nonzero(extended)[0]
    due[ext_pos] = per_day(d.due0[ext_pos], ext_hours[ext_pos], lambda t, h: extend(t, float(h), settings))

    # 办结: on time for most, late for some (weak places more), stuck for weeks for a few.
    start = np.where(public, np.maximum(contact, sign), sign)
    p_late = sigmoid(-3.5 - 1.0 * q + 0.5 * (d.urgency == U_COMPLEX) - 0.8 * extended)
    late = handled & ((rnd() < p_late) | (start >= due))
    stuck = late & (rnd() < sigmoid(-0.9 - 1.0 * q))
    speed = rng.beta(1.4 + 0.5 * np.clip(-q, 0, None), 2.8, n)
    speed = np.where(
        d.kind == K[vocab.KIND_PRAISE], speed * 0.3, np.where(extended, 0.5 + 0.5 * speed, speed)
    )
    on_time = start + ((due - start) * speed).astype(np.int64)
    overshoot = np.where(
        stuck,
        2 * DAY + np.minimum(rng.exponential(60 * DAY, n), STUCK_MAX_DAYS * DAY),
        30 * MINUTE + lr * rng.exponential(0.3, n),
    )
    close = np.where(late, np.maximum(due + overshoot.astype(np.int64), start + 10 * MINUTE), on_time)
    close = np.where(handled, close, d.rec + rng.integers(90, 900, n))
    ext_at = sign + ((np.minimum(close, d.due0) - sign).clip(0) * rng.uniform(0.5, 0.95, n)).astype(np.int64)

    # 吹哨报到 (street-led, harder categories) and 督办 (mostly late tickets).
    scale = WHISTLE_SHARE / max(1e-9, float((CAT_WHISTLE[d.cat] * (handled & lead_is_street)).mean()))
    whistle = handled & lead_is_street & (rnd() < CAT_WHISTLE[d.cat] * scale)
    span = np.maximum(close - sign, MINUTE)
    whistle_at = sign + (span * rng.uniform(0.1, 0.35, n)).astype(np.int64)
    n_reports = 1 + (rnd() < 0.35) + (rnd() < 0.1)
    escalated = handled & public & (rnd() < np.where(late, 0.4, 0.01))
    esc_at = np.where(
        late,
        due + (np.minimum(close - due, 5 * DAY) * rng.uniform(0.1, 0.6, n)).astype(np.int64),
        sign + (span * rng.uniform(0.3, 0.9, n)).astype(np.int64),
    )

    # Callbacks by the hotline: after closing, or two days after the deadline while still open.
    due_cb = public & handled & ~d.excluded
    trigger = np.where(close <= due + 2 * DAY, close, due + 2 * DAY)
    a1 = business_time(trigger + (rng.gamma(2, 0.35 * DAY, n)).astype(np.int64) + HOUR, rng)
    r1 = rnd() < REACHED[0]
    has2 = ~r1 & (rnd() < RETRY[0])
    a2 = business_time(a1 + rng.integers(4 * HOUR, 30 * HOUR, n), rng)
    r2 = has2 & (rnd() < REACHED[1])
    has3 = has2 & ~r2 & (rnd() < RETRY[1])
    a3 = business_time(a2 + rng.integers(4 * HOUR, 30 * HOUR, n), rng)
    r3 = has3 & (rnd() < REACHED[2])
    answered = r1 | r2 | r3
    ans_at = np.where(r1, a1, np.where(r2, a2, a3))
    has_recheck = answered & (rnd() < RECHECK)
    recheck_at = business_time(ans_at + rng.integers(2 * DAY, 6 * DAY, n), rng)

    def score(at: np.ndarray) -> np.ndarray:
        return (
            -3.35
            - 0.9 * q
            + 1.6 * (close > due)
            + 1.8 * (close > at)
            + 0.8 * late_contact
            + CAT_DIFFICULTY[d.cat]
            + 0.3 * (d.kind == K[vocab.KIND_COMPLAINT])
            - 0.5 * (d.kind == K[vocab.KIND_ENQUIRY])
            - 3.0 * (d.kind == K[vocab.KIND_PRAISE])
        )

    res1, sat1 = _outcome(score(ans_at), close > due, q, rng)
    res2, sat2 = _outcome(score(recheck_at), close > due, q, rng)

    # Cut at now: what has not happened yet is not written.
    def upto(at: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return mask & (at <= now_s)

    counted2 = upto(recheck_at, due_cb & has_recheck)
    counted1 = upto(ans_at, due_cb & answered)
    cb_at = np.where(counted2, recheck_at, np.where(counted1, ans_at, NAT))
    resolution = np.where(counted2, res2, np.where(counted1, res1, -1))
    satisfaction = np.where(counted2, sat2, np.where(counted1, sat1, -1))
    # 重办: a closed ticket whose caller says it is not solved and is unsatisfied may be handled again.
    reopen = allow_reopen & (close <= cb_at) & (satisfaction == 2) & (resolution >= 1) & (rnd() < REOPEN)
    reopen_at = business_time(cb_at + rng.integers(HOUR, DAY, n), rng)
    reopen = reopen & (reopen_at < now_s - 10 * MINUTE)

    is_dispatched = upto(disp, handled)
    is_signed = upto(sign, handled)
    is_closed = close <= now_s
    status = np.select([is_closed, is_signed, is_dispatched], [3, 2, 1], 0)
    first_dept = np.where(returned, wrong, d.lead)
    ev.add(upto(close, ~handled), close, vocab.EVENT_CLOSE, 0, NOTE["热线直接答复"])
    ev.add(is_dispatched, disp, vocab.EVENT_DISPATCH, first_dept)
    ev.add(
        upto(ret_at, handled & returned), ret_at, vocab.EVENT_RETURN, wrong, NOTE["非本单位职责，申请退单"]
    )
    ev.add(upto(redisp, handled & returned), redisp, vocab.EVENT_DISPATCH, d.lead)
    ev.add(is_signed, sign, vocab.EVENT_SIGN, d.lead)
    ev.add(upto(contact, handled & public), contact, vocab.EVENT_CONTACT, d.lead)
    ext_note = np.select(
        [ext_hours == 24 * days for days in (1, 3, 7, 15)],
        [NOTE[f"申请延期{days}天"] for days in (1, 3, 7, 15)],
        -1,
    )
    ev.add(upto(ext_at, extended), ext_at, vocab.EVENT_EXTEND, d.lead, ext_note)
    ev.add(upto(whistle_at, whistle), whistle_at, vocab.EVENT_WHISTLE, d.lead, NOTE["街道吹哨，召集相关部门"])
    n_helpers = places.helper_count[d.cat]
    offset = rng.integers(0, 1 << 30, n)
    for r in range(places.helpers.shape[1]):
        rep_at = whistle_at + (span * (r + 1) * rng.uniform(0.03, 0.15, n)).astype(np.int64)
        rep_dept = places.helpers[d.cat, (offset + r) % n_helpers]  # distinct departments per ticket
        ok = whistle & (n_reports > r) & (n_helpers > r)
        ev.add(upto(rep_at, ok), rep_at, vocab.EVENT_REPORT, rep_dept, NOTE["到场报到，协同处置"])
    ev.add(upto(esc_at, escalated), esc_at, vocab.EVENT_ESCALATE, d.lead, NOTE["区接诉即办中心督办"])
    ev.add(upto(close, handled & is_closed), close, vocab.EVENT_CLOSE, d.lead)

    # Callback attempts (each also an event, as data_access.writes.record_callback writes them).
    cb_parts = []
    for at, exists, reached, res, sat in (
        (a1, due_cb, r1, res1, sat1),
        (a2, due_cb & has2, r2, res1, sat1),
        (a3, due_cb & has3, r3, res1, sat1),
        (recheck_at, due_cb & has_recheck, has_recheck, res2, sat2),
    ):
        ok = upto(at, exists)
        pos = np.nonzero(ok)[0]
        cb_parts.append(
            (
                pos,
                at[pos],
                reached[pos],
                np.where(reached[pos], res[pos], -1),
                np.where(reached[pos], sat[pos], -1),
            )
        )
        ev.add(ok & ~reached, at, vocab.EVENT_CALLBACK, 0, NOTE["回访未接通"])
        ev.add(ok & reached, at, vocab.EVENT_CALLBACK, 0, NOTE["回访复核"] if at is recheck_at else -1)
    callbacks = tuple(np.concatenate([p[i] for p in cb_parts]) for i in range(5))
    ev.add(reopen, reopen_at, vocab.EVENT_REOPEN, d.lead, NOTE["诉求人不满意，重新办理"])

    return Life(
        dispatched=np.where(is_dispatched, disp, NAT),
        signed=np.where(is_signed, sign, NAT),
        contacted=np.where(upto(contact, handled & public), contact, NAT),
        closed=np.where(is_closed, close, NAT),
        due=np.where(upto(ext_at, extended), due, d.due0),  # an extension not granted yet is not stored
        status=status,
        whistle=whistle & (whistle_at <= now_s),
        callback_at=cb_at,
        resolution=resolution,
        satisfaction=satisfaction,
        events=ev,
        callbacks=callbacks,
        reopen_pos=np.nonzero(reopen)[0],
        reopen_at=reopen_at[reopen] + rng.integers(MINUTE, 10 * MINUTE, int(reopen.sum())),
    )
