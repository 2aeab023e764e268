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


def _fits(page, tmp_path):
    """At 1200 and 900 px wide (a desktop window, half a laptop screen), the page never scrolls sideways and no table
    (nor the plan's text) overflows its box: checked in Chromium by a probe script run on a copy of the page."""
    probe = tmp_path / f"probe-{page.parent.name}.html"
    script = ('<script>var boxes = [...document.querySelectorAll("div.table, pre")];'
              'var over = boxes.filter(d => d.scrollWidth > d.clientWidth);'
              'document.body.setAttribute("data-fit", (document.documentElement.scrollWidth <= window.innerWidth) + "/" '
              '+ over.length + "/" + boxes.length);</script></body>')
    probe.write_text(page.read_text().replace("</body>", script))
    for width in (1200, 900):
        dom, log = _browser(probe, "--dump-dom", f"--window-size={width},2000")
        assert log == []
        fit = re.search(r'data-fit="([^"]*)"', dom).group(1)
        page_fits, tables_over, tables = fit.split("/")
        assert page_fits == "true" and tables_over == "0" and int(tables) > 0, (width, fit)


def _plain_numbers(text):
    """No figure in a table cell is in scientific notation, and a count has no stray decimals."""
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", text)
    assert cells
    assert not [c for c in cells if re.search(r"\d[eE][+-]\d", c)], "scientific notation in a table"


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
    # Every pool in a table; the warm-up is shaded and named on every plot over time; the manifest reads left.
    assert "<h2>Node pools</h2>" in text and "cloud-us-east/instructors" in text
    assert text.count("warm-up: not measured") >= 1 and "warm-up: billed" in text
    assert '<table class="text"><tr><th>field</th>' in text
    _plain_numbers(text)
    _fits(page, tmp_path)
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
    # Four classes in three metros (capstan init's world), so that the points table is as wide as users' are.
    world = tmp_path / "world.json"
    assert subprocess.run([CLI, "init", str(world)], capture_output=True, stdin=subprocess.DEVNULL).returncode == 0
    sweep = tmp_path / "sweep"
    proc = subprocess.run([CLI, "sweep", str(world), "--grid", "workload.peak_users=5000,10000,20000",
                           "--set", "simulation.duration_h=0.2", "--set", "simulation.warmup_h=0.05",
                           "--replications", "1", "-o", str(sweep)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = (sweep / "report.html").read_text()
    _self_contained(text)
    assert text.count("<svg") == 2 and "workload.<wbr>peak_<wbr>users" in text
    for cls in ("dialogue", "reactive", "content", "moderation"):
        assert f"{cls} SLO ms" in text and f"{cls} attained" in text
    dom, log = _browser(sweep / "report.html", "--dump-dom")
    assert log == [] and dom.count("<svg") == 2
    _plain_numbers(text)
    _fits(sweep / "report.html", tmp_path)
    plan = tmp_path / "plan"
    proc = subprocess.run([CLI, "plan", str(DATA / "tiny.json"), "-o", str(plan)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = (plan / "report.html").read_text()
    _self_contained(text)
    assert "cheapest fleet" in text and text.count("<svg") == 1
    dom, log = _browser(plan / "report.html", "--dump-dom")
    assert log == [] and dom.count("<svg") == 1
    _fits(plan / "report.html", tmp_path)


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


def test_numbers_read_as_people_write_them():
    from capstan.report_html import _num
    assert _num(343761.7) == "343,762" and _num(39720.4) == "39,720" and _num(3.972e4) == "39,720"
    assert _num(0.0255) == "0.0255" and _num(12.345) == "12.35" and _num(2.0) == "2" and _num(0) == "0"
    assert _num(8.068e-05) == "0.00008068" and _num(-0.5) == "-0.5"
    assert _num(None) == "-" and _num(float("nan")) == "-"


def test_fourteen_pools_get_fourteen_looks_and_sixty_stay_distinct():
    from capstan.report_html import pool_style
    looks = [(pool_style(i)["color"], pool_style(i)["linestyle"]) for i in range(60)]
    assert len(set(looks)) == 60 and len({c for c, _ in looks[:14]}) == 14


def test_small_ledger_categories_stay_visible_and_labelled():
    from capstan.report_html import cost_breakdown
    report = {"cost": {"breakdown_usd": {"gpu_on_demand": 200.97, "human_moderation": 1230.0, "network_egress": 1.1,
                                         "hosted_api": 0.0}}}
    fig = cost_breakdown(report)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"  # 1,230 beside 1.10: a linear axis would leave $1.10 as a hairline
    labels = {t.get_text().strip() for t in ax.texts}
    assert {"$200.97", "$1,230.00", "$1.10", "$0.00"} <= labels
    left, _ = ax.get_xlim()
    assert left < 1.1  # the smallest bar starts inside the axis


def test_one_outlier_does_not_squash_the_frontier():
    import pandas as pd

    from capstan.plan_plots import frontier
    df = pd.DataFrame({"worst_slo_ratio": [0.6, 0.9, 1.1, 60.0, None], "cost_per_user_hour_usd": [3, 2, 1.5, 0.5, 0.4],
                       "feasible": [1, 1, 0, 0, 0], "frontier": [1, 1, 1, 1, 0]})
    ax = frontier(df).axes[0]
    assert ax.get_xscale() == "log"
    assert any(t.get_label() == "a class completed nothing" for t in ax.collections)
    tight = frontier(df[df["worst_slo_ratio"] < 2]).axes[0]
    assert tight.get_xscale() == "linear"
