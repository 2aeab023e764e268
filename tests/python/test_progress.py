"""Progress of run, sweep and plan: a bar with the time left on a terminal,
nothing extra off one; the Python sweep's progress callback."""
import io
import os
import pty
import select
import subprocess

import pytest

import capstan
from conftest import REPO, cli_binary

CLI = cli_binary()
needs_cli = pytest.mark.skipif(CLI is None, reason="the capstan CLI is not built beside the Python package")
TRAINING = str(REPO / "scenarios" / "training_sim.json")


def _stderr_on_a_terminal(args):
    """Runs the CLI with stderr on a pseudo-terminal; returns what it drew there."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    assert proc.wait(timeout=300) == 0
    return out.decode()


@needs_cli
def test_run_draws_a_bar_with_time_left_on_a_terminal(tmp_path):
    drawn = _stderr_on_a_terminal([CLI, "run", TRAINING, "-o", str(tmp_path), "--replications", "4",
                                   "--threads", "1", "--set", "simulation.duration_h=0.5"])
    frames = [f for f in drawn.split("\r") if f.startswith("capstan: [")]
    assert frames, drawn
    assert "1 of 4 replications" in drawn and "left" in drawn
    assert frames[-1].startswith("capstan: [########################] 4 of 4 replications")
    assert drawn.endswith("\n")


@needs_cli
def test_sweep_counts_every_replication_of_every_point(tmp_path):
    drawn = _stderr_on_a_terminal([CLI, "sweep", TRAINING, "-o", str(tmp_path), "--replications", "2",
                                   "--threads", "1", "--no-plots", "--set", "simulation.duration_h=0.5",
                                   "--grid", "workload.peak_users=500,1000"])
    assert "4 of 4 replications, point 2 of 2" in drawn


@needs_cli
def test_nothing_extra_when_stderr_is_not_a_terminal(tmp_path):
    proc = subprocess.run([CLI, "run", TRAINING, "-o", str(tmp_path), "--replications", "2",
                           "--set", "simulation.duration_h=0.5"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0
    assert proc.stderr == ""


def test_python_sweep_reports_each_point(tiny):
    calls = []
    capstan.sweep(tiny, grid={"workload.peak_users": [50, 100, 150]}, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_progress_bar_draws_the_time_left():
    now = [0.0]
    out = io.StringIO()
    bar = capstan.progress_bar("points", file=out, clock=lambda: now[0])
    bar(0, 4)
    now[0] = 30.0
    bar(1, 4)
    now[0] = 120.0
    bar(4, 4)
    frames = out.getvalue().split("\r")[1:]
    assert frames[1] == "[######..................] 1 of 4 points, 30 s, about 1 min 30 s left"
    assert frames[2].startswith("[########################] 4 of 4 points, 2 min 00 s")
    assert out.getvalue().endswith("\n")
    # A search of unknown length: a count and the time, no bar.
    out = io.StringIO()
    capstan.progress_bar("candidate fleets", file=out, clock=lambda: 5.0)(7, None)
    assert out.getvalue().strip() == "7 candidate fleets, 0 s"


def test_python_plan_counts_the_fleets_it_simulates(tiny):
    calls = []
    p = capstan.plan(tiny, progress=lambda n, total: calls.append((n, total)))
    assert calls == [(n, None) for n in range(1, p.simulations + 1)]
