"""Shared fixtures: the three database backends, the hand-built case book with known answers (written by
`helpers.write_casebook`), the app pointed at it, the real outside exports and a browser.

Server URLs come from TEST_POSTGRES_URL / TEST_MYSQL_URL (set by .ci/run); without them the servers of
this machine are tried, and a backend that cannot be reached is skipped with the reason printed. Values and
functions the tests share (NOW, NOV, BACKEND_URLS, the case book's rows…) are in helpers.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy.exc import OperationalError

from data_access import figures
from data_access.engine import make_engine
from helpers import BACKEND_URLS, point_app_at, write_casebook

# Property tests assert behaviour, not speed: no per-example deadline (a loaded CI machine took 402 ms for
# one example of a pure function and failed the default 200 ms).
hypothesis_settings.register_profile("project", deadline=None)
hypothesis_settings.load_profile("project")

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
TEST_DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class RealFiles:
    """The real outside exports the importer tests read: the full files in ../shared/datasets (beside the
    project in CI), or the small slices of them shipped in tests/data (tests/data/README.md), so that any
    clone tests the importers on real rows."""

    full: bool
    nyc: Path
    la: Path
    la_nc: Path


SLICES = RealFiles(False, TEST_DATA / "nyc311_2013-12-25.slice.csv", TEST_DATA / "la311_2017_subset.slice.csv",
                   TEST_DATA / "la_neighborhood_councils_2019.slice.geojson")
FULL_FILES = RealFiles(True, DATASETS / "nyc311_2013-12-25.csv", DATASETS / "la311_2017_subset.csv",
                       DATASETS / "la_neighborhood_councils_2019.geojson")
NO_FULL_FILES = "../shared/datasets is not beside the project: only the slices in tests/data are tested"


@pytest.fixture(scope="module", params=["slices", "full"])
def real_files(request) -> RealFiles:
    """Each real-data test once on the slices (always there) and once on the full files (skipped, saying why,
    where ../shared/datasets is absent)."""
    if request.param == "slices":
        return SLICES
    if not FULL_FILES.nyc.exists():
        pytest.skip(NO_FULL_FILES)
    return FULL_FILES


@pytest.fixture(scope="session", params=list(BACKEND_URLS))
def engine(request, tmp_path_factory):
    """An empty engine per backend (SQLite file, PostgreSQL, MariaDB)."""
    url = BACKEND_URLS[request.param] or f"sqlite:///{tmp_path_factory.mktemp('db') / 'cases.db'}"
    eng = make_engine(url)
    try:
        with eng.connect():
            pass
    except OperationalError as exc:
        pytest.skip(f"{request.param} not reachable at {url}: {exc.orig}")
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium through Playwright (never `playwright install`); skips without it."""
    from browser_support import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def casebook(engine):
    """The engine with the case book written (once per backend and session)."""
    write_casebook(engine)
    return engine


@pytest.fixture(scope="session")
def casebook_sqlite_url(tmp_path_factory) -> str:
    """A SQLite file holding the case book, for tests of the app and the CLI that need one database only."""
    url = f"sqlite:///{tmp_path_factory.mktemp('app') / 'casebook.db'}"
    eng = make_engine(url)
    write_casebook(eng)
    eng.dispose()
    return url


@pytest.fixture(params=["rollups", "tickets"])
def conn(casebook, request):
    """A connection in a transaction rolled back after the test, so tests may write freely.

    Every test using it runs twice: with the figures read from the rollups (as the pages read them), and
    from the tickets alone (`figures.RAW`, the reference): the same hand-worked answers on both paths.
    """
    with casebook.connect() as connection:
        if request.param == "tickets":
            connection = connection.execution_options(**figures.RAW)
        trans = connection.begin()
        yield connection
        trans.rollback()


@pytest.fixture
def sqlite_casebook(casebook_sqlite_url, monkeypatch):
    """The app pointed at the SQLite case book (queries themselves are tested on every backend)."""
    return point_app_at(casebook_sqlite_url, monkeypatch)
