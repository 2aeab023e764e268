"""capstan.plot: figures that save as PNG and SVG without a display."""
import pytest
from matplotlib.figure import Figure

import capstan
import capstan.plot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def swept(tiny):
    return capstan.sweep(tiny, grid={"workload.peak_users": [100, 200, 300], "sites.cloud.pools.main.gpus": [1, 2]},
                         replications=2)


def _saves(fig, tmp_path, stem):
    assert isinstance(fig, Figure)
    png, svg = tmp_path / f"{stem}.png", tmp_path / f"{stem}.svg"
    fig.savefig(png)
    fig.savefig(svg)
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 1000
    text = svg.read_text()
    assert "<svg" in text and text.rstrip().endswith("</svg>")
    return fig


def test_latency_vs_load(swept, tmp_path):
    one_pool = swept[swept["sites.cloud.pools.main.gpus"] == 2]
    fig = capstan.plot.latency_vs_load(one_pool, metric="ttft", slo_ms={"dialogue": 200}, title="TTFT")
    _saves(fig, tmp_path, "latency")
    (ax,) = fig.axes
    assert ax.get_title() == "dialogue"
    # p50, p95, p99 and the SLO line.
    assert len(ax.get_lines()) == 4
    # Replicated: one 95% band per percentile.
    assert len(ax.collections) == 3


def test_cost_vs_load(swept, tmp_path):
    fig = capstan.plot.cost_vs_load(swept, by="sites.cloud.pools.main.gpus")
    _saves(fig, tmp_path, "cost")
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 2
    assert ax.get_ylabel() == "cost.per_user_hour_usd"


def test_timeseries(tiny, tmp_path):
    result = capstan.run(tiny)
    fig = capstan.plot.timeseries(result)
    _saves(fig, tmp_path, "timeseries")
    assert len(fig.axes) == 5
    fig = capstan.plot.timeseries(result.timeseries, columns=["users"])
    assert len(fig.axes) == 1


def test_plot_errors(swept, tiny):
    with pytest.raises(ValueError):
        capstan.plot.latency_vs_load(swept, metric="nonsense")
    with pytest.raises(ValueError):
        capstan.plot.cost_vs_load(swept, y="cost.nonsense")
    with pytest.raises(ValueError):
        capstan.plot.timeseries(capstan.run(tiny), columns=["nonsense"])
