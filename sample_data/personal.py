"""Fake personal data of callers: names, mobile numbers, addresses, the demand's text and the caller hash.

A caller is a key (see tickets.py): the same key always gives the same name, number and home, so frequent
callers repeat. Numbers are a bijection of the key, so different callers never share one. Everything is a
pure function of the key, hence deterministic and independent of hashing.
"""

from __future__ import annotations

import hashlib

import numpy as np

from domain import vocab
from sample_data import catalog, names
from sample_data.geography import Geography
from sample_data.tickets import SUBS, Draft

# The salt of caller_hash. A constant is fine here: this is sample data; real deployments set their own.
CALLER_SALT = "sample-district-2026"

_PREFIX_DIGITS = np.array(list("3589673"))  # 13x, 15x, 18x, 19x, 16x, 17x: common mobile prefixes
_MULT = 387_420_489  # 3**18, coprime with 10**9: key -> 9-digit body is a bijection
_SURNAME_CDF = np.cumsum(1 / np.arange(1, len(names.SURNAMES) + 1) ** 0.9)
_SURNAME_CDF /= _SURNAME_CDF[-1]
_GIVEN = np.array(names.GIVEN_CHARS)
_SURNAMES = np.array(names.SURNAMES)
_OUTDOOR = np.array([catalog.CATEGORIES[ci].outdoor for ci, _ in SUBS])
_PROBLEM = [s.problem for _, s in SUBS]
_ASKING = [s.name.endswith("咨询") for _, s in SUBS]  # the subcategory itself is a question
ASKS = [catalog.ASKS[k] for k in vocab.KINDS]
ENQUIRY, PRAISE = vocab.KINDS.index(vocab.KIND_ENQUIRY), vocab.KINDS.index(vocab.KIND_PRAISE)


def mix(key: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64 of (key, salt): well-spread 64-bit values."""
    z = key.astype(np.uint64) + np.uint64(salt * 0x9E3779B97F4A7C15 % (1 << 64))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _unit(key: np.ndarray, salt: int) -> np.ndarray:
    return (mix(key, salt) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def phones(keys: np.ndarray) -> list[str]:
    body = (keys.astype(np.int64) % 10**9 * _MULT + 12_345) % 10**9
    second = _PREFIX_DIGITS[(mix(keys, 1) % np.uint64(len(_PREFIX_DIGITS))).astype(np.int64)]
    return [f"1{s}{b:09d}" for s, b in zip(second.tolist(), body.tolist())]


def person_names(keys: np.ndarray) -> list[str]:
    surname = _SURNAMES[np.searchsorted(_SURNAME_CDF, _unit(keys, 2))]
    g1 = _GIVEN[(mix(keys, 3) % np.uint64(len(_GIVEN))).astype(np.int64)]
    g2 = _GIVEN[(mix(keys, 4) % np.uint64(len(_GIVEN))).astype(np.int64)]
    two = _unit(keys, 5) < 0.7
    return [
        s + a + (b if t else "")
        for s, a, b, t in zip(surname.tolist(), g1.tolist(), g2.tolist(), two.tolist())
    ]


def addresses(d: Draft, geo: Geography) -> list[str]:
    """The place of each demand: a flat in the caller's building, a spot near a building, or the hot spot."""
    key = d.caller
    community = np.array(geo.community_names)[geo.cell_community[d.cell]]
    building = (geo.cell_number[d.cell] - 1) * 8 + 1 + (mix(key, 6) % np.uint64(8)).astype(np.int64)
    unit = 1 + (mix(key, 7) % np.uint64(4)).astype(np.int64)
    floor = 1 + (mix(key, 8) % np.uint64(18)).astype(np.int64)
    room = 1 + (mix(key, 9) % np.uint64(4)).astype(np.int64)
    out = []
    for c, b, u, f, r, outdoor, hot in zip(
        community.tolist(),
        building.tolist(),
        unit.tolist(),
        floor.tolist(),
        room.tolist(),
        _OUTDOOR[d.sub].tolist(),
        d.hot.tolist(),
    ):
        if hot >= 0:
            out.append(c + catalog.HOT_SPOTS[hot].place)
        elif outdoor:
            out.append(f"{c}{b}号楼附近")
        else:
            out.append(f"{c}{b}号楼{u}单元{f}{r:02d}")
    return out


def contents(d: Draft, places: list[str]) -> list[str]:
    out = []
    for sub, kind, place, reopened in zip(
        d.sub.tolist(), d.kind.tolist(), places, (d.reopen_of > 0).tolist()
    ):
        problem = _PROBLEM[sub]
        if kind == ENQUIRY and _ASKING[sub]:
            text = f"来电咨询{problem}。"
        elif kind == ENQUIRY:
            text = f"来电咨询：{place}{problem}，应向哪个部门反映、如何处理。"
        elif kind == PRAISE:
            text = f"此前反映{place}{problem}的问题，{ASKS[kind]}"
        else:
            text = f"反映{place}{problem}，{ASKS[kind]}"
        out.append(("【重办】" if reopened else "") + text)
    return out


def caller_hashes(phones: list[str]) -> list[str]:
    """The salted SHA-256 of each number (ticket.caller_hash)."""
    return [hashlib.sha256((CALLER_SALT + p).encode()).hexdigest() for p in phones]
