"""Source words → the codes of `domain.vocab`, for the words every export uses.

A mapping file adds or overrides words per field (`[values.status]` …). Words are compared by
`values.word_key` (case and spaces ignored). A status word may also exclude the ticket (剔单) with a reason:
`StatusWord(status=None, exclude="Cancelled")` keeps the status derived from the timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from domain import vocab
from importers.values import word_key


@dataclass(frozen=True)
class StatusWord:
    status: str | None  # None: derive from the timestamps (closed_at → closed, signed_at → signed …)
    exclude: str | None = None  # 剔单 reason, or None


def _words(table: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {word_key(w): code for code, words in table.items() for w in words}


CHANNEL_WORDS = _words({
    vocab.CHANNEL_HOTLINE: ("12345", "12345热线", "热线", "电话", "来电", "hotline", "phone", "call", "voicemail"),
    vocab.CHANNEL_GRID: ("网格", "网格巡查", "巡查", "巡查发现", "主动发现", "grid", "patrol", "driver self report"),
    vocab.CHANNEL_WEB: ("网络", "网站", "微信", "小程序", "app", "手机app", "移动端", "市民热线网站", "web", "online",
                        "mobile", "mobile app", "self service", "email", "e-mail"),
    vocab.CHANNEL_VISIT: ("走访", "来访", "接访", "visit", "walk-in", "walk in", "council's office"),
})
KIND_WORDS = _words({
    vocab.KIND_ENQUIRY: ("咨询", "enquiry", "inquiry", "question"),
    vocab.KIND_HELP: ("求助", "help", "request", "service request"),
    vocab.KIND_COMPLAINT: ("投诉", "complaint"),
    vocab.KIND_REPORT: ("举报", "report"),
    vocab.KIND_SUGGESTION: ("建议", "意见建议", "suggestion"),
    vocab.KIND_PRAISE: ("表扬", "感谢", "praise", "compliment"),
})
URGENCY_WORDS = _words({
    vocab.URGENCY_EMERGENCY: ("紧急", "特急", "加急", "emergency", "urgent"),
    vocab.URGENCY_UTILITY: ("水电气热", "水电气热类", "utility"),
    vocab.URGENCY_GENERAL: ("一般", "普通", "常规", "general", "normal", "routine"),
    vocab.URGENCY_COMPLEX: ("复杂", "疑难", "疑难复杂", "complex"),
})
RESOLUTION_WORDS = _words({
    vocab.RESOLUTION_SOLVED: ("已解决", "解决", "是", "solved", "resolved", "yes"),
    vocab.RESOLUTION_PARTLY: ("部分解决", "partly", "partially solved", "partial"),
    vocab.RESOLUTION_UNSOLVED: ("未解决", "没解决", "否", "unsolved", "unresolved", "no"),
})
SATISFACTION_WORDS = _words({
    vocab.SATISFACTION_SATISFIED: ("满意", "非常满意", "satisfied", "very satisfied"),
    vocab.SATISFACTION_BASIC: ("基本满意", "一般", "比较满意", "basic", "fairly satisfied", "neutral"),
    vocab.SATISFACTION_UNSATISFIED: ("不满意", "非常不满意", "unsatisfied", "dissatisfied", "very dissatisfied"),
})
STATUS_WORDS: dict[str, StatusWord] = {
    **{word_key(w): StatusWord(vocab.STATUS_RECEIVED) for w in ("已受理", "受理", "待派单", "待处理", "received", "new")},
    **{word_key(w): StatusWord(vocab.STATUS_DISPATCHED) for w in ("已派单", "待签收", "派单", "dispatched", "assigned")},
    **{word_key(w): StatusWord(vocab.STATUS_SIGNED) for w in ("已签收", "办理中", "处理中", "签收", "signed",
                                                                  "in progress", "started")},
    **{word_key(w): StatusWord(vocab.STATUS_CLOSED) for w in ("已办结", "办结", "已完成", "已归档", "已回访", "已结案",
                                                                  "结案", "closed", "done", "resolved")},
    **{word_key(w): StatusWord(None, "已作废") for w in ("已作废", "作废", "无效")},
}

BUILTIN_WORDS: dict[str, Mapping[str, Any]] = {
    "channel": CHANNEL_WORDS,
    "kind": KIND_WORDS,
    "urgency": URGENCY_WORDS,
    "resolution": RESOLUTION_WORDS,
    "satisfaction": SATISFACTION_WORDS,
    "status": STATUS_WORDS,
}
CODES: dict[str, tuple[str, ...]] = {
    "channel": vocab.CHANNELS,
    "kind": vocab.KINDS,
    "urgency": vocab.URGENCIES,
    "resolution": vocab.RESOLUTIONS,
    "satisfaction": vocab.SATISFACTIONS,
    "status": vocab.STATUSES,
}


def status_word(entry: Any, where: str) -> StatusWord:
    """A `[values.status]` entry of a mapping file: a status code, or {status = …, exclude = …}."""
    if isinstance(entry, str):
        if entry not in vocab.STATUSES:
            raise ValueError(f"{where}: unknown status code {entry!r} (one of {', '.join(vocab.STATUSES)})")
        return StatusWord(entry)
    if isinstance(entry, dict) and set(entry) <= {"status", "exclude"}:
        status = entry.get("status")
        if status is not None and status not in vocab.STATUSES:
            raise ValueError(f"{where}: unknown status code {status!r}")
        exclude = entry.get("exclude")
        return StatusWord(status, str(exclude)[:64] if exclude else None)
    raise ValueError(f"{where}: expected a status code or {{status = …, exclude = …}}, not {entry!r}")


def checked_words(field_name: str, overrides: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A mapping's `[values.<field>]` table keyed by `word_key`, every code checked."""
    merged: dict[str, Any] = {}
    for word, code in overrides.items():
        if field_name == "status":
            merged[word_key(word)] = status_word(code, f"{where}.{word}")
        elif code not in CODES[field_name]:
            raise ValueError(f"{where}.{word}: unknown {field_name} code {code!r} (one of {', '.join(CODES[field_name])})")
        else:
            merged[word_key(word)] = code
    return merged
