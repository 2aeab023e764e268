"""The scenario the README runs first shows what capstan models: spot reclaims in the measured window, and no
paid pool left idle."""
import pytest

import capstan
from conftest import REPO


@pytest.fixture(scope="module")
def world():
    return capstan.run(str(REPO / "scenarios" / "consumer_world.json"), replications=1)


def test_the_measured_hour_has_a_spot_reclaim_and_its_fallback(world):
    pools = world.pools
    spot = pools[pools["capacity"] == "spot"]
    # Counts are over the window after the warm-up: the reclaim happens in the hour measured.
    assert spot["interruptions"].sum() >= 1
    reclaimed = spot[spot["interruptions"] > 0]
    assert (reclaimed["fallback_gpu_hours"] > 0).all() and (reclaimed["cold_starts"] > 0).all()
    # And its cost shows: the class it serves drops requests while the pool is short.
    assert world.classes.loc["content", "dropped"] > 0
    # The time series places it after the hour of warm-up.
    ts = world.timeseries
    columns = [c for c in ts.columns if c.startswith("interruptions:")]
    assert ts.loc[ts["minute"] >= 60, columns].to_numpy().sum() >= 1


def test_no_paid_pool_is_idle(world):
    pools = world.pools
    assert (pools["gpu_hours"] > 0).all()
    idle = pools[pools["gpu_utilization"] < 0.01]
    assert idle.empty, f"paid pools idle in the measured hour: {list(idle.index)}"
