"""What else shapes the sample district: departments, the 每月一题 topic, hot spots, exclusions, wording.

Plain data like `categories.py` (re-exported here, so `catalog` is the one import for the generator).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain import vocab
from sample_data.categories import CATEGORIES, CATEGORY_INDEX, STREET, Category, Subcategory

__all__ = ["CATEGORIES", "CATEGORY_INDEX", "STREET", "Category", "Subcategory"]  # re-exported

# Department names. The streets' own departments are named after the streets (see geography.py).
AGENCIES = (
    "区城管委",
    "区住建委",
    "区市场监管局",
    "区交通支队",
    "区生态环境局",
    "区卫健委",
    "区人社局",
    "区教委",
    "区园林绿化局",
    "区水务局",
    "区城管执法局",
    "区房管局",
)
UTILITIES = ("自来水集团", "供电公司", "燃气集团", "热力集团")

# 每月一题: the topic is taken up `TOPIC_TAKEUP_DAYS` before `now`; hotline volume rises until then and
# falls by about a third after it, while grid patrol finds more of it (未诉先办).
TOPIC = "电动自行车充电"
TOPIC_CATEGORY = "电动自行车充电"
TOPIC_TAKEUP_DAYS = 182


@dataclass(frozen=True)
class HotSpot:
    """One place that keeps calling about one thing (DOMAIN.md: >= 3 tickets of a category in 30 days)."""

    category: str
    subcategory: str
    place: str  # appended to the community name: the fixed address
    per_100k: float  # tickets a year per 100,000 tickets of the district
    minimum: int  # floor, so a small sample still has the hot spot
    season: str  # key of timeline.SEASONS, or "window" for a limited period
    pick: str  # which community: "old_weak", "commercial", "old", "dense"
    window_days: tuple[int, int] | None = None  # (from, to) days before now, for season "window"


HOT_SPOTS = (
    HotSpot("供暖", "室温不达标", "幸福里小区5号楼", 70, 30, "heating", "old_weak"),
    HotSpot("噪音扰民", "商户噪音", "农贸市场", 60, 30, "summer", "commercial"),
    HotSpot("电动自行车充电", "飞线充电", "12号楼", 45, 24, "flat", "old"),  # follows the topic
    HotSpot("施工扰民", "夜间施工", "东侧在建工地", 55, 24, "window", "dense", (240, 120)),
    HotSpot("停车管理", "占用消防通道", "北门消防通道", 40, 20, "flat", "dense"),
)

# 剔单 reasons and how often each is used.
EXCLUDE_REASONS = (("重复诉求", 0.5), ("非职责范围", 0.25), ("无效诉求", 0.15), ("恶意诉求", 0.10))

# What the caller asks for, by kind (the end of the content sentence).
ASKS = {
    vocab.KIND_ENQUIRY: "想咨询相关规定和办理流程。",
    vocab.KIND_HELP: "希望有关部门帮助解决。",
    vocab.KIND_COMPLAINT: "多次反映未解决，要求尽快处理。",
    vocab.KIND_REPORT: "请相关部门调查处理。",
    vocab.KIND_SUGGESTION: "建议加强管理。",
    vocab.KIND_PRAISE: "问题已解决，对工作人员表示感谢。",
}
