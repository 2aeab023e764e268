"""report.html: one self-contained page per run, sweep and plan, checked in a
real browser (headless Chromium from Debian) with the network cut off."""
import re
import shutil
import subprocess

import pytest
from PIL import Image

from conftest import DATA, REPO, cli_binary

CLI = cli_binary()
pytestmark = pytest.mark.skipif(CLI is None, reason="the capstan CLI is not built beside the Python package")
CHROMIUM = shutil.which("chromium")
TRAINING = str(REPO / "scenarios" / "training_sim.json")
# Every name resolves nowhere and every fetch goes to a closed port: a page that reached out would log it.
OFFLINE = ["--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]


def _browser(page, *extra):
    """Chromium on `page` (headless, offline): (its stdout, its console and network log lines)."""
    assert CHROMIUM, "chromium is not installed (scripts/setup.sh installs it)"
    proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--enable-logging=stderr", "--v=0", *OFFLINE, *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    log = [line for line in proc.stderr.splitlines()
           if "CONSOLE" in line or "net::ERR" in line or "Failed to load" in line]
    return proc.stdout, log


def _self_contained(text):
    assert "<script" not in text and "<link" not in text and "<iframe" not in text
    assert not re.search(r"\bsrc\s*=", text)
    # The only references are to ids within the page (SVG clip paths and glyphs).
    for ref in re.findall(r'(?:href\s*=\s*"([^"]*)"|url\(([^)]*)\))', text):
        target = ref[0] or ref[1]
        assert target.startswith("#"), target


def test_run_writes_a_page_that_renders_offline_without_errors(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([CLI, "run", TRAINING, "-o", str(out), "--replications", "2",
                           "--set", "simulation.duration_h=0.5"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    page = out / "report.html"
    text = page.read_text()
    _self_contained(text)
    # The summary, the manifest and the four plots.
    for part in ("Interaction classes", "Ledger by category", "scenario_sha256", "service_time_model",
                 "per user-hour", "ttft p95 &lt;= 500 ms"):
        assert part in text, part
    assert text.count("<svg") == 4
    dom, log = _browser(page, "--dump-dom")
    assert log == []
    assert dom.count("<svg") == 4 and "met" in dom
    shot = tmp_path / "shot.png"
    _, log = _browser(page, f"--screenshot={shot}", "--window-size=1200,2400")
    assert log == []
    image = Image.open(shot).convert("L")
    low, high = image.getextrema()
    assert image.size == (1200, 2400) and high - low > 200  # drawn, not a blank page
    assert len(image.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50


def test_sweep_and_plan_write_their_pages(tmp_path):
    sweep = tmp_path / "sweep"
    proc = subprocess.run([CLI, "sweep", str(DATA / "tiny.json"), "--grid", "workload.peak_users=100,200,300",
                           "-o", str(sweep)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = (sweep / "report.html").read_text()
    _self_contained(text)
    assert text.count("<svg") == 2 and "workload.peak_users" in text
    dom, log = _browser(sweep / "report.html", "--dump-dom")
    assert log == [] and dom.count("<svg") == 2
    plan = tmp_path / "plan"
    proc = subprocess.run([CLI, "plan", str(DATA / "tiny.json"), "-o", str(plan)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = (plan / "report.html").read_text()
    _self_contained(text)
    assert "cheapest fleet" in text and text.count("<svg") == 1
    dom, log = _browser(plan / "report.html", "--dump-dom")
    assert log == [] and dom.count("<svg") == 1


def test_without_the_python_package_the_run_says_so_and_writes_its_report(tmp_path):
    exe = tmp_path / "capstan"
    shutil.copy(CLI, exe)
    env = {"PATH": "/usr/bin:/bin", "CAPSTAN_PYTHON": "/bin/false"}
    proc = subprocess.run([str(exe), "run", str(DATA / "tiny.json"), "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "no report.html" in proc.stderr and "report.json is written" in proc.stderr
    assert (tmp_path / "out" / "report.json").exists() and not (tmp_path / "out" / "report.html").exists()


def test_no_html_writes_none(tmp_path):
    proc = subprocess.run([CLI, "run", str(DATA / "tiny.json"), "-o", str(tmp_path), "--no-html"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and not (tmp_path / "report.html").exists()
