"""GI product categories, and the rule that derives one from a product's name.

Most sources give no category (the CNIPA announcements' file has none), so the directory derives
one from the name: a Chinese product name ends with what the product is (五常**大米**, 西湖**龙井
茶**, 阳澄湖**大闸蟹**). The rule looks the name's ending up in `ENDINGS`, longest ending first,
so that 茶油 (oil) wins over 茶 (tea), 海参 (aquatic) over 参 (medicinal), 冬瓜 (vegetable) over
瓜 (fruit); a part in brackets is left out first (太白贝母（咀头产区） → 太白贝母). A name that
ends in nothing listed is "other". Where a source gives a category, it is used instead
(`SOURCE_CATEGORIES`: the classes of the Shaanxi list in gi-products.csv).

The table's choices, where a product could be read two ways:
- meat, poultry and eggs are `meat_and_poultry` (the Shaanxi list files 羊肉 and 乌鸡 under
  processed food; it has no meat class), while cured or dried ones (腊肉, 火腿, 板鸭, 牛肉干) are
  `processed_food`;
- potatoes and sweet potatoes (马铃薯, 土豆, 红薯, 地瓜) are `grain_and_oil`, as China's grain
  statistics count them; 花生, 芝麻, 油 are oil crops: `grain_and_oil`, but pressed 香油/麻油
  and noodles (挂面, 面条), 豆腐, 醋, 蜂蜜 are `processed_food`;
- nuts (核桃, 板栗, 香榧) are `fruit`; 花椒 and 辣椒 are `vegetable`; edible fungi (木耳, 香菇)
  are `vegetable`; 山药 is `vegetable` while the other 药 are `medicinal`;
- flowers are `other` except those used as medicine (金银花, 菊花, 红花).

tests/geo_indications/test_categories.py holds examples, and measures the rule against the
categories the shared gi-products.csv gives.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Category(StrEnum):
    tea = "tea"
    fruit = "fruit"
    grain_and_oil = "grain_and_oil"
    vegetable = "vegetable"
    meat_and_poultry = "meat_and_poultry"
    aquatic = "aquatic"
    medicinal = "medicinal"
    wine_and_spirits = "wine_and_spirits"
    processed_food = "processed_food"
    handicraft = "handicraft"
    other = "other"


_C = Category
# Each line: a category and the name endings that mean it (space-separated).
_TABLE: dict[Category, str] = {
    _C.tea: (
        "茶 茶叶 毛尖 毛峰 仙毫 银毫 毫 茗 猴魁 雀舌 银针 云雾 龙井 碧螺春 普洱 尖 玉露 瓜片 翠兰"
        " 铁观音 观音"
    ),
    _C.fruit: (
        "桃 瓜 果 梨 萄 枣 柚 橙 桔 橘 柑 梅 莓 杏 李 柿 杷 榴 枝 荔 龙眼"
        " 桂圆 蕉 栗 核桃 榧 榛 楂 椹 葚 檬 菠萝 芒 棘 榄 提 子 柿子 李子"
        " 桃子 橘子 松子 松籽 榛子 巴旦姆"
    ),
    _C.vegetable: (
        "菜 椒 卜 萝卜 蒜 笋 芋 葱 菇 耳 姜 藕 薹 茄 芹 韭 菌 荪 蘑 茭白"
        " 蒡 荠 菱 蕨 番茄 甘蓝 冬瓜 南瓜 黄瓜 苦瓜 丝瓜 佛手瓜 瓠瓜 山药 淮山"
        " 头 椿 蒿 豆芽 芽 芥 莲 白莲 莲子 黄花 百合 苣 菜心 冬尖"
    ),
    _C.grain_and_oil: (
        "米 面 面粉 油 茶油 籽油 豆 麦 荞 稞 粱 稷 谷 稻 糯 粳 生 花生 芝麻"
        " 黑芝麻 薯 马铃薯 土豆 洋芋 地瓜 苕 葵 籽"
    ),
    _C.meat_and_poultry: (
        "羊 牛 猪 鸡 鸭 鹅 兔 驴 马 鸽 驼 肉 蛋 鸡蛋 鸭蛋 鹌鹑 羊肉 牛肉 猪肉 羔肉"
    ),
    _C.aquatic: (
        "鱼 虾 蟹 海参 刺参 鳖 龟 蛤 蛏 蚝 蛎 螺 鲍 贝 扇贝 蚬 蚶 蚌 鲤 鲫"
        " 鲢 鳙 鲩 鳢 鳅 鲈 鲌 鲵 鳜 蜇 藻 海带 紫菜 海苔 豚 鱿 鳝 鳗 鱼子"
    ),
    _C.medicinal: (
        "参 芪 归 草 斛 天麻 麻 药 仲 朴 苓 夏 芎 芍 术 芩 芷 萸 庾 杞"
        " 枸杞 贝母 母 银花 金银花 菊 菊花 红花 胡 翘 黄 精 芝 茸 膝 艽 蒌 辛"
        " 葛 根 首乌 乌 活 栀子 味子 附子 枳壳 枳实 冬 艾 蝎 丹 皮 陈皮 仁"
        " 砂仁 实 连 蓉 香 智 志 及 胶 星 梗 桔梗 桂 肉桂 蓼 藿 天 戟 诃子"
        " 藤 皂 断 郁金 蛭 绞股蓝 三七"
    ),
    _C.wine_and_spirits: ("酒 白酒 黄酒 老窖 窖 大曲 特曲 二锅头 烧酒 烧 酿 液"),
    _C.processed_food: (
        "醋 酱 酱油 豆腐 腐乳 腐竹 腐皮 豆豉 粉 粉条 粉丝 米粉 挂面 面条 糖"
        " 红糖 糕 饼 柿饼 粑 糌粑 糍 蜜 蜂蜜 花蜜 干 笋干 腊肉 火腿 腿 板鸭"
        " 烤鸭 肠 香肠 腊肠 榨菜 泡菜 咸菜 乳 奶 奶粉 酥 盐 香油 麻油 脯 果脯"
        " 汤 包 粽 粽子 丸 卤 水 泉水 锅盔 馍 味 腊味 腐 酪 糟 麻花 蒸 肘子"
        " 瓜子 豆瓣 酱笋"
    ),
    _C.handicraft: (
        "瓷 陶 砚 玉 石 绣 编 器 纸 布 毯 丝 蚕丝 绸 丝绸 锦 扇 伞 笔 墨"
        " 瓦 壶 画 雕 影 皮影 炮 花炮 筷 笼 氇 缎 纱 晶 瑙 灯 刀 铜 锡 染"
        " 锅 杯 盏 笛 篮 席 唐卡 盘 珀"
    ),
    _C.other: ("花 瑰 兰 烟 松 木 杉 竹 茧 棉 苎麻 咖啡 珠 毛 绒 纤维 炭"),
}

ENDINGS: dict[str, Category] = {
    ending: category for category, words in _TABLE.items() for ending in words.split()
}
_LONGEST = max(len(ending) for ending in ENDINGS)
_BRACKETS = re.compile(r"[（(][^）)]*[）)]")

# The classes of gi-products.csv's Shaanxi rows (its `category` column).
SOURCE_CATEGORIES: dict[str, Category] = {
    "茶叶类": _C.tea,
    "水果类": _C.fruit,
    "粮食类": _C.grain_and_oil,
    "蔬菜类": _C.vegetable,
    "药材类": _C.medicinal,
    "酒水类": _C.wine_and_spirits,
    "加工食品类": _C.processed_food,
    "工艺品类": _C.handicraft,
    "其他": _C.other,
}


def category_from_name(name: str) -> Category:
    """The category a product's name says, by its ending (see the module's docstring)."""
    bare = _BRACKETS.sub("", name).strip() or name.strip()
    for length in range(min(_LONGEST, len(bare)), 0, -1):
        found = ENDINGS.get(bare[-length:])
        if found is not None:
            return found
    return _C.other
