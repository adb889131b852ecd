"""Demo records: 2,000+ patents and trademarks of every kind and stage, with valid numbers.

Deterministic for a given day (a fixed seed; the demo applicant's deadlines are placed
relative to today so that "due within 30 days" and "in its grace period" always hold).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import msgspec

from backend.inquiries.deadlines import add_months, patent_year_of
from backend.inquiries.importer import EventRow, RecordRow, write_rows
from backend.inquiries.marks import keep_mark_image, word_mark_svg
from backend.inquiries.numbers import check_character
from backend.inquiries.stages import STAGES, stage_order
from backend.inquiries.tables import Record, RecordBinding

SEED = 20261125
RECORD_COUNT = 2000
DEMO_BINDING_CODE = "DEMO2026"

_PLACES = [
    "西安",
    "宝鸡",
    "咸阳",
    "成都",
    "杭州",
    "苏州",
    "深圳",
    "武汉",
    "长沙",
    "昆明",
    "兰州",
    "合肥",
    "南昌",
    "贵阳",
    "太原",
    "郑州",
    "济南",
    "福州",
    "南宁",
    "银川",
]
_TRADES = ["科技", "农业", "食品", "机械", "电子", "生物", "新材料", "茶业", "酒业", "纺织"]
_FORMS = ["有限公司", "股份有限公司", "合作社", "研究院"]
_PEOPLE = ["王建国", "李秀英", "张伟", "刘芳", "陈静", "杨洋", "赵磊", "黄敏", "周杰", "吴丽"]
_ADJECTIVES = ["智能", "节能", "便携式", "自动", "高效", "低噪声", "可折叠", "模块化", "防水"]
_OBJECTS = [
    "灌溉控制装置",
    "茶叶揉捻机",
    "苹果分拣设备",
    "光伏支架",
    "中药提取方法",
    "电池管理系统",
    "输液架",
    "包装盒",
    "播种机",
    "温室大棚",
    "检测电路",
    "猕猴桃保鲜方法",
]
_MARK_WORDS = ["秦", "岭", "禾", "丰", "泉", "云", "鹤", "川", "山", "茗", "田", "月", "星", "源"]
_OFFICIAL = {
    "received": "新案审查",
    "formal_examination": "初审待答复",
    "publication": "公布完成",
    "substantive_examination": "一通出案待答复",
    "grant_formalities": "等年登印费",
    "in_force": "专利权维持",
    "lapsed_restorable": "未缴年费专利权终止,等恢复",
    "ended": "届满终止失效",
    "tm_filed": "申请收文",
    "tm_formal_examination": "形式审查",
    "tm_substantive_examination": "实质审查",
    "tm_opposition": "初审公告",
    "tm_registered": "注册公告",
    "tm_refused": "驳回通知发文",
    "tm_ended": "注销公告",
}
_TYPE_DIGIT = {"invention": "1", "utility_model": "2", "design": "3"}


def _patent_number(rng: random.Random, year: int, kind: str, used: set[str]) -> str:
    while True:
        digits = f"{year}{_TYPE_DIGIT[kind]}{rng.randrange(10**7):07d}"
        if digits not in used:
            used.add(digits)
            return f"{digits}.{check_character(digits)}"


def _trademark_number(rng: random.Random, used: set[str]) -> str:
    while True:
        number = str(rng.randrange(10**7, 10**8))
        if number not in used:
            used.add(number)
            return number


def _applicant(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(_PEOPLE)
    return f"{rng.choice(_PLACES)}{rng.choice(_TRADES)}{rng.choice(_FORMS)}"


def _timeline(rng: random.Random, kind: str, stage: str, filed: dt.date, today: dt.date):
    order = stage_order(kind)
    path = list(order[: order.index(stage) + 1])
    if STAGES[stage].ended or stage in {"lapsed_restorable", "tm_refused"}:
        path = [code for code in path if not STAGES[code].ended and code != "tm_refused"][:4]
        path.append(stage)
    events, day = [], filed
    for code in path:
        events.append(EventRow(date=min(day, today), stage=code, official_status=_OFFICIAL[code]))
        day = day + dt.timedelta(days=rng.randint(20, 200))
    return events


def _row(rng: random.Random, index: int, today: dt.date, used: set[str]) -> RecordRow:
    kind = ("invention", "utility_model", "design", "trademark")[index % 4]
    stage = stage_order(kind)[(index // 4) % len(stage_order(kind))]
    filed = today - dt.timedelta(days=rng.randint(60, 365 * 12))
    events = _timeline(rng, kind, stage, filed, today)
    granted = next((e.date for e in events if e.stage in {"in_force", "tm_registered"}), None)
    paid_year = 0
    if granted and kind != "trademark":
        paid_year = patent_year_of(filed, today)  # maintained up to the current year
    number = (
        _trademark_number(rng, used)
        if kind == "trademark"
        else _patent_number(rng, filed.year, kind, used)
    )
    title = (
        "".join(rng.sample(_MARK_WORDS, 2))
        if kind == "trademark"
        else f"一种{rng.choice(_ADJECTIVES)}{rng.choice(_OBJECTS)}"
    )
    return RecordRow(
        number=number,
        kind=Record.Kind(kind),
        title=title,
        filing_date=filed,
        applicants=_applicant(rng),
        stage=stage,
        official_status=_OFFICIAL[stage],
        agent=rng.choice(["", "西安知本专利代理事务所", "成都天嘉知识产权代理有限公司"]),
        granted_on=granted,
        fees_paid_year=paid_year,
        nice_classes=",".join(str(c) for c in sorted(rng.sample(range(1, 46), 2)))
        if kind == "trademark"
        else "",
        binding_code=f"C{index:07d}",
        events=events,
    )


def _demo_applicant_rows(today: dt.date, used: set[str]) -> list[RecordRow]:
    """A dozen records of the demo applicant, two of them with a fee that needs attention."""
    rng = random.Random(SEED + 1)
    rows = []
    for n in range(12):
        row = _row(rng, n, today, used)
        rows.append(row)
    # An invention in force whose next annual fee falls due in 20 days.
    filed_soon = add_months(today + dt.timedelta(days=20), -12 * 6)
    # A utility model whose fee fell due 40 days ago and is unpaid: in the grace period.
    filed_grace = add_months(today - dt.timedelta(days=40), -12 * 4)
    for slot, filed, kind in ((0, filed_soon, "invention"), (1, filed_grace, "utility_model")):
        granted = filed + dt.timedelta(days=400)
        paid_year = patent_year_of(filed, today - dt.timedelta(days=41 if slot else 0))
        if slot == 0:
            paid_year = patent_year_of(filed, today)  # the current year is paid
        digits = rows[slot].number.split(".")[0]
        digits = f"{filed.year}{_TYPE_DIGIT[kind]}{digits[5:]}"
        number = f"{digits}.{check_character(digits)}"
        rows[slot] = RecordRow(
            number=number,
            kind=Record.Kind(kind),
            title=rows[slot].title,
            filing_date=filed,
            applicants="张三",
            stage="in_force",
            official_status="专利权维持",
            granted_on=granted,
            fees_paid_year=paid_year,
            binding_code=DEMO_BINDING_CODE,
            events=[
                EventRow(date=filed, stage="received", official_status="新案审查"),
                EventRow(
                    date=granted,
                    stage="in_force",
                    official_status="专利权维持",
                    document="授予专利权通知书",
                ),
            ],
        )
    return [
        row
        if row.applicants == "张三"
        else RecordRow(
            **{
                **_fields(row),
                "applicants": f"张三; {row.applicants}",
                "binding_code": DEMO_BINDING_CODE,
            }
        )
        for row in rows
    ]


def _with_word_mark(row: RecordRow, marks_dir: Path) -> RecordRow:
    address = keep_mark_image(word_mark_svg(row.title), ".svg", marks_dir)
    return msgspec.structs.replace(row, mark_image=address)


def _fields(row: RecordRow) -> dict:
    return {name: getattr(row, name) for name in row.__struct_fields__}


async def load_demo_records(
    demo_applicant_id: int, today: dt.date, marks_dir: Path | None = None
) -> int:
    """Load into an empty database only; returns how many records were created. With
    `marks_dir`, every other demo trademark gets its word mark as an image."""
    if await Record.count() > 0:
        return 0
    rng = random.Random(SEED)
    used: set[str] = set()
    rows = [_row(rng, index, today, used) for index in range(RECORD_COUNT)]
    if marks_dir is not None:
        rows = [
            _with_word_mark(row, marks_dir) if row.kind == "trademark" and index % 8 == 3 else row
            for index, row in enumerate(rows)
        ]
    own = _demo_applicant_rows(today, used)
    result = await write_rows(rows + own)
    numbers = [row.number for row in own]
    for record in await Record.objects().where(Record.number.is_in(numbers)):
        if not await RecordBinding.exists().where(
            (RecordBinding.account == demo_applicant_id) & (RecordBinding.record == record.id)
        ):
            await RecordBinding(account=demo_applicant_id, record=record.id).save()
    return result.created
