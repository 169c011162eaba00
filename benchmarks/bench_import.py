"""Benchmark: import 1,000,000 rows of a generic 12345 export (Chinese headers) on SQLite, PostgreSQL, MariaDB.

    python -m benchmarks.bench_import [--rows 1000000] [--backends sqlite,postgresql,mysql]
                                      [--postgres-url URL] [--mysql-url URL] [--batch-size 5000]

It writes a synthetic CSV (GB18030 by default: the usual encoding of Chinese government exports) into the
temporary folder once per size, then for each backend drops and recreates the case tables and builds the
(empty) rollups, as a deployment has them. It imports the file and imports it a second time (every row
unchanged: the cost of the no-op check); each import is followed by the rollup refresh `cli.py import`
runs, timed on its own and included in the total. Per import it prints the seconds and rows/s of the
import (with its ANALYZE), of the refresh and of both, and the process's peak memory so far (run one
backend per process for a figure per backend).
The file has the messiness of real exports in small doses: missing coordinates, midnight-only times,
unknown status words, closed-before-received rows, and a few unusable rows that go to the rejects file.
Not a test: run it by hand; the figures go into docs/importing.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy.exc import OperationalError

from data_access import rollups
from data_access.engine import make_engine
from data_access.schema import create_schema, drop_schema
from domain.clock import local_now
from domain.settings import DEFAULT_SETTINGS
from importers import ImportOptions, import_file

BENCH_DIR = Path(tempfile.gettempdir()) / "street_dashboard_bench_import"
HEADER = ["工单编号", "受理时间", "诉求渠道", "诉求类型", "问题分类", "二级分类", "紧急程度", "派单时间", "签收时间",
          "联系时间", "办理时限", "办结时间", "工单状态", "承办单位", "所属街道", "所属社区", "经度", "纬度", "回访时间",
          "是否解决", "满意度", "诉求人", "联系电话", "诉求地址", "诉求内容"]
STREETS = [f"{n}街道" for n in ("东湖", "西苑", "南门", "北关", "中山", "解放", "人民", "建设", "和平", "友谊",
                                "新华", "朝阳", "光明", "长安", "永定", "金台", "安贞", "和义", "望京", "六里")]
CATEGORIES = [("城乡建设", "施工扰民"), ("供暖", "暖气不热"), ("物业管理", "物业服务"), ("交通管理", "停车难"),
              ("市场管理", "消费纠纷"), ("环境卫生", "垃圾清运"), ("噪音扰民", "夜间噪音"), ("供水", "停水")]
STATUS = ["已办结"] * 14 + ["办理中", "已派单", "已签收", "待处理", "已归档", "处理中(转办)"]
SATISFACTION = ["满意"] * 8 + ["基本满意", "不满意"]
RESOLUTION = ["已解决"] * 8 + ["部分解决", "未解决"]


def write_synthetic_csv(path: Path, rows: int, seed: int = 12345, encoding: str = "gb18030") -> None:
    """A deterministic 12345 export of `rows` rows (see the module docstring), written in chunks."""
    rng = np.random.default_rng(seed)
    start = dt.datetime(2025, 1, 1)
    chunk = 100_000
    with path.open("w", encoding=encoding, newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for lo in range(0, rows, chunk):
            n = min(chunk, rows - lo)
            secs = np.sort(rng.integers(0, 365 * 86400, n))
            street = rng.integers(0, len(STREETS), n)
            community = rng.integers(0, 8, n)
            category = rng.integers(0, len(CATEGORIES), n)
            lon = 116.30 + street * 0.01 + rng.random(n) * 0.01
            lat = 39.85 + community * 0.01 + rng.random(n) * 0.01
            close_h = rng.gamma(2.0, 30.0, n)
            status = rng.integers(0, len(STATUS), n)
            fate = rng.random(n)
            for i in range(n):
                received = start + dt.timedelta(seconds=int(secs[i]))
                if fate[i] < 0.004:
                    received = received.replace(hour=0, minute=0, second=0)  # midnight-only
                closed = received + dt.timedelta(hours=float(close_h[i]))
                if fate[i] > 0.999:
                    closed = received - dt.timedelta(hours=2)  # closed before received
                is_closed = STATUS[status[i]] in ("已办结", "已归档")
                ticket_no = f"BJ{lo + i + 1:09d}"
                row = [
                    ticket_no if fate[i] < 0.9995 or fate[i] > 0.9998 else "",  # a few without a number
                    received.strftime("%Y-%m-%d %H:%M:%S") if fate[i] < 0.9997 else "2025-13-45 25:61",
                    "12345热线" if fate[i] < 0.8 else "网格巡查" if fate[i] < 0.9 else "微信",
                    "投诉" if fate[i] < 0.5 else "求助",
                    *CATEGORIES[category[i]],
                    "一般" if fate[i] > 0.05 else "紧急",
                    (received + dt.timedelta(minutes=20)).strftime("%Y-%m-%d %H:%M:%S"),
                    (received + dt.timedelta(minutes=50)).strftime("%Y-%m-%d %H:%M:%S"),
                    (received + dt.timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S"),
                    "7天",
                    closed.strftime("%Y-%m-%d %H:%M:%S") if is_closed else "",
                    STATUS[status[i]],
                    f"{STREETS[street[i]]}办事处",
                    STREETS[street[i]],
                    f"{STREETS[street[i]][:2]}第{community[i] + 1}社区",
                    f"{lon[i]:.6f}" if fate[i] > 0.02 else "",
                    f"{lat[i]:.6f}" if fate[i] > 0.02 else "",
                    (closed + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M") if is_closed else "",
                    RESOLUTION[int(fate[i] * 1000) % 10] if is_closed else "",
                    SATISFACTION[int(fate[i] * 10000) % 10] if is_closed else "",
                    "张先生",
                    f"138{(lo + i) % 100_000_000:08d}",
                    f"{STREETS[street[i]]}{community[i] + 1}号院",
                    f"{CATEGORIES[category[i]][1]}，请尽快处理。",
                ]
                out.writerow(row)


def bench_backend(name: str, url: str, source: Path, batch_size: int) -> None:
    engine = make_engine(url)
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        print(f"{name}: not reachable ({exc.orig}); skipped")
        return
    if engine.dialect.name == "sqlite":
        # A fresh file: dropping a million-ticket table with foreign keys on makes SQLite check every row's
        # self-reference (reopened_from_id, unindexed) against the whole table.
        engine.dispose()
        Path(engine.url.database).unlink(missing_ok=True)
        engine = make_engine(str(engine.url))
    else:
        drop_schema(engine)
    create_schema(engine)
    rollups.rebuild(engine, now=local_now(DEFAULT_SETTINGS.timezone))
    rejects = BENCH_DIR / f"{source.stem}.{name}.rejects.csv"
    for attempt in ("first import", "second import (no-op)"):
        options = ImportOptions(format="12345", rejects_path=rejects, batch_size=batch_size, restart=True)
        started = time.perf_counter()
        summary = import_file(engine, source, options)
        imported = time.perf_counter() - started
        refresh = rollups.refresh(engine, now=local_now(DEFAULT_SETTINGS.timezone))
        total = time.perf_counter() - started
        p = summary.progress
        analyze = f"{summary.analyze_seconds:.1f} s" if summary.analyze_seconds is not None else "—"
        print(f"{name:<10} {attempt:<22} {summary.rows:>10,} rows  import {imported:6.1f} s (ANALYZE {analyze})  "
              f"refresh {refresh.seconds:5.1f} s ({refresh.days} days)  total {total:6.1f} s  {summary.rows / total:>7,.0f} rows/s"
              f"  peak RSS {_peak_mb():,.0f} MB", flush=True)
        print(f"{'':<10} new {p.inserted:,} updated {p.updated:,} unchanged {p.unchanged:,} rejected {p.rejected:,}"
              f"  findings {summary.findings.total():,}", flush=True)
    engine.dispose()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql,mysql")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/dash_import")
    parser.add_argument("--mysql-url", default="mysql+pymysql://root@127.0.0.1:3306/dash_import?charset=utf8mb4")
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args(argv)
    BENCH_DIR.mkdir(exist_ok=True)
    source = BENCH_DIR / f"hotline_{args.rows}.csv"
    if not source.exists():
        started = time.perf_counter()
        write_synthetic_csv(source, args.rows)
        print(f"wrote {source} ({source.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - started:.0f} s")
    urls = {"sqlite": f"sqlite:///{BENCH_DIR / f'bench_{args.rows}.db'}", "postgresql": args.postgres_url,
            "mysql": args.mysql_url}
    for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
        bench_backend(name, urls[name], source, args.batch_size)


if __name__ == "__main__":
    main()
