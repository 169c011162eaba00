"""`cli.py metrics --json` on the case book (every backend), and its one-line errors."""

from __future__ import annotations

import json

import pytest

from helpers import NOW, run_cli
from metrics import durations


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)



def test_metrics_json_november(casebook, capsys):
    code, out, _ = run_cli(
        capsys, "metrics", "--json", "--url", _url(casebook), "--since", "2026-11-01", "--until", "2026-11-30",
        "--now", NOW.isoformat(),
    )
    assert code == 0
    result = json.loads(out)
    # Hand-worked in tests/helpers.py: 4 of 7 contacted on time; (1 + 0.5·1)/3; (1 + 1)/3; 3 of 5 due;
    # 100·(0.10·4/7 + 0.45·0.5 + 0.45·2/3); 5 of (6 closed + 1 overdue); median of 5 min,12,24,48,192 h.
    assert result["tickets"] == 9
    assert result["dispatched"] == 7
    assert result["response_rate"] == pytest.approx(4 / 7)
    assert result["resolution_rate"] == pytest.approx(0.5)
    assert result["satisfaction_rate"] == pytest.approx(2 / 3)
    assert result["callback_coverage"] == pytest.approx(0.6)
    assert result["composite"] == pytest.approx(100 * (0.10 * 4 / 7 + 0.45 * 0.5 + 0.45 * 2 / 3))
    assert result["on_time_close_rate"] == pytest.approx(5 / 7)
    assert result["overdue_open"] == 1
    # From the rollups' duration histogram: within 1 % + 0.5 h of the exact 24 h (metrics.durations).
    assert durations.within_bound(result["median_hours_to_close"] * 3600, 24 * 3600)
    assert result["median_approximate"] is True


def test_metrics_from_the_tickets_alone_gives_the_exact_median(casebook, capsys):
    code, out, _ = run_cli(
        capsys, "metrics", "--json", "--url", _url(casebook), "--since", "2026-11-01", "--until", "2026-11-30",
        "--now", NOW.isoformat(), "--from-tickets",
    )
    assert code == 0
    result = json.loads(out)
    assert (result["median_hours_to_close"], result["median_approximate"]) == (24, False)
    assert result["tickets"] == 9


def test_metrics_json_street_and_community(casebook, capsys):
    code, out, _ = run_cli(
        capsys, "metrics", "--json", "--url", _url(casebook), "--street", "东湖街道", "--community", "花园里社区",
        "--now", NOW.isoformat(),
    )
    assert code == 0
    result = json.loads(out)
    # T3 (utility, closed on time, unsolved/unsatisfied) and T4 (open, overdue).
    assert (result["tickets"], result["overdue_open"]) == (2, 1)
    assert (result["resolution_rate"], result["satisfaction_rate"]) == (0.0, 0.0)


def test_metrics_json_undefined_rates_are_null(casebook, capsys):
    code, out, _ = run_cli(capsys, "metrics", "--json", "--url", _url(casebook), "--community", "静安里社区")
    assert code == 0
    result = json.loads(out)
    assert result["tickets"] == 0
    assert all(result[k] is None for k in ("response_rate", "resolution_rate", "satisfaction_rate", "composite",
                                            "callback_coverage", "on_time_close_rate", "median_hours_to_close"))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--since", "2026-13-01"], "not a date"),
        (["--until", "yesterday"], "not a date"),
        (["--since", "2026-11-30", "--until", "2026-11-01"], "is after"),
        (["--street", "不存在街道"], "unknown street"),
        (["--street", "西苑街道", "--community", "春晖社区"], "unknown community in street"),
    ],
    ids=["bad-month", "not-iso", "reversed", "unknown-street", "community-outside-street"],
)
def test_metrics_usage_errors_are_one_line_exit_2(casebook, capsys, argv, message):
    code, out, err = run_cli(capsys, "metrics", "--json", "--url", _url(casebook), *argv)
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [["metrics", "--json"], ["rollup", "--status"], ["rollup", "--verify"]])
def test_a_missing_sqlite_file_is_an_error_and_stays_missing(capsys, tmp_path, command):
    path = tmp_path / "moved-away.db"
    code, out, err = run_cli(capsys, *command, "--url", f"sqlite:///{path}")
    assert code == 1 and "does not exist" in err and len(err.strip().splitlines()) == 1
    assert not path.exists()


def test_unreachable_database_is_one_line(capsys):
    code, out, err = run_cli(capsys, "metrics", "--json", "--url", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert code == 1
    assert "failed" in err and len(err.strip().splitlines()) == 1

