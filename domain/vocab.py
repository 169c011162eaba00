"""Fixed vocabularies of the case database.

The database stores these stable codes; what a user reads comes from `locales/` (`vocab.<group>.<code>`).
Importers map source words (紧急, 已解决, Closed ...) onto them. Categories, subcategories and topics are
free text from the source (Chinese), not codes.
"""

from __future__ import annotations

# 诉求渠道: how the demand reached the system.
CHANNEL_HOTLINE = "hotline"  # 12345热线
CHANNEL_GRID = "grid"  # 网格巡查 (未诉先办, proactive)
CHANNEL_WEB = "web"  # 网络 / 小程序 / app
CHANNEL_VISIT = "visit"  # 走访 / 来访
CHANNELS = (CHANNEL_HOTLINE, CHANNEL_GRID, CHANNEL_WEB, CHANNEL_VISIT)

# Channels whose dispatched tickets count in the three rates (the hotline's own demands, whatever the
# medium); grid-patrol cases are judged by 结案率 instead (DOMAIN.md).
RATE_CHANNELS = (CHANNEL_HOTLINE, CHANNEL_WEB)

# 诉求类型
KIND_ENQUIRY = "enquiry"  # 咨询
KIND_HELP = "help"  # 求助
KIND_COMPLAINT = "complaint"  # 投诉
KIND_REPORT = "report"  # 举报
KIND_SUGGESTION = "suggestion"  # 建议
KIND_PRAISE = "praise"  # 表扬
KINDS = (KIND_ENQUIRY, KIND_HELP, KIND_COMPLAINT, KIND_REPORT, KIND_SUGGESTION, KIND_PRAISE)

# 紧急程度 / 办理时限 class (DOMAIN.md "Deadlines")
URGENCY_EMERGENCY = "emergency"  # 紧急
URGENCY_UTILITY = "utility"  # 水电气热
URGENCY_GENERAL = "general"  # 一般
URGENCY_COMPLEX = "complex"  # 复杂
URGENCIES = (URGENCY_EMERGENCY, URGENCY_UTILITY, URGENCY_GENERAL, URGENCY_COMPLEX)

# 工单状态. "contacted" is a timestamp, not a status; 剔单 is the `excluded` flag.
STATUS_RECEIVED = "received"  # 已受理, not yet dispatched
STATUS_DISPATCHED = "dispatched"  # 已派单
STATUS_SIGNED = "signed"  # 已签收 / 办理中
STATUS_CLOSED = "closed"  # 已办结
STATUSES = (STATUS_RECEIVED, STATUS_DISPATCHED, STATUS_SIGNED, STATUS_CLOSED)
OPEN_STATUSES = (STATUS_RECEIVED, STATUS_DISPATCHED, STATUS_SIGNED)

# 回访结果
RESOLUTION_SOLVED = "solved"  # 已解决
RESOLUTION_PARTLY = "partly"  # 部分解决
RESOLUTION_UNSOLVED = "unsolved"  # 未解决
RESOLUTIONS = (RESOLUTION_SOLVED, RESOLUTION_PARTLY, RESOLUTION_UNSOLVED)

SATISFACTION_SATISFIED = "satisfied"  # 满意
SATISFACTION_BASIC = "basic"  # 基本满意
SATISFACTION_UNSATISFIED = "unsatisfied"  # 不满意
SATISFACTIONS = (SATISFACTION_SATISFIED, SATISFACTION_BASIC, SATISFACTION_UNSATISFIED)

# ticket_event.kind: the status history
EVENT_DISPATCH = "dispatch"  # 派单
EVENT_SIGN = "sign"  # 签收
EVENT_RETURN = "return"  # 退单 (派单异议)
EVENT_CONTACT = "contact"  # 联系诉求人
EVENT_EXTEND = "extend"  # 延期 (approved; due_at already moved)
EVENT_ESCALATE = "escalate"  # 督办
EVENT_WHISTLE = "whistle"  # 吹哨
EVENT_REPORT = "report"  # 报到 (a department answers the whistle)
EVENT_CLOSE = "close"  # 办结
EVENT_CALLBACK = "callback"  # 回访
EVENT_REOPEN = "reopen"  # 重办
EVENT_KINDS = (
    EVENT_DISPATCH,
    EVENT_SIGN,
    EVENT_RETURN,
    EVENT_CONTACT,
    EVENT_EXTEND,
    EVENT_ESCALATE,
    EVENT_WHISTLE,
    EVENT_REPORT,
    EVENT_CLOSE,
    EVENT_CALLBACK,
    EVENT_REOPEN,
)

# department.kind
DEPARTMENT_STREET = "street"  # 街道 itself
DEPARTMENT_AGENCY = "agency"  # 区委办局
DEPARTMENT_UTILITY = "utility"  # 公共服务企业 (水电气热)
DEPARTMENT_KINDS = (DEPARTMENT_STREET, DEPARTMENT_AGENCY, DEPARTMENT_UTILITY)
