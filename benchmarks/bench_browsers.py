"""Benchmark: N signed-in Chromium contexts use the dashboard at once, timed from click to rendered.

    python -m benchmarks.bench_browsers --url DATABASE_URL [--contexts 10] [--processes 1] [--rounds 2]

Starts the app (`streamlit run app.py`) on the database — or `--processes N` app processes behind nginx
with sticky sessions (deploy/nginx.conf) — then every context signs in (the real form) and walks the pages
through the sidebar, all contexts at the same time. A page counts as rendered when its script has finished,
its title is the page's and its charts (Vega-Lite SVG, deck.gl canvas) are drawn. Prints every view's time,
p50/p95 per page and overall, the sign-in times and the app processes' peak resident memory.

Uses Debian's /usr/bin/chromium (never `playwright install`). The demo accounts get a benchmark password
in a sample database that has none yet.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]
BENCH_PASSWORD = "bench-12345"  # set on the demo accounts of a benchmark database
USERS = ("supervisor", "donghu", "nanhe")
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
SIGNED_IN = '[data-testid="stSidebar"] [data-testid="stSelectbox"]'
# The pages walked, with the charts that must be drawn before a page counts as rendered.
WALK = (
    ("grid_map", ["stDeckGlJsonChart"]),
    ("overdue", []),
    ("funnel", ["stVegaLiteChart"]),
    ("satisfaction", ["stVegaLiteChart"]),
    ("community", []),
    ("overview", ["stVegaLiteChart"]),
)
TIMEOUT_MS = 180_000


def page_title(page: str) -> str:
    from ui.i18n import translate

    return translate("zh", f"page.{page}.title")


def ensure_accounts(url: str) -> None:
    """The demo accounts with the benchmark's password (a sample database's are random, printed once)."""
    from data_access.accounts import find_account, seed_demo_accounts, set_password
    from data_access.engine import make_engine
    from domain.clock import local_now

    engine = make_engine(url)
    with engine.begin() as conn:
        seed_demo_accounts(conn, now=local_now(), password=BENCH_PASSWORD)
        for username in USERS:
            account = find_account(conn, username)
            if account is None:
                raise RuntimeError(f"no account {username!r}: the benchmark needs a sample database")
            set_password(conn, account.id, BENCH_PASSWORD, now=local_now())
    engine.dispose()


def _wait_healthy(port: int, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app on port {port} exited")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the app on port {port} did not start")


def start_apps(url: str, ports: list[int]) -> list[subprocess.Popen]:
    """`streamlit run app.py` on each port (one shared cookie secret, so any of them accepts a cookie)."""
    env = {**os.environ, "DATABASE_URL": url, "STREAMLIT_SERVER_COOKIE_SECRET": "bench-cookie-secret"}
    procs = []
    for port in ports:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
    for port, proc in zip(ports, procs):
        _wait_healthy(port, proc)
    return procs


def start_nginx(listen: int, ports: list[int], workdir: Path) -> subprocess.Popen:
    """nginx (Debian's) in the foreground with deploy/nginx.conf's template for these app ports."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    template = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in ports)
    conf = template.replace("# APP_SERVERS", servers.strip()).replace("listen 8080;", f"listen {listen};")
    conf = conf.replace("/var/lib/nginx", str(workdir))
    path = workdir / "nginx.conf"
    path.write_text(
        f"daemon off;\npid {workdir}/nginx.pid;\nerror_log {workdir}/error.log;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n    access_log off;\n    client_body_temp_path {workdir}/body;\n    proxy_temp_path {workdir}/proxy;\n{conf}\n}}\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen([nginx, "-c", str(path), "-p", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1)
    if proc.poll() is not None:
        raise RuntimeError("nginx did not start: " + proc.stderr.read().decode(errors="replace"))
    return proc


def peak_rss_mb(proc: subprocess.Popen) -> float:
    """VmHWM (peak resident set) of a process, in MB."""
    try:
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


async def rendered(pg, title: str, charts: list[str]) -> None:  # type: ignore[no-untyped-def]
    await pg.wait_for_function(
        """([sel, title]) => {
            const app = document.querySelector(sel);
            const h1 = document.querySelector('[data-testid="stMain"] h1');
            return app && h1 && h1.innerText.trim().startsWith(title);
        }""",
        arg=[DONE, title], timeout=TIMEOUT_MS,
    )
    for chart in charts:
        await pg.wait_for_selector(f'[data-testid="stMain"] [data-testid="{chart}"] :is(svg, canvas)', timeout=TIMEOUT_MS)


async def user(browser, base: str, username: str, rounds: int, views: list[tuple[str, float]], signins: list[float], errors: list[str]) -> None:  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": 1500, "height": 1000}, locale="zh-CN")
    pg = await context.new_page()
    try:
        await pg.goto(base + "/", timeout=TIMEOUT_MS)
        await pg.wait_for_selector('input[type="password"]', timeout=TIMEOUT_MS)
        await pg.locator('[data-testid="stTextInput"] input[type="text"]').first.fill(username)
        await pg.locator('input[type="password"]').fill(BENCH_PASSWORD)
        started = time.perf_counter()
        await pg.locator('[data-testid="stFormSubmitButton"] button').click()
        await pg.wait_for_selector(SIGNED_IN, timeout=TIMEOUT_MS)
        await rendered(pg, page_title("overview"), ["stVegaLiteChart"])
        signins.append(time.perf_counter() - started)
        for _ in range(rounds):
            for page, charts in WALK:
                link = pg.locator('[data-testid="stSidebarNav"] a').filter(has_text=page_title(page)).first
                started = time.perf_counter()
                await link.click()
                await rendered(pg, page_title(page), charts)
                views.append((page, time.perf_counter() - started))
    except Exception as exc:  # noqa: BLE001 - a failed context is reported with the others' figures
        errors.append(f"{username}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        await context.close()


async def drive(base: str, contexts: int, rounds: int) -> tuple[list[tuple[str, float]], list[float], list[str]]:
    from playwright.async_api import async_playwright

    views: list[tuple[str, float]] = []
    signins: list[float] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        await asyncio.gather(*(user(browser, base, USERS[i % len(USERS)], rounds, views, signins, errors) for i in range(contexts)))
        await browser.close()
    return views, signins, errors


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the case database (a sample with rollups)")
    parser.add_argument("--contexts", type=int, default=10)
    parser.add_argument("--processes", type=int, default=1, help="app processes; more than one: behind nginx")
    parser.add_argument("--rounds", type=int, default=2, help="walks through the pages per context")
    parser.add_argument("--port", type=int, default=8610, help="first app port (nginx listens on port - 1)")
    args = parser.parse_args(argv)

    ensure_accounts(args.url)
    ports = [args.port + i for i in range(args.processes)]
    procs = start_apps(args.url, ports)
    proxy = None
    workdir = Path(tempfile.mkdtemp(prefix="bench_nginx_"))
    try:
        base = f"http://127.0.0.1:{ports[0]}"
        if args.processes > 1:
            proxy = start_nginx(args.port - 1, ports, workdir)
            base = f"http://127.0.0.1:{args.port - 1}"
        began = time.perf_counter()
        views, signins, errors = asyncio.run(drive(base, args.contexts, args.rounds))
        elapsed = time.perf_counter() - began
    finally:
        rss = [peak_rss_mb(p) for p in procs]
        for proc in [*procs, *([proxy] if proxy else [])]:
            proc.terminate()
        for proc in [*procs, *([proxy] if proxy else [])]:
            proc.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    times = [s for _, s in views]
    where = f"{args.processes} app process(es)" + (" behind nginx" if args.processes > 1 else "")
    print(f"{args.contexts} Chromium contexts at once, {where}, {len(views)} page views in {elapsed:.0f} s, {len(errors)} errors")
    for page, _ in WALK:
        mine = [s for p, s in views if p == page]
        if mine:
            print(f"  {page:<13} n={len(mine):<4} p50 {statistics.median(mine):5.2f} s  p95 {percentile(mine, 0.95):5.2f} s  max {max(mine):5.2f} s")
    if times:
        print(f"  all pages     n={len(times):<4} p50 {statistics.median(times):5.2f} s  p95 {percentile(times, 0.95):5.2f} s  max {max(times):5.2f} s")
    if signins:
        print(f"  sign-in → overview: p50 {statistics.median(signins):.2f} s, max {max(signins):.2f} s")
    print(f"  app process peak RSS: {', '.join(f'{r:.0f} MB' for r in rss)}")
    for line in errors:
        print(f"  ERROR {line}")
    return 0 if not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
