"""Fictional place names and the pools fake personal names are drawn from (sample data only)."""

from __future__ import annotations

DISTRICT = "示范区"

# Plausible but fictional street names (not the streets of any real district).
STREETS = ("东湖街道", "西苑街道", "南河街道", "北塔街道", "中山街道", "新城街道", "龙泉街道", "青年路街道")

COMMUNITIES = tuple(
    f"{stem}社区"
    for stem in (
        "春晖",
        "花园里",
        "青松",
        "锦绣",
        "柳荫",
        "桃源",
        "紫藤",
        "银杏",
        "松鹤",
        "荷塘",
        "梧桐",
        "明珠",
        "星河",
        "枫林",
        "芙蓉",
        "兰亭",
        "凤鸣",
        "栖霞",
        "丹桂",
        "金穗",
        "清水湾",
        "听涛",
        "望月",
        "晨光",
        "朝晖",
        "向阳",
        "育才",
        "康乐",
        "福寿",
        "长青",
        "滨河",
        "嘉园",
        "书香",
        "文苑",
        "广厦",
        "和美",
        "丰泽",
        "瑞祥",
        "安居里",
        "百合",
        "翠竹",
        "玉兰",
        "杏林",
        "绿荫",
        "新桥",
        "双井里",
        "红星",
        "光明里",
        "永安",
        "幸福里",
        "建设里",
        "团结",
        "民主里",
        "东风",
        "前进",
        "胜利里",
        "健康里",
        "茉莉",
        "海棠",
        "芳华",
    )
)

# The most common Chinese surnames, most frequent first (weights fall off like a Zipf law).
SURNAMES = tuple(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏"
    "钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)

# Characters of given names; a given name is one or two of them.
GIVEN_CHARS = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华建国红玉兰萍秀云波辉鹏宇浩凯丹琳晶飞鑫斌宁"
    "欣怡佳琪雪梅燕婷颖慧志海林峰亮坤莉晓光成东文斌瑞祥福禄春秋冬梓涵子轩一诺欣然思远天佑"
)
