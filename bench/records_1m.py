"""Records at scale: look-up by number, search by applicant and the records whose number begins
with the digits typed, with 1,000,000 records, timed at the database (the service functions
`record_by_number`, `search` and `records_by_number_prefix`, no HTTP), on SQLite and PostgreSQL.
The target (issue "Handheld inquiries") is under 5 ms for each on both engines.

    .venv/bin/python bench/records_1m.py                 # both engines, 1,000,000 records
    .venv/bin/python bench/records_1m.py --records 50000 --engines sqlite   # a quick try

A benchmark, not a test: pytest never collects it. For each engine a fresh database — an SQLite
file in a temporary folder, or the PostgreSQL database `iph_bench_1m` (dropped at the end unless
--keep) — is migrated with the app's migrations and filled by bulk inserts (executemany on
SQLite, COPY on PostgreSQL), not by the per-row importer. The search terms are made by the
function the importer uses (`backend.inquiries.search.record_terms`). Each engine runs in a child
process: the app reads its database from the environment when it is imported. Each timed call
runs three times in a row (`--repeat`): the first run and the best are reported. Prints Markdown
tables; bench/RECORDS.md holds the figures and how to read them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import io
import json
import math
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "iph_bench_1m"
CHUNK = 20_000  # records generated and written per round
TABLES = ("record", "record_search_term", "search_term")


def words(text: str) -> list[str]:
    return text.split()


# Vocabulary of the generated records: enough variety that a 1,000,000-record database has
# applicant substrings of every frequency, from a company form held by most records to a
# person's name held by a handful.
PLACES = words(
    "北京 上海 天津 重庆 西安 宝鸡 咸阳 渭南 延安 汉中 榆林 安康 商洛 铜川 成都 绵阳 德阳 杭州 "
    "宁波 温州 苏州 无锡 常州 南京 合肥 芜湖 武汉 宜昌 长沙 株洲 广州 深圳 东莞 佛山 厦门 福州 "
    "泉州 济南 青岛 烟台 郑州 洛阳 太原 大同 兰州 天水 银川 西宁 昆明 贵阳 南宁 桂林 南昌 赣州 "
    "沈阳 大连 长春 哈尔滨 石家庄 保定 唐山 呼和浩特 乌鲁木齐 拉萨 海口"
)
SHOP_CHARS = (
    "华瑞盛泰恒鑫源丰达通信诚德宏兴隆祥康利嘉豪凯旭晨阳光明辉星月海天宇博雅睿智创新航腾飞龙凤麟"
    "鹏鸿锦绣秦岭渭川黄河长城中金银铜玉竹松柏梅兰菊荷禾谷麦豆绿青蓝紫红橙白云山水林森园春夏秋冬"
)
TRADES = words(
    "科技 农业 食品 机械 电子 生物 新材料 茶业 酒业 纺织 医药 化工 能源 环保 建材 汽车 信息 "
    "软件 光电 仪器 装备 制药 果业 物流"
)
FORMS = ["有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司", "合作社", "研究院"]
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国文辉鹏飞宇浩然子轩梓涵诺欣怡雨萱俊志燕梅东立"
)
ADJECTIVES = words(
    "智能 节能 便携式 自动 高效 低噪声 可折叠 模块化 防水 多功能 新型 环保型 一体化 远程 无线 "
    "双层 可调节 耐高温 轻量化 柔性"
)
OBJECTS = words(
    "灌溉控制装置 茶叶揉捻机 苹果分拣设备 光伏支架 中药提取方法 电池管理系统 输液架 包装盒 "
    "播种机 温室大棚 检测电路 猕猴桃保鲜方法 数据采集终端 电机驱动器 水处理设备 粉碎机 烘干装置 "
    "显示面板 传感器 机器人夹爪 输送带 空气净化器 储能柜 无人机 充电桩 发酵罐 过滤器 阀门 轴承座 "
    "散热器"
)
SUFFIXES = ["", "", "", "及其制备方法", "的控制方法", "及系统", "和应用"]
SYLLABLES = words("qin feng hua tai long xin yuan da tong sheng kang rui jia bo ya chuang ming hui")
LATIN_TRADES = words("Technology Agriculture Foods Machinery Electronics Biotech Materials Pharma")
KINDS = ("invention", "utility_model", "design", "trademark")
TYPE_DIGIT = {"invention": "1", "utility_model": "2", "design": "3"}
STATUS = {"patent": ("in_force", "专利权维持"), "trademark": ("tm_registered", "注册公告")}
FIRST_FILING, LAST_FILING = dt.date(2003, 10, 1), dt.date(2026, 10, 31)
RECORD_COLUMNS = (
    "id",
    "number",
    "kind",
    "title",
    "mark_image",
    "nice_classes",
    "filing_date",
    "granted_on",
    "fees_paid_year",
    "applicants",
    "agent",
    "stage",
    "official_status",
    "binding_code_hash",
    "updated_at",
)
APPLICANT_CLASSES = ("1 character", "2 characters", "3–4 characters", "a whole applicant")


# Generating the records.


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.serials: Counter[tuple[int, str]] = Counter()
        self.now = dt.datetime.now(dt.UTC)
        self.days = (LAST_FILING - FIRST_FILING).days

    def company(self) -> str:
        rng = self.rng
        shop = rng.choice(SHOP_CHARS) + rng.choice(SHOP_CHARS)
        return f"{rng.choice(PLACES)}{shop}{rng.choice(TRADES)}{rng.choice(FORMS)}"

    def person(self) -> str:
        rng = self.rng
        given = "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))
        return rng.choice(SURNAMES) + given

    def latin_company(self) -> str:
        rng = self.rng
        name = "".join(rng.sample(SYLLABLES, 2)).capitalize()
        return f"Shaanxi {name} {rng.choice(LATIN_TRADES)} Co., Ltd."

    def applicants(self) -> str:
        roll = self.rng.random()
        if roll < 0.70:
            return self.company()
        if roll < 0.82:
            return self.person()
        if roll < 0.94:
            return f"{self.company()}; {self.person()}"
        if roll < 0.97:
            return f"{self.company()}; {self.company()}"
        return self.latin_company()

    def title(self, kind: str) -> str:
        rng = self.rng
        if kind == "trademark":
            if rng.random() < 0.05:
                return "".join(rng.sample(SYLLABLES, 2)).upper()
            return "".join(rng.sample(SHOP_CHARS, rng.choice((2, 2, 3))))
        if kind == "design":
            return f"{rng.choice(ADJECTIVES)}{rng.choice(OBJECTS)}"
        return f"一种{rng.choice(ADJECTIVES)}{rng.choice(OBJECTS)}{rng.choice(SUFFIXES)}"

    def number(self, index: int, kind: str, filed: dt.date) -> str:
        from backend.inquiries.numbers import check_character

        if kind == "trademark":
            return str(10_000_000 + index)
        key = (filed.year, kind)
        self.serials[key] += 1
        digits = f"{filed.year}{TYPE_DIGIT[kind]}{self.serials[key]:07d}"
        return f"{digits}.{check_character(digits)}"

    def record(self, record_id: int) -> tuple:
        rng = self.rng
        kind = rng.choices(KINDS, weights=(40, 25, 10, 25))[0]
        filed = FIRST_FILING + dt.timedelta(days=rng.randrange(self.days))
        number = self.number(record_id, kind, filed)
        stage, status = STATUS["trademark" if kind == "trademark" else "patent"]
        granted = filed + dt.timedelta(days=rng.randint(200, 900))
        return (
            record_id,
            number,
            kind,
            self.title(kind),
            "",
            "9,35" if kind == "trademark" else "",
            filed,
            granted,
            0 if kind == "trademark" else rng.randint(1, 10),
            self.applicants(),
            "",
            stage,
            status,
            hashlib.sha256(f"{number}:BENCH".encode()).hexdigest(),
            self.now,
        )

    def chunks(self, count: int, first_id: int = 1) -> Iterator[list[tuple]]:
        end = first_id + count
        for start in range(first_id, end, CHUNK):
            yield [self.record(i) for i in range(start, min(start + CHUNK, end))]


def with_terms(records: list[tuple], counts: Counter[str], next_id: int) -> list[tuple]:
    """The search-term rows (id, term, filing_date, record) of the records, made by the app's
    own function; `counts` gathers how many records hold each term."""
    from backend.inquiries.search import record_terms

    rows = []
    for record in records:
        record_id, title, filed, applicants = record[0], record[3], record[6], record[9]
        terms = record_terms(title, applicants)
        counts.update(terms)
        for term in terms:
            rows.append((next_id, term, filed, record_id))
            next_id += 1
    return rows


# Loading: indexes other than primary keys and unique constraints are dropped first and built
# again at the end (a sorted build is far quicker than 45 million random index inserts).


# Loading into a database that already holds records (`iph setup`'s demo records, for
# bench/profiles_table.py): ids continue after theirs, a generated number they hold already is
# left out, and the term counts are added to theirs.
SEARCH_TERM_UPSERT = (
    "INSERT INTO search_term (term, records) {} ON CONFLICT (term) "
    "DO UPDATE SET records = search_term.records + excluded.records"
)


def load_sqlite(path: str, count: int, seed: int) -> dict:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=OFF")  # for the load only
    connection.execute("PRAGMA cache_size=-1000000")
    placeholders = ", ".join("?" * len(TABLES))
    indexes = connection.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({placeholders})",
        TABLES,
    ).fetchall()
    for name, _ in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    started = time.perf_counter()
    counts: Counter[str] = Counter()
    held = {number for (number,) in connection.execute("SELECT number FROM record")}
    (first_id,) = connection.execute("SELECT coalesce(max(id), 0) + 1 FROM record").fetchone()
    (first_term,) = connection.execute(
        "SELECT coalesce(max(id), 0) FROM record_search_term"
    ).fetchone()
    term_rows = first_term
    record_sql = (
        f"INSERT INTO record ({', '.join(RECORD_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(RECORD_COLUMNS))})"
    )
    for chunk in Generator(seed).chunks(count, first_id):
        records = [record for record in chunk if record[1] not in held]
        terms = with_terms(records, counts, term_rows + 1)
        term_rows += len(terms)
        connection.execute("BEGIN")
        connection.executemany(record_sql, (_sqlite_values(record) for record in records))
        connection.executemany(
            "INSERT INTO record_search_term (id, term, filing_date, record) VALUES (?, ?, ?, ?)",
            ((i, term, filed.isoformat(), record) for i, term, filed, record in terms),
        )
        connection.execute("COMMIT")
    connection.execute("BEGIN")
    connection.executemany(SEARCH_TERM_UPSERT.format("VALUES (?, ?)"), sorted(counts.items()))
    connection.execute("COMMIT")
    loaded = time.perf_counter()
    for _, sql in indexes:
        connection.execute(sql)
    indexed = time.perf_counter()
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return {
        "insert_s": loaded - started,
        "index_s": indexed - loaded,
        "term_rows": term_rows - first_term,
        "terms": len(counts),
        "counts": counts,
    }


def _sqlite_values(record: tuple) -> tuple:
    # As Piccolo stores them on SQLite: ISO dates, str() of an aware datetime.
    values = list(record)
    values[6], values[7], values[14] = values[6].isoformat(), values[7].isoformat(), str(values[14])
    return tuple(values)


async def load_postgres(url: str, count: int, seed: int) -> dict:
    import asyncpg

    connection = await asyncpg.connect(url)
    indexes = await connection.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY($1) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        list(TABLES),
    )
    for index in indexes:
        await connection.execute(f'DROP INDEX "{index["indexname"]}"')
    started = time.perf_counter()
    counts: Counter[str] = Counter()
    held = {row["number"] for row in await connection.fetch("SELECT number FROM record")}
    first_id = await connection.fetchval("SELECT coalesce(max(id), 0) + 1 FROM record")
    first_term = await connection.fetchval("SELECT coalesce(max(id), 0) FROM record_search_term")
    term_rows = first_term
    for chunk in Generator(seed).chunks(count, first_id):
        records = [record for record in chunk if record[1] not in held]
        terms = with_terms(records, counts, term_rows + 1)
        term_rows += len(terms)
        async with connection.transaction():
            await connection.copy_records_to_table(
                "record", records=records, columns=RECORD_COLUMNS
            )
            await connection.copy_records_to_table(
                "record_search_term",
                records=terms,
                columns=("id", "term", "filing_date", "record"),
            )
    async with connection.transaction():
        await connection.execute(
            "CREATE TEMPORARY TABLE loaded_term (term varchar(32), records integer) ON COMMIT DROP"
        )
        await connection.copy_records_to_table(
            "loaded_term", records=sorted(counts.items()), columns=("term", "records")
        )
        await connection.execute(
            SEARCH_TERM_UPSERT.format("SELECT term, records FROM loaded_term ORDER BY term")
        )
    for table in TABLES:  # the app's own inserts continue after the loaded ids
        await connection.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )
    loaded = time.perf_counter()
    await connection.execute("SET maintenance_work_mem = '1GB'")
    for index in indexes:
        await connection.execute(index["indexdef"])
    # What autovacuum does to freshly inserted tables: statistics, and the visibility map that
    # lets index-only scans skip the table.
    await connection.execute(f"VACUUM ANALYZE {', '.join(TABLES)}")
    indexed = time.perf_counter()
    await connection.close()
    return {
        "insert_s": loaded - started,
        "index_s": indexed - loaded,
        "term_rows": term_rows - first_term,
        "terms": len(counts),
        "counts": counts,
    }


async def database_sizes(engine: str, url: str) -> dict:
    if engine == "sqlite":
        path = sqlite_path()
        files = [path, path.with_name(path.name + "-wal")]
        return {"database": sum(f.stat().st_size for f in files if f.exists())}
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        sizes = {
            "database": await connection.fetchval("SELECT pg_database_size(current_database())")
        }
        for table in ("record", "record_search_term"):
            sizes[table] = await connection.fetchval("SELECT pg_total_relation_size($1)", table)
        return sizes
    finally:
        await connection.close()


# Measuring.


def typed_forms(number: str, rng: random.Random) -> str:
    """The number as a person might type it."""
    if "." not in number:
        return rng.choice((number, f" {number} ", f"{number[:4]} {number[4:]}"))
    digits, check = number.split(".")
    return rng.choice((number, f"CN{number}", f"ZL {digits}.{check}", f"{digits}{check}"))


def applicant_queries(sample: list[tuple], per_class: int, rng: random.Random) -> list[tuple]:
    queries = []
    for label in APPLICANT_CLASSES:
        while sum(1 for q in queries if q[0] == label) < per_class:
            applicant = rng.choice(rng.choice(sample)[9].split("; "))
            if label == "a whole applicant":
                queries.append((label, applicant))
                continue
            length = {"1 character": 1, "2 characters": 2}.get(label) or rng.choice((3, 4))
            start = rng.randrange(max(1, len(applicant) - length + 1))
            part = applicant[start : start + length]
            if len(part) == length and part.strip() == part and part.strip(" ,.;"):
                queries.append((label, part))
    return queries


def title_queries(sample: list[tuple], count: int, rng: random.Random) -> list[tuple]:
    queries = []
    while len(queries) < count:
        title = rng.choice(sample)[3]
        length = rng.choice((2, 3, 4))
        start = rng.randrange(max(1, len(title) - length + 1))
        part = title[start : start + length]
        if part.strip() == part:
            queries.append(("title or mark name, 2–4 characters", part))
    return queries


# The first digits of a number (service.records_by_number_prefix): patents and trademarks, typed
# in the forms the parser forgives; and the last page a short prefix can show.
PREFIX_CLASSES = (
    ("patent, 6 digits", "patent", 6),
    ("patent, 7 digits", "patent", 7),
    ("patent, 8 digits", "patent", 8),
    ("patent, 10 digits", "patent", 10),
    ("trademark, 6 digits", "trademark", 6),
    ("trademark, 7 digits", "trademark", 7),
)
LAST_PAGE_CLASS = "patent, 6 digits, page 50 (the last a prefix shows)"


def typed_prefix(digits: str, rng: random.Random) -> str:
    """The first digits of a number as a person might type them."""
    forms = (digits, f"ZL {digits[:4]} {digits[4:]}", f"CN{digits}", f"{digits[:4]}-{digits[4:]}")
    return rng.choice(forms)


def prefix_queries(sample: list[tuple], per_class: int, rng: random.Random) -> list[tuple]:
    patents = [record[1] for record in sample if record[2] != "trademark"]
    trademarks = [record[1] for record in sample if record[2] == "trademark"]
    queries = []
    for label, kind, length in PREFIX_CLASSES:
        numbers = patents if kind == "patent" else trademarks
        for _ in range(per_class):
            queries.append((label, typed_prefix(rng.choice(numbers)[:length], rng)))
    return queries


LATIN_CLASS = "a Latin name, whole or from inside one word to inside another"
PAIRS_ONLY_CLASS = "the same Latin names with pairs only (the plan before words)"
NO_SPACES_CLASS = "the same Latin names without space terms (the plan before them)"


def latin_queries(sample: list[tuple], count: int, rng: random.Random) -> list[tuple]:
    """The slow case of a pairs-only index: Latin company names, whole (a third) or cut inside
    a word at each end ("anxi Huihua Materials C")."""
    names = [r[9] for r in sample if r[9].isascii()]
    queries = []
    while len(queries) < count:
        name = rng.choice(names)
        if len(queries) % 3 == 0:
            queries.append((LATIN_CLASS, name))
            continue
        start = rng.randrange(1, name.index(" "))
        end = rng.randrange(name.index(" ", start) + 2, len(name))
        part = name[start:end]
        if part.strip() == part:
            queries.append((LATIN_CLASS, part))
    return queries


def pairs_only(needle: str) -> set[str]:
    """`search.query_terms` as it was before words were terms."""
    from backend.inquiries.search import search_terms

    terms = {term for term in search_terms(needle) if len(term) <= 2}
    return {term for term in terms if len(term) == 2} or terms


def without_space_terms(query_terms):
    """`search.query_terms` as it was before space terms ("i c") were terms."""
    from backend.inquiries.search import is_space_term

    return lambda needle: {term for term in query_terms(needle) if not is_space_term(term)}


def no_match_queries(count: int, rng: random.Random) -> list[tuple]:
    return [
        ("no match (3 characters of the vocabulary)", "".join(rng.sample(SHOP_CHARS + GIVEN, 3)))
        for _ in range(count)
    ]


def other_cores(seconds: float = 2.0) -> float:
    """Cores that other processes kept busy over `seconds` (the machine's busy time from
    /proc/stat, less this process's own CPU time)."""

    def busy_seconds() -> float:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")

    own, busy, started = sum(os.times()[:2]), busy_seconds(), time.monotonic()
    time.sleep(seconds)
    others = (busy_seconds() - busy) - (sum(os.times()[:2]) - own)
    return max(0.0, others / (time.monotonic() - started))


def wait_for_quiet(max_wait: float, threshold: float = 0.25) -> float:
    """The machine is shared (test suites, browsers): wait until others use little CPU."""
    deadline = time.monotonic() + max_wait
    others = other_cores()
    while others > threshold and time.monotonic() < deadline:
        others = other_cores()
    return others


def percentiles(timings: list[float]) -> dict:
    ordered = sorted(timings)
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered),
        "p99": ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)],
        "max": ordered[-1],
    }


async def like_search(query: str, limit: int = 20) -> list[str]:
    """The search as it was before the index: a LIKE scan of every record."""
    from backend.inquiries.tables import Record

    pattern = f"%{query}%"
    rows = (
        await Record.select(Record.number)
        .where(Record.title.like(pattern) | Record.applicants.like(pattern))
        .order_by(Record.filing_date, Record.id, ascending=False)
        .limit(limit)
    )
    return [row["number"] for row in rows]


async def measure(args: argparse.Namespace, counts: Counter[str]) -> dict:
    from backend.core.database import close_engine, open_engine
    from backend.inquiries import search, service
    from backend.inquiries.search import query_terms
    from backend.inquiries.tables import Record

    engine = Record._meta.db
    await open_engine(engine)
    rng = random.Random(args.seed + 1)
    generator = Generator(args.seed)  # the same records again, to draw queries from
    sample = [record for chunk in generator.chunks(min(args.records, 200_000)) for record in chunk]
    numbers = [
        (n, typed_forms(n, rng)) for n in (rng.choice(sample)[1] for _ in range(args.lookups))
    ]
    per_class = args.searches // len(APPLICANT_CLASSES)
    searches = (
        applicant_queries(sample, per_class, rng)
        + title_queries(sample, args.searches // 2, rng)
        + no_match_queries(args.searches // 4, rng)
        + latin_queries(sample, args.searches // 4, rng)
    )
    rng.shuffle(searches)
    prefixes = prefix_queries(sample, args.prefixes, random.Random(args.seed + 2))
    quiet = wait_for_quiet(args.max_wait)
    for _, text in numbers[:50]:  # warm-up: connections, caches
        await service.record_by_number(text)
    for _, query in searches[:20]:
        await service.search(query)
    for _, query in prefixes[:20]:
        await service.records_by_number_prefix(query)

    lookups: list[tuple[float, float]] = []
    for number, text in numbers:
        found_record, first, best = await timed(service.record_by_number, text, args.repeat)
        lookups.append((first, best))
        assert found_record.number == number, (number, text)

    by_class: dict[str, list[tuple[float, float]]] = {}
    rarest: dict[str, list[int]] = {}
    results: dict[str, list[int]] = {}
    slowest: list[tuple[float, float, str]] = []

    async def time_search(label: str, query: str, terms_of) -> list:
        found, first, best = await timed(service.search, query, args.repeat)
        folded = query.casefold()
        assert all(folded in f"{r.title}\n{r.applicants}".casefold() for r in found), query
        if not label.startswith("no match"):
            assert found, f"nothing found for {query!r}, taken from a record"
        by_class.setdefault(label, []).append((first, best))
        rarest.setdefault(label, []).append(min(counts.get(t, 0) for t in terms_of(folded)))
        results.setdefault(label, []).append(len(found))
        return [first, best, query]

    for label, query in searches:
        slowest.append(await time_search(label, query, query_terms))
    latin = [query for label, query in searches if label == LATIN_CLASS]
    with mock.patch.object(search, "query_terms", pairs_only):
        for query in latin:
            await time_search(PAIRS_ONLY_CLASS, query, pairs_only)
    slowest_before: list[list] = []
    before_spaces = without_space_terms(query_terms)
    with mock.patch.object(search, "query_terms", before_spaces):
        for query in latin:
            slowest_before.append(await time_search(NO_SPACES_CLASS, query, before_spaces))
    slowest_before.sort(reverse=True)
    slowest.sort(reverse=True)

    async def last_page(query: str):
        return await service.records_by_number_prefix(query, page=50)

    by_prefix: dict[str, list[tuple[float, float]]] = {}
    prefix_results: dict[str, list[tuple[int, int]]] = {}
    six_digits = [query for label, query in prefixes if label == PREFIX_CLASSES[0][0]]
    for label, query, call in [
        *((label, query, service.records_by_number_prefix) for label, query in prefixes),
        *((LAST_PAGE_CLASS, query, last_page) for query in six_digits),
    ]:
        found, first, best = await timed(call, query, args.repeat)
        assert found.records, f"nothing listed for {query!r}, taken from a number held"
        assert all(hit.number.startswith(found.digits) for hit in found.records), query
        by_prefix.setdefault(label, []).append((first, best))
        shown = found.total + (1 if found.total_is_lower_bound else 0)
        prefix_results.setdefault(label, []).append((len(found.records), shown))

    comparison = []
    chinese = [q for label, q in searches if label == "2 characters" and not q.isascii()]
    for query in chinese[: args.like_queries]:
        started = time.perf_counter()
        expected = await like_search(query)
        like_ms = (time.perf_counter() - started) * 1000
        got = [record.number for record in await service.search(query)]
        assert got == expected, (query, got, expected)  # the same records, in the same order
        comparison.append(like_ms)
    await close_engine(engine)

    applicant_all = [t for label in APPLICANT_CLASSES for t in by_class[label]]
    return {
        "lookup": both_percentiles(lookups),
        "search_applicant": both_percentiles(applicant_all),
        "classes": {
            label: {
                **both_percentiles(timings),
                "n": len(timings),
                "rarest_min": min(rarest[label]),
                "rarest_max": max(rarest[label]),
                "results_median": statistics.median(results[label]),
            }
            for label, timings in by_class.items()
        },
        "like": {"once": percentiles(comparison)} if comparison else None,
        "prefix_first_pages": both_percentiles(
            [t for label, timings in by_prefix.items() if label != LAST_PAGE_CLASS for t in timings]
        ),
        "prefixes": {
            label: {
                **both_percentiles(timings),
                "n": len(timings),
                "listed_median": statistics.median(n for n, _ in prefix_results[label]),
                "total_min": min(total for _, total in prefix_results[label]),
                "total_max": max(total for _, total in prefix_results[label]),
            }
            for label, timings in by_prefix.items()
        },
        "others_before": quiet,
        "slowest": slowest[:5],
        "slowest_without_space_terms": slowest_before[:5],
        "latin_with_space_terms": {
            query: [first, best] for first, best, query in slowest if query in latin
        },
    }


async def timed(call, argument: str, repeat: int) -> tuple[object, float, float]:
    """The answer, the first call's milliseconds and the best of `repeat` calls'."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = await call(argument)
        timings.append((time.perf_counter() - started) * 1000)
    return answer, timings[0], min(timings)


def both_percentiles(pairs: list[tuple[float, float]]) -> dict:
    return {
        "once": percentiles([first for first, _ in pairs]),
        "best": percentiles([best for _, best in pairs]),
    }


# One engine, in its own process (the app reads its database from the environment at import).


async def run_engine(args: argparse.Namespace) -> dict:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        migrated = await run_forwards(app_name="all")
    assert migrated.success, log.getvalue()
    url = os.environ["IPH_DATABASE_URL"]
    if args.child == "sqlite":
        loaded = load_sqlite(str(sqlite_path()), args.records, args.seed)
    else:
        loaded = await load_postgres(url, args.records, args.seed)
    counts = loaded.pop("counts")
    figures = await measure(args, counts)
    return {
        **loaded,
        **figures,
        "sizes": await database_sizes(args.child, url),
        "loadavg": os.getloadavg()[0],
        "version": await _engine_version(args.child, url),
    }


def sqlite_path() -> Path:
    from backend.settings import Settings

    return Settings.from_env().sqlite_path


async def _engine_version(engine: str, url: str) -> str:
    if engine == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return "PostgreSQL " + await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()


def spawn(engine: str, args: argparse.Namespace, var_dir: str, url: str) -> dict:
    environment = {
        **os.environ,
        "PICCOLO_CONF": "backend.piccolo_conf",
        "IPH_VAR_DIR": var_dir,
        "IPH_DATABASE_URL": url,
        "IPH_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, __file__, "--child", engine, *_passed_on(args)]
    output = subprocess.run(
        command, env=environment, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def _passed_on(args: argparse.Namespace) -> list[str]:
    return [
        f"--records={args.records}",
        f"--lookups={args.lookups}",
        f"--searches={args.searches}",
        f"--prefixes={args.prefixes}",
        f"--like-queries={args.like_queries}",
        f"--seed={args.seed}",
        f"--max-wait={args.max_wait}",
        f"--repeat={args.repeat}",
    ]


async def _postgres(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def run_all(args: argparse.Namespace) -> None:
    figures: dict[str, dict] = {}
    for engine in args.engines:
        var_dir = tempfile.mkdtemp(prefix="iph-bench-records-")
        if engine == "sqlite":
            url = f"sqlite:///{var_dir}/records.sqlite3"
        else:
            parts = urlsplit(args.postgres_url)
            url = urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))
            asyncio.run(_postgres(args.postgres_url, f"DROP DATABASE IF EXISTS {BENCH_DATABASE}"))
            asyncio.run(_postgres(args.postgres_url, f"CREATE DATABASE {BENCH_DATABASE}"))
        started = time.perf_counter()
        try:
            figures[engine] = spawn(engine, args, var_dir, url)
            figures[engine]["wall_s"] = time.perf_counter() - started
        finally:
            if args.keep:
                print(f"kept {engine}: {url}", file=sys.stderr)
            else:
                if engine == "postgresql":
                    asyncio.run(
                        _postgres(
                            args.postgres_url,
                            f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)",
                        )
                    )
                subprocess.run(["rm", "-rf", var_dir], check=False)
    print(markdown(args, figures))


# Report.


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{stamp}; {model}, {os.cpu_count()} cores (nproc), Python {platform.python_version()}"


def markdown(args: argparse.Namespace, figures: dict[str, dict]) -> str:
    engines = list(figures)
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

    def row(label: str, *cells) -> str:
        return f"| {label} | " + " | ".join(cells) + " |"

    def data_row(label: str, cell) -> str:
        return row(label, *(cell(figures[e]) for e in engines))

    def timing(stats: dict | None) -> str:
        if not stats:
            return "–"
        return f"{stats['p50']:.2f} / {stats['p99']:.2f} / {stats['max']:.2f}"

    def timing_row(label: str, pick) -> str:
        cells = []
        for engine in engines:
            stats = pick(figures[engine]) or {}
            cells += [timing(stats.get("once")), timing(stats.get("best"))]
        return row(label, *cells)

    lines = [
        f"Measured {machine()}; " + ", ".join(figures[e]["version"] for e in engines) + ".",
        "",
        "| | " + " | ".join(names[e] for e in engines) + " |",
        "|---|" + "--:|" * len(engines),
        data_row("records", lambda f: f"{args.records:,}"),
        data_row(
            "search-term rows (distinct terms)", lambda f: f"{f['term_rows']:,} ({f['terms']:,})"
        ),
        data_row("generate + bulk insert, s", lambda f: f"{f['insert_s']:.0f}"),
        data_row(
            "build indexes (+ VACUUM ANALYZE on PostgreSQL), s", lambda f: f"{f['index_s']:.0f}"
        ),
        data_row("database size", lambda f: _size(f["sizes"])),
        data_row(
            "cores other processes used just before timing (load average after)",
            lambda f: f"{f['others_before']:.2f} ({f['loadavg']:.2f})",
        ),
        "",
        f"Milliseconds, p50 / p99 / max. *Once*: each call's first run; *best of {args.repeat}*: "
        f"the fastest of {args.repeat} runs in a row of the same call.",
        "",
        "| | "
        + " | ".join(f"{names[e]} once | {names[e]} best of {args.repeat}" for e in engines)
        + " |",
        "|---|" + "--:|" * (2 * len(engines)),
        timing_row(f"**look-up by number** ({args.lookups:,})", lambda f: f["lookup"]),
        timing_row(
            "**search by applicant** (the four classes below)", lambda f: f["search_applicant"]
        ),
    ]
    labels = list(next(iter(figures.values()))["classes"])
    ordered = [label for label in APPLICANT_CLASSES if label in labels] + [
        label for label in labels if label not in APPLICANT_CLASSES
    ]
    for label in ordered:
        some = figures[engines[0]]["classes"][label]
        lines.append(
            timing_row(
                f"— {label} ({some['n']}; rarest term in {some['rarest_min']:,}–"
                f"{some['rarest_max']:,} records; median {some['results_median']:g} results)",
                lambda f, label=label: f["classes"][label],
            )
        )
    lines.append(
        timing_row(
            f"before: the LIKE scan, {args.like_queries} two-character queries",
            lambda f: f["like"],
        )
    )
    prefix_labels = list(next(iter(figures.values()))["prefixes"])
    lines.append(
        timing_row(
            "**first digits of a number**, first page (the six classes below)",
            lambda f: f["prefix_first_pages"],
        )
    )
    for label in prefix_labels:
        some = figures[engines[0]]["prefixes"][label]
        total = (
            f"{some['total_min']:,}"
            if some["total_min"] == some["total_max"]
            else f"{some['total_min']:,}–{some['total_max']:,}"
        )
        lines.append(
            timing_row(
                f"— {label} ({some['n']}; median {some['listed_median']:g} listed of "
                f"{total} counted, 1,001 = more than 1,000)",
                lambda f, label=label: f["prefixes"][label],
            )
        )
    for engine in engines:
        title = f"Slowest searches on {names[engine]} (once / best of {args.repeat}, ms):"
        lines += ["", title, ""]
        lines += [
            f"- {first:.2f} / {best:.2f} `{query}`"
            for first, best, query in figures[engine]["slowest"]
        ]
    for engine in engines:
        title = (
            f"Slowest Latin names without space terms on {names[engine]} (once / best, ms;"
            " with them in brackets):"
        )
        with_them = figures[engine]["latin_with_space_terms"]
        lines += ["", title, ""]
        lines += [
            f"- {first:.2f} / {best:.2f} `{query}` ({with_them[query][0]:.2f} /"
            f" {with_them[query][1]:.2f})"
            for first, best, query in figures[engine]["slowest_without_space_terms"]
        ]
    return "\n".join(lines)


def _size(sizes: dict) -> str:
    text = f"{sizes['database'] / 1e9:.2f} GB"
    if "record_search_term" in sizes:
        text += (
            f" (record {sizes['record'] / 1e9:.2f}, "
            f"record_search_term {sizes['record_search_term'] / 1e9:.2f}, with indexes)"
        )
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--engines", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"]
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="a maintenance DB")
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=200, help="by applicant, in 4 classes")
    parser.add_argument(
        "--prefixes", type=int, default=50, help="first digits of numbers, per class of 6"
    )
    parser.add_argument("--like-queries", type=int, default=5, help="timed with the old LIKE")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timed call")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--max-wait", type=float, default=300, help="seconds to wait for a quiet machine"
    )
    parser.add_argument("--child", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        figures = asyncio.run(run_engine(args))
        print(json.dumps(figures))
    else:
        run_all(args)


if __name__ == "__main__":
    main()
