"""The categories (with subcategories) the sample district's demands are about, and how each behaves.

Plain data, chosen so the generated district tells the stories of shared/DOMAIN.md: seasonal heating and
flooding, hard categories rated worse, agencies and utilities leading their own categories, grid patrol
finding the street-scene problems. `timeline.py` and `lifecycle.py` turn them into tickets.
"""

from __future__ import annotations

from dataclasses import dataclass

# The lead is the street of the ticket's place unless a category names another department.
STREET = "street"


@dataclass(frozen=True)
class Subcategory:
    name: str
    weight: float
    problem: str  # the core of the caller's sentence, e.g. "暖气不热，室温不达标"
    emergency: float | None = None  # share of 紧急 when it is not the category's (燃气泄漏 nearly always)


@dataclass(frozen=True)
class Category:
    name: str
    share: float  # share of all tickets over a year, before seasonality
    subcategories: tuple[Subcategory, ...]
    season: str = "flat"  # key of timeline.SEASONS
    grid: float = 0.0  # share of this category's cases found by grid patrol (before scaling)
    lead: str = STREET  # agency/utility that leads it when it does not go to the street
    lead_share: float = 0.0  # how often `lead` leads instead of the street
    helpers: tuple[str, ...] = ()  # departments that answer a whistle (报到)
    whistle: float = 0.0  # relative propensity to 吹哨 (scaled to the district's overall share)
    difficulty: float = 0.0  # logit shift of a bad callback result (hard problems are rated worse)
    emergency: float = 0.007  # share of 紧急 among dispatched tickets
    complex: float = 0.10  # share of 复杂 (ignored for utility categories)
    utility: bool = False  # 水电气热: urgency class utility
    night: bool = False  # calls come late in the evening (noise)
    outdoor: bool = False  # the place is a street or square, not a flat
    old_town: float = 0.0  # extra weight in communities with old housing (0..1 scale)
    commercial: float = 0.0  # extra weight in commercial communities


def _subs(*rows: tuple) -> tuple[Subcategory, ...]:
    return tuple(Subcategory(*row) for row in rows)


CATEGORIES: tuple[Category, ...] = (
    Category(
        "供暖",
        0.050,
        _subs(
            ("室温不达标", 5, "暖气不热，室温不达标"),
            ("暖气漏水", 1.5, "暖气管道漏水"),
            ("供暖时间咨询", 1.5, "供暖开始时间"),
            ("供暖费缴纳", 1, "供暖费缴纳方式"),
        ),
        season="heating",
        lead="热力集团",
        lead_share=0.75,
        helpers=("区住建委", "区房管局"),
        whistle=0.3,
        difficulty=0.35,
        emergency=0.01,
        utility=True,
        old_town=1.5,
    ),
    Category(
        "排水防汛",
        0.030,
        _subs(
            ("道路积水", 3, "道路积水严重，行人无法通行"),
            ("雨水倒灌", 1.5, "雨水倒灌进地下室", 0.2),
            ("下水道堵塞", 3, "下水道堵塞，污水外溢"),
            ("井盖缺失", 1, "井盖缺失，存在安全隐患"),
        ),
        season="flood",
        grid=0.25,
        lead="区水务局",
        lead_share=0.35,
        helpers=("区水务局", "区城管委"),
        whistle=1.2,
        difficulty=0.1,
        emergency=0.04,
        outdoor=True,
        old_town=0.8,
    ),
    Category(
        "物业管理",
        0.110,
        _subs(
            ("物业服务", 4, "物业服务不到位，公共区域无人管理"),
            ("电梯故障", 2, "电梯经常故障停运"),
            ("物业费纠纷", 1.5, "物业费收费标准不合理"),
            ("楼道堆物", 1.5, "楼道堆放杂物，影响通行"),
            ("门禁损坏", 1, "单元门禁损坏，长期未修"),
        ),
        grid=0.05,
        lead="区房管局",
        lead_share=0.08,
        helpers=("区房管局", "区住建委"),
        whistle=0.6,
        difficulty=0.55,
        complex=0.10,
        old_town=0.6,
    ),
    Category(
        "噪音扰民",
        0.060,
        _subs(
            ("商户噪音", 3, "商户音响声音过大"),
            ("广场舞噪音", 2, "广场舞音乐声音过大"),
            ("装修噪音", 2, "邻居装修噪音扰民"),
            ("夜间噪音", 2, "夜间持续噪音，影响休息"),
        ),
        season="summer",
        grid=0.05,
        lead="区生态环境局",
        lead_share=0.12,
        helpers=("区生态环境局", "区城管执法局"),
        whistle=0.5,
        difficulty=0.5,
        night=True,
        commercial=0.8,
    ),
    Category(
        "环境卫生",
        0.080,
        _subs(
            ("垃圾清运", 4, "垃圾清运不及时，异味严重"),
            ("垃圾分类", 2, "垃圾分类投放点管理混乱"),
            ("道路清扫", 2, "道路清扫不及时"),
            ("公厕管理", 1, "公厕卫生条件差"),
            ("小广告", 1, "墙面小广告乱贴"),
        ),
        grid=0.45,
        lead="区城管委",
        lead_share=0.08,
        helpers=("区城管委", "区城管执法局"),
        whistle=0.7,
        difficulty=-0.2,
        outdoor=True,
    ),
    Category(
        "停车管理",
        0.070,
        _subs(
            ("违章停车", 4, "车辆违章停放，堵塞道路"),
            ("占用消防通道", 1.5, "车辆占用消防通道", 0.15),
            ("停车收费", 1.5, "停车收费不规范"),
            ("车位不足", 2, "小区车位不足，停车难"),
        ),
        grid=0.30,
        lead="区交通支队",
        lead_share=0.25,
        helpers=("区交通支队", "区城管执法局"),
        whistle=0.7,
        difficulty=0.7,
        complex=0.08,
        outdoor=True,
        commercial=0.6,
    ),
    Category(
        "共享单车停放",
        0.030,
        _subs(
            ("乱停乱放", 4, "共享单车乱停乱放，占用盲道"),
            ("车辆堆积", 2, "地铁口共享单车大量堆积"),
        ),
        season="bikes",
        grid=0.45,
        lead="区城管委",
        lead_share=0.25,
        helpers=("区城管委", "区交通支队"),
        whistle=0.4,
        difficulty=0.1,
        outdoor=True,
        commercial=0.8,
    ),
    Category(
        "电动自行车充电",
        0.035,
        _subs(
            ("飞线充电", 3, "有人从楼上私拉电线给电动自行车充电"),
            ("充电桩不足", 3, "小区电动自行车充电桩不足"),
            ("楼道停放充电", 1.5, "电动自行车在楼道内停放充电", 0.15),
        ),
        season="flat",
        grid=0.15,
        helpers=("区住建委", "区城管执法局"),
        whistle=0.7,
        difficulty=0.3,
        emergency=0.0,
        old_town=1.0,
    ),
    Category(
        "路灯",
        0.020,
        _subs(
            ("路灯不亮", 4, "路灯不亮，夜间出行不便"),
            ("路灯损坏", 1, "路灯灯杆损坏"),
        ),
        season="dark",
        grid=0.35,
        lead="区城管委",
        lead_share=0.6,
        helpers=("区城管委",),
        whistle=0.3,
        difficulty=-0.3,
        outdoor=True,
    ),
    Category(
        "老旧小区管网",
        0.030,
        _subs(
            ("管道老化漏水", 3, "楼内管道老化漏水"),
            ("下水返味", 2, "下水道返味严重"),
            ("加装电梯", 2, "老楼加装电梯进展"),
            ("老旧小区改造", 2, "老旧小区综合整治进度"),
        ),
        grid=0.10,
        lead="区住建委",
        lead_share=0.35,
        helpers=("区住建委", "区房管局", "区水务局"),
        whistle=2.0,
        difficulty=0.6,
        complex=0.35,
        old_town=2.5,
    ),
    Category(
        "违章建设",
        0.025,
        _subs(
            ("私搭乱建", 4, "有人私搭乱建"),
            ("占用绿地", 1, "违规占用公共绿地"),
            ("地下室改建", 1, "地下室违规改建出租"),
        ),
        grid=0.40,
        lead="区城管执法局",
        lead_share=0.12,
        helpers=("区城管执法局", "区住建委"),
        whistle=2.5,
        difficulty=0.9,
        complex=0.40,
        old_town=0.8,
    ),
    Category(
        "施工扰民",
        0.030,
        _subs(
            ("夜间施工", 3, "工地夜间施工噪音扰民"),
            ("施工扬尘", 2, "施工扬尘严重"),
            ("道路施工", 1, "道路施工围挡影响通行"),
        ),
        season="building",
        grid=0.10,
        lead="区住建委",
        lead_share=0.45,
        helpers=("区住建委", "区生态环境局"),
        whistle=1.5,
        difficulty=0.6,
        night=True,
        outdoor=True,
    ),
    Category(
        "市场管理",
        0.060,
        _subs(
            ("占道经营", 3, "商户占道经营"),
            ("商品质量", 1.5, "购买的商品存在质量问题"),
            ("价格欺诈", 1, "商家价格欺诈"),
            ("食品安全", 1.5, "餐馆食品卫生问题"),
        ),
        grid=0.35,
        lead="区市场监管局",
        lead_share=0.45,
        helpers=("区市场监管局", "区城管执法局"),
        whistle=0.8,
        difficulty=0.3,
        commercial=2.0,
    ),
    Category(
        "劳动欠薪",
        0.030,
        _subs(
            ("拖欠工资", 4, "单位拖欠工资"),
            ("劳动合同", 1.5, "劳动合同纠纷"),
            ("社保缴纳咨询", 1, "社保缴纳政策"),
        ),
        season="wages",
        lead="区人社局",
        lead_share=0.9,
        complex=0.30,
        difficulty=1.1,
    ),
    Category(
        "医疗卫生",
        0.030,
        _subs(
            ("医院服务", 2, "医院服务态度差"),
            ("疫苗接种咨询", 1.5, "疫苗接种安排"),
            ("医保报销咨询", 1.5, "医保报销流程"),
        ),
        lead="区卫健委",
        lead_share=0.85,
        difficulty=0.1,
    ),
    Category(
        "教育",
        0.030,
        _subs(
            ("入学咨询", 3, "适龄儿童入学政策"),
            ("校外培训", 1, "校外培训机构违规收费"),
            ("校园周边", 1, "学校周边交通秩序混乱"),
        ),
        season="school",
        grid=0.02,
        lead="区教委",
        lead_share=0.85,
        difficulty=0.1,
    ),
    Category(
        "公交出行",
        0.030,
        _subs(
            ("公交线路", 2, "公交线路调整不合理"),
            ("交通信号灯", 1.5, "交通信号灯故障"),
            ("道路拥堵", 1.5, "路口早晚高峰拥堵"),
        ),
        grid=0.05,
        lead="区交通支队",
        lead_share=0.6,
        difficulty=0.2,
        outdoor=True,
    ),
    Category(
        "供水",
        0.030,
        _subs(
            ("停水", 3, "小区突然停水"),
            ("水压不足", 2, "高层水压不足"),
            ("水质问题", 1, "自来水发黄有异味"),
            ("水管爆裂", 1, "水管爆裂，大量漏水", 0.3),
        ),
        season="water",
        lead="自来水集团",
        lead_share=0.8,
        helpers=("区水务局",),
        whistle=0.2,
        difficulty=0.0,
        emergency=0.0,
        utility=True,
        old_town=0.6,
    ),
    Category(
        "供电",
        0.025,
        _subs(
            ("停电", 3, "家中突然停电"),
            ("电压不稳", 1.5, "电压不稳，电器无法使用"),
            ("电线老化", 1, "楼内电线老化冒火花", 0.3),
        ),
        season="power",
        lead="供电公司",
        lead_share=0.85,
        difficulty=0.0,
        emergency=0.0,
        utility=True,
        old_town=0.6,
    ),
    Category(
        "燃气",
        0.015,
        _subs(
            ("燃气泄漏", 1, "闻到燃气泄漏的味道", 0.9),
            ("燃气表故障", 2, "燃气表故障"),
            ("开通燃气", 1.5, "新房开通燃气"),
        ),
        season="gas",
        lead="燃气集团",
        lead_share=0.85,
        difficulty=-0.1,
        emergency=0.0,
        utility=True,
    ),
    Category(
        "园林绿化",
        0.025,
        _subs(
            ("树木修剪", 3, "树枝遮挡窗户，需要修剪"),
            ("杨柳飞絮", 1.5, "杨柳飞絮严重"),
            ("绿地养护", 1, "绿地缺乏养护"),
        ),
        season="green",
        grid=0.30,
        lead="区园林绿化局",
        lead_share=0.4,
        helpers=("区园林绿化局",),
        whistle=0.3,
        difficulty=-0.1,
        outdoor=True,
    ),
    Category(
        "养老服务",
        0.020,
        _subs(
            ("养老助餐", 2, "社区养老助餐服务"),
            ("居家养老咨询", 2, "居家养老服务补贴"),
        ),
        grid=0.03,
        difficulty=-0.2,
        old_town=1.0,
    ),
    Category(
        "住房保障",
        0.030,
        _subs(
            ("公租房申请咨询", 2, "公租房申请条件"),
            ("房产证办理", 1.5, "房产证迟迟办不下来"),
            ("房屋安全", 1, "房屋墙体开裂", 0.2),
        ),
        lead="区住建委",
        lead_share=0.6,
        helpers=("区住建委",),
        whistle=0.2,
        difficulty=0.7,
        complex=0.25,
    ),
    Category(
        "社区服务",
        0.040,
        _subs(
            ("证明开具咨询", 2, "开具居住证明"),
            ("困难帮扶", 1.5, "家庭生活困难需要帮扶"),
            ("社区活动", 1, "社区文体活动场地"),
        ),
        grid=0.03,
        difficulty=-0.4,
    ),
)

CATEGORY_INDEX = {c.name: i for i, c in enumerate(CATEGORIES)}
