"""Operator commands of the street governance dashboard.

    python cli.py init-db [--url URL]
    python cli.py sample [--tickets N] [--months M] [--seed S] [--url URL]
    python cli.py metrics [--json] [--url URL] [--street NAME] [--community NAME] [--since D] [--until D]
    python cli.py simulate [--per-minute N] [--url URL]
    python cli.py rollup --rebuild | --refresh | --verify [--samples N] | --status [--url URL]
    python cli.py bench [--sizes 100000,1000000] [--backends sqlite,postgresql] [--pages]
    python cli.py import FILE [--format F] [--mapping MAP.toml] [--url URL] [--tz ZONE] [--rejects PATH] …
    python cli.py import-boundaries FILE.geojson --level street|community|grid [--mapping M] [--code P] …
    python cli.py add-user USERNAME --role admin|supervisor|secretary [--street NAME] [--password-stdin] [--url URL]

Without --url the database is the deployment's (DATABASE_URL, then .streamlit/secrets.toml, then the
embedded sample database). Usage errors print one line and exit with 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from typing import Any, NoReturn, Sequence

from sqlalchemy.exc import OperationalError, ProgrammingError

from data_access import figures, queries
from data_access.engine import DEMO_DB_PATH, is_demo_url, make_engine, redact, resolve_database_url, sqlite_file
from data_access.schema import create_schema
from data_access.scope import Scope, TicketFilter
from domain.clock import local_now
from domain.settings import load_settings
from metrics import rates

EXIT_USAGE = 2
EXIT_FAILURE = 1


class CliError(Exception):
    """A problem the operator can fix; printed as one line."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line (no usage dump) and exits with 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="cli.py", description="Street governance dashboard (接诉即办) operator commands")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    # The option every command that opens the case database takes, declared once.
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--url", help="SQLAlchemy URL (default: the deployment's database)")

    p = sub.add_parser("init-db", parents=[database], help="create the case database tables on a database URL")

    p = sub.add_parser("sample", parents=[database], help="build the realistic sample district (replaces the database's contents)")
    p.add_argument("--tickets", type=positive_int, default=100_000)
    p.add_argument("--months", type=positive_int, default=12)
    p.add_argument("--seed", type=int, default=20261121)

    p = sub.add_parser("metrics", parents=[database], help="print the three rates and the other headline metrics")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--street", help="street name or code")
    p.add_argument("--community", help="community name or code")
    p.add_argument("--since", type=iso_date, help="first day received (inclusive), YYYY-MM-DD")
    p.add_argument("--until", type=iso_date, help="last day received (inclusive), YYYY-MM-DD")
    p.add_argument("--now", type=dt.datetime.fromisoformat, help="evaluate overdue/callback-due at this local time")
    p.add_argument("--from-tickets", action="store_true", help="compute from the tickets alone (exact median), not the rollups")

    p = sub.add_parser("rollup", parents=[database], help="build, refresh or check the pre-aggregated daily figures the pages read")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--rebuild", action="store_true", help="recompute every rollup from the tickets")
    what.add_argument("--refresh", action="store_true", help="fold the days changed since the last refresh into the rollups")
    what.add_argument("--verify", action="store_true", help="compare rollup figures with the tickets for random scopes and windows")
    what.add_argument("--status", action="store_true", help="when the rollups were built and refreshed, and what waits")
    p.add_argument("--samples", type=positive_int, default=40, help="--verify: random cases (default 40)")
    p.add_argument("--median-samples", type=int, default=10, help="--verify: of them, cases whose medians are checked (default 10)")
    p.add_argument("--seed", type=int, default=1, help="--verify: random seed (default 1)")
    p.add_argument("--now", type=dt.datetime.fromisoformat, help="--verify: evaluate at this local time (default: now)")

    p = sub.add_parser("simulate", parents=[database], help="keep writing new tickets and moving open ones on (a live hotline)")
    p.add_argument("--per-minute", type=float, default=6.0, help="new tickets per minute (default 6)")
    p.add_argument("--tick", type=float, default=5.0, help="seconds between writes (default 5)")
    p.add_argument("--ticks", type=positive_int, help="stop after this many ticks (default: until Ctrl-C)")
    p.add_argument("--seed", type=int, help="random seed (default: different every run)")

    p = sub.add_parser("bench", help="time the aggregate queries against the naive load-everything way")
    p.add_argument("--sizes", default="100000,1000000", help="ticket counts, comma-separated")
    p.add_argument("--backends", default="sqlite,postgresql", help="sqlite, postgresql, mysql (comma-separated)")
    p.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/dash_bench")
    p.add_argument("--mysql-url", default="mysql+pymysql://root@127.0.0.1:3306/dash_bench?charset=utf8mb4")
    p.add_argument("--repeat", type=positive_int, default=3)
    p.add_argument("--pages", action="store_true", help="time every page's data work and script (benchmarks/bench_pages.py)")
    p.add_argument("--only", help="--pages: comma-separated pages (default: all)")
    p.add_argument("--sessions", type=positive_int, help="N sessions at once from threads, caches cold (benchmarks/bench_concurrency.py)")

    p = sub.add_parser("import", parents=[database], help="import tickets from a CSV, Excel or JSON export (upsert on the ticket number)")
    p.add_argument("file", help="the export: .csv (UTF-8 or GB18030), .xlsx, .json/.jsonl")
    p.add_argument("--format", help="preset: 12345, nyc311, la311, open311 (default: detected from the header)")
    p.add_argument("--mapping", help="mapping file (TOML) for any other export; see docs/importing.md")
    p.add_argument("--tz", help="time zone of the source's times (default: the preset's, else the deployment's)")
    p.add_argument("--crs", choices=("wgs84", "gcj02", "bd09"), help="coordinate system of the source (default: the mapping's)")
    p.add_argument("--encoding", help="text encoding of a CSV file (default: detected: UTF-8 with or without BOM, GB18030)")
    p.add_argument("--rejects", help="rejects file (default: FILE.rejects.csv next to the input)")
    p.add_argument("--batch-size", type=positive_int, default=5000, help="rows per transaction (default 5000)")
    p.add_argument("--all-or-nothing", action="store_true", help="one transaction for the whole file instead of one per batch")
    p.add_argument("--restart", action="store_true", help="start over instead of resuming an interrupted import of this file")

    p = sub.add_parser("import-boundaries", parents=[database], help="import street/community/grid polygons from GeoJSON, then place tickets in them")
    p.add_argument("file", help="a GeoJSON FeatureCollection of (Multi)Polygons")
    p.add_argument("--level", required=True, choices=("street", "community", "grid"))
    p.add_argument("--mapping", help="boundary mapping: a TOML file with a [boundaries] table, or a preset (la-nc-boundaries)")
    p.add_argument("--code", help="property holding the unit's code")
    p.add_argument("--name", help="property holding the unit's name")
    p.add_argument("--parent", help="property holding the parent's code (grid: its community; community: its street)")
    p.add_argument("--crs", choices=("wgs84", "gcj02", "bd09"), help="coordinate system of the file (default: its crs member, else WGS-84)")
    p.add_argument("--rejects", help="rejects file (default: FILE.rejects.csv next to the input)")
    p.add_argument("--no-place", action="store_true", help="do not place existing tickets in the new polygons")

    p = sub.add_parser("add-user", parents=[database], help="create a dashboard account (the first administrator on a fresh deployment)")
    p.add_argument("username", help="sign-in name (no spaces, not case-sensitive; with single sign-on: the email)")
    p.add_argument("--role", required=True, choices=("admin", "supervisor", "secretary"))
    p.add_argument("--street", help="street name or code: the only street a secretary sees (secretaries only)")
    p.add_argument("--name", help="display name (default: the username)")
    p.add_argument("--email", help="email that single sign-on (OpenID Connect) matches")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input, not a prompt")
    p.add_argument("--no-password", action="store_true", help="no password: signs in through single sign-on only")
    return parser


def _engine(url: str | None, *, must_exist: bool = True):  # type: ignore[no-untyped-def]
    url = url or resolve_database_url()
    if must_exist and is_demo_url(url) and not DEMO_DB_PATH.exists():
        raise CliError("the embedded sample database does not exist yet: run `python cli.py sample` first", EXIT_FAILURE)
    path = sqlite_file(url)
    if must_exist and path is not None and not path.is_file():
        raise CliError(f"the database file does not exist: {path} (not created; `init-db` or `sample` creates one)", EXIT_FAILURE)
    return make_engine(url, create=not must_exist)


def cmd_init_db(args: argparse.Namespace) -> int:
    engine = _engine(args.url, must_exist=False)
    create_schema(engine)
    print(f"case database ready at {redact(engine.url)}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from data_access.accounts import seed_demo_accounts
    from sample_data.generator import build_sample

    settings = load_settings()
    engine = _engine(args.url, must_exist=False)
    started = time.perf_counter()
    with tqdm(total=args.tickets, unit="tickets", unit_scale=True, desc="sample district") as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        summary = build_sample(
            engine, tickets=args.tickets, months=args.months, seed=args.seed, settings=settings, progress=progress
        )
    elapsed = time.perf_counter() - started
    with engine.begin() as conn:
        demo_accounts = seed_demo_accounts(conn, now=local_now(settings.timezone))
    print(
        f"built {summary.tickets:,} tickets, {summary.events:,} events, {summary.callbacks:,} callbacks in "
        f"{summary.streets} streets / {summary.communities} communities / {summary.grid_cells} grid cells "
        f"in {elapsed:.1f} s ({summary.tickets / elapsed:,.0f} tickets/s) on {redact(engine.url)}"
    )
    if demo_accounts:
        print("demo accounts, passwords shown this once (demo only: change or deactivate them on the 账号管理 page):")
        for username, password in demo_accounts.items():
            print(f"  {username:<12} {password}")
    return 0


def _resolve_filter(conn, args: argparse.Namespace) -> TicketFilter:  # type: ignore[no-untyped-def]
    if args.since and args.until and args.since > args.until:
        raise CliError(f"--since {args.since} is after --until {args.until}")
    street_ids = community_ids = None
    scope = Scope.district()
    if args.street:
        found = queries.resolve_unit_ids(conn, scope, "street", [args.street])
        if not found:
            known = "、".join(queries.streets(conn, scope)["name"])
            raise CliError(f"unknown street: {args.street!r} (known: {known or 'none'})")
        street_ids = (found[args.street],)
        scope = Scope.streets(street_ids)
    if args.community:
        found = queries.resolve_unit_ids(conn, scope, "community", [args.community])
        if not found:
            where = f" in street {args.street!r}" if args.street else ""
            raise CliError(f"unknown community{where}: {args.community!r}")
        community_ids = (found[args.community],)
    return TicketFilter(since=args.since, until=args.until, street_ids=street_ids, community_ids=community_ids)


def headline_metrics(conn, scope: Scope, flt: TicketFilter, now: dt.datetime, settings) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The headline metrics of a scope and filter, as `cli.py metrics --json` prints them."""
    counts = queries.rate_counts_for(conn, scope, flt, now=now)
    median = queries.median_seconds_to_close(conn, scope, flt)
    result: dict[str, Any] = rates.headline_measures(counts, median, settings)
    # From the rollups the median is read from a duration histogram: within 1 % + 0.5 h of the exact one.
    result["median_approximate"] = figures.rollups_in_use(conn)
    result["closed"] = counts["closed"]
    result["callbacks_answered"] = counts["callbacks_answered"]
    result["closed_before_received"] = queries.closed_before_received(conn, scope, flt)
    return result


def cmd_metrics(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = _engine(args.url)
    now = args.now or local_now(settings.timezone)
    with engine.connect() as conn:
        if args.from_tickets:
            conn = conn.execution_options(**figures.RAW)
        flt = _resolve_filter(conn, args)
        result = headline_metrics(conn, Scope.district(), flt, now, settings)
    result = {
        **result,
        "since": args.since.isoformat() if args.since else None,
        "until": args.until.isoformat() if args.until else None,
        "street": args.street,
        "community": args.community,
        "now": now.isoformat(sep=" "),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        width = max(len(k) for k in result)
        for key, value in result.items():
            shown = f"{value:.4f}" if isinstance(value, float) else ("—" if value is None else value)
            print(f"{key:<{width}}  {shown}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from sample_data.simulate import TickReport, run

    if args.per_minute < 0 or args.tick <= 0:
        raise CliError("--per-minute must be >= 0 and --tick > 0")
    settings = load_settings()
    engine = _engine(args.url)

    def report(now: dt.datetime, tick: TickReport) -> None:
        moves = ", ".join(f"{k} {v}" for k, v in sorted(tick.moved.items())) or "no moves"
        print(f"{now:%H:%M:%S}  +{tick.created} new  {moves}", flush=True)

    print(f"simulating {args.per_minute:g} tickets/minute on {redact(engine.url)} (Ctrl-C to stop)")
    try:
        created = run(
            engine, per_minute=args.per_minute, clock=lambda: local_now(settings.timezone), seed=args.seed,
            tick_seconds=args.tick, ticks=args.ticks, settings=settings, on_tick=report,
            on_wait=lambda why: print(f"{local_now(settings.timezone):%H:%M:%S}  database busy ({why}): another "
                                      f"writer holds it, e.g. an import; this tick is skipped and retried", flush=True),
        )
    except KeyboardInterrupt:
        print("stopped")
        return 0
    except LookupError as exc:
        raise CliError(str(exc), EXIT_FAILURE) from None
    print(f"created {created} tickets")
    return 0


def cmd_rollup(args: argparse.Namespace) -> int:
    from data_access import rollup_check, rollups

    settings = load_settings()
    engine = _engine(args.url)
    now = args.now or local_now(settings.timezone)
    where = redact(engine.url)
    if args.rebuild:
        started = time.perf_counter()

        def step(table: str) -> None:
            print(f"{time.perf_counter() - started:8.1f} s  {table}", flush=True)

        seconds = rollups.rebuild(engine, now=now, progress=step)
        print(f"rollups rebuilt in {seconds:.1f} s on {where}")
        return 0
    if args.refresh:
        summary = rollups.refresh(engine, now=now)
        print(f"refreshed {summary.days} day(s) in {summary.months} month(s) in {summary.seconds:.1f} s on {where}")
        return 0
    if args.status:
        with engine.connect() as conn:
            state = rollups.state(conn)
            waiting = len(rollups.dirty_days(conn)) if state else 0
        if state is None:
            print(f"no rollups on {where}: the pages read the tickets; run `cli.py rollup --rebuild`")
        else:
            current = "current" if state.current else f"built by version {state.version}, this is {rollups.ROLLUP_VERSION}: rebuild"
            print(f"rollups {current}; built {state.built_at:%Y-%m-%d %H:%M}, refreshed {state.refreshed_at:%Y-%m-%d %H:%M} "
                  f"over {state.tickets:,} tickets; {waiting} changed day(s) waiting for a refresh")
        return 0
    result = rollup_check.verify(
        engine, now=now, samples=args.samples, median_samples=args.median_samples, seed=args.seed, progress=print
    )
    for line in result.differences:
        print(f"DIFFERENCE  {line}")
    print(f"{result.cases} cases ({result.medians} with medians) in {result.seconds:.1f} s: "
          f"{'no differences' if not result.differences else f'{len(result.differences)} difference(s)'}")
    return 0 if not result.differences else EXIT_FAILURE


def cmd_bench(args: argparse.Namespace) -> int:
    from benchmarks.bench_queries import run_benchmarks

    sizes = [positive_int(s) for s in args.sizes.split(",")]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql", "mysql"}
    if unknown:
        raise CliError(f"unknown backend(s): {', '.join(sorted(unknown))}")
    urls = {"postgresql": args.postgres_url, "mysql": args.mysql_url}
    if args.sessions:
        from benchmarks.bench_pages import run_session_benchmarks

        run_session_benchmarks(sizes=sizes, backends=backends, server_urls=urls, sessions=args.sessions)
        return 0
    if args.pages:
        from benchmarks.bench_pages import PAGES, run_page_benchmarks

        pages = [p.strip() for p in args.only.split(",")] if args.only else None
        if pages and set(pages) - set(PAGES):
            raise CliError(f"unknown page(s): {', '.join(sorted(set(pages) - set(PAGES)))} (known: {', '.join(PAGES)})")
        run_page_benchmarks(sizes=sizes, backends=backends, server_urls=urls, repeat=args.repeat, pages=pages)
        return 0
    run_benchmarks(sizes=sizes, backends=backends, server_urls=urls, repeat=args.repeat)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from sqlalchemy.exc import SQLAlchemyError
    from tqdm import tqdm

    from data_access import rollups
    from importers import ImportFailed, ImportOptions, ImportSetupError, import_file
    from importers.report import summary_lines

    settings = load_settings()
    engine = _engine(args.url, must_exist=False)
    options = ImportOptions(
        format=args.format,
        mapping_path=Path(args.mapping) if args.mapping else None,
        source_tz=args.tz,
        coordinates=args.crs,
        encoding=args.encoding,
        rejects_path=Path(args.rejects) if args.rejects else None,
        batch_size=args.batch_size,
        transaction="single" if args.all_or_nothing else "batch",
        restart=args.restart,
        caller_salt=os.environ.get("DASHBOARD_CALLER_SALT") or None,
    )
    bars: list[Any] = []  # the progress bar, opened with the first batch so setup errors stay one line

    def progress(rows: int, done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(unit=" rows", unit_scale=True, desc=Path(args.file).name, dynamic_ncols=True))
        if done:  # the share of the file read so far gives the expected number of rows
            bars[0].total = max(rows, round(rows * total / done))
        bars[0].update(rows - bars[0].n)

    def refresh_rollups() -> None:
        # The rollups take in the days the import marked: what it committed, also when it failed part-way.
        done = rollups.refresh(engine, now=local_now(settings.timezone))
        if done.days:
            print(f"rollups: refreshed {done.days} day(s) in {done.months} month(s) in {done.seconds:.1f} s")

    try:
        summary = import_file(engine, Path(args.file), options, settings, progress)
    except ImportSetupError as exc:
        raise CliError(str(exc)) from None
    except ImportFailed as exc:
        print("\n".join(summary_lines(exc.summary)))
        try:
            refresh_rollups()
        except SQLAlchemyError:  # what stopped the import may stop this too; the marks wait for the next refresh
            print("rollups not refreshed: run `cli.py rollup --refresh` once the database is back")
        raise CliError(str(exc), EXIT_FAILURE) from None
    finally:
        for bar in bars:
            bar.close()
    print("\n".join(summary_lines(summary)))
    refresh_rollups()
    return 0


def cmd_import_boundaries(args: argparse.Namespace) -> int:
    from pathlib import Path

    from importers.areas import AreaSetupError
    from importers.boundaries import BoundaryOptions, BoundarySetupError, import_boundaries

    settings = load_settings()
    engine = _engine(args.url, must_exist=False)
    if not Path(args.file).is_file():
        raise CliError(f"no such file: {args.file}")
    options = BoundaryOptions(
        level=args.level, mapping=args.mapping, code=args.code, name=args.name, parent=args.parent,
        coordinates=args.crs, rejects_path=Path(args.rejects) if args.rejects else None, place_tickets=not args.no_place,
    )
    try:
        summary = import_boundaries(engine, Path(args.file), options, settings)
    except (BoundarySetupError, AreaSetupError) as exc:
        raise CliError(str(exc)) from None
    print("\n".join(summary.lines()))
    return 0


def _new_password(args: argparse.Namespace) -> str | None:
    from getpass import getpass

    if args.no_password:
        return None
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass(f"password for {args.username}: ")
    if getpass("the same again: ") != password:
        raise CliError("the two passwords differ")
    return password


def cmd_add_user(args: argparse.Namespace) -> int:
    from data_access import accounts

    if args.no_password and args.password_stdin:
        raise CliError("--no-password and --password-stdin exclude each other")
    if (args.role == "secretary") != bool(args.street):
        raise CliError("--street NAME is required for --role secretary and only for it")
    settings = load_settings()
    engine = _engine(args.url)
    password = _new_password(args)
    create_schema(engine)  # an older database gets its account table
    with engine.begin() as conn:
        street_id = accounts.resolve_street(conn, args.street) if args.street else None
        if args.street and street_id is None:
            known = "、".join(queries.streets(conn, Scope.district())["name"])
            raise CliError(f"unknown street: {args.street!r} (known: {known or 'none'})")
        try:
            account = accounts.create_account(
                conn, username=args.username, role=args.role, now=local_now(settings.timezone), password=password,
                display_name=args.name, email=args.email, street_id=street_id,
                district_id=None if street_id else accounts.only_district(conn),
            )
        except accounts.AccountError as exc:
            raise CliError(str(exc)) from None
    where = f" for {args.street}" if args.street else ""
    print(f"added {account.role} {account.username}{where} on {redact(engine.url)}")
    return 0


COMMANDS = {
    "init-db": cmd_init_db,
    "sample": cmd_sample,
    "metrics": cmd_metrics,
    "rollup": cmd_rollup,
    "bench": cmd_bench,
    "simulate": cmd_simulate,
    "import": cmd_import,
    "import-boundaries": cmd_import_boundaries,
    "add-user": cmd_add_user,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CliError as exc:
        print(f"cli.py {args.command}: error: {exc}", file=sys.stderr)
        return exc.code
    except (OperationalError, ProgrammingError) as exc:
        url = getattr(args, "url", None) or resolve_database_url()
        print(f"cli.py {args.command}: error: database {redact(url)} failed: {str(exc.orig).strip().splitlines()[0]}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
