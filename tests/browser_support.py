"""What the real-browser test modules share: Debian's Chromium, a `streamlit run` server on a free port,
and the record of requests that leave this machine.

Imported by tests/test_browser.py, tests/test_browser_roles.py and tests/test_public_browser.py; the
`browser` fixture they share lives in tests/conftest.py.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying hosts this closed network refuses.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]
SERVER_START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(script: str, database_url: str, port: int, now: dt.datetime) -> subprocess.Popen:
    """`streamlit run <script>` on `database_url` with the clock pinned at `now`, once it answers."""
    env = {**os.environ, "DATABASE_URL": database_url, "DASHBOARD_NOW": now.isoformat()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / script), "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not start: " + proc.stdout.read().decode(errors="replace")[-2000:])


def note_outside(pg, url: str) -> None:  # type: ignore[no-untyped-def]
    """Record on the page any request whose host is not this machine."""
    host = re.sub(r"^[a-z]+://([^/:]+).*$", r"\1", url)
    if url.startswith(("http://", "https://", "ws://", "wss://")) and host not in ("127.0.0.1", "localhost"):
        pg.outside_requests.append(url)
