"""capstan: discrete-event capacity planning for LLM-served virtual environments.

A scenario file in, latency and cost figures out::

    import capstan
    scenario = capstan.load("scenarios/consumer_world.json")      # validated, or ScenarioError
    result = capstan.run(scenario, set={"workload.peak_users": 50000}, replications=3)
    result.classes      # DataFrame: one row per interaction class (latency percentiles, SLO attainment)
    result.cost         # DataFrame: one row per cost category
    df = capstan.sweep(scenario, grid={"workload.peak_users": [25000, 50000, 100000]})
    capstan.plot.cost_vs_load(df, x="workload.peak_users").savefig("cost.png")

`sweep(..., client=dask.distributed.Client(...))` runs the points on a Dask
cluster with results identical to a local run. `regress()` checks forecasts
against committed baselines, as `capstan regress` does in CI; `plan()` finds the
cheapest fleet that meets every SLO, locally or on Dask, and `manifests()` the
Kubernetes manifests of a fleet.
"""
from capstan._core import Roofline, ScenarioError, built_with_cuda, gpu_probe
from capstan._core import version as __version__
from capstan.plan import Plan, manifests, plan
from capstan.progress import progress_bar
from capstan.regress import regress
from capstan.result import Result, run
from capstan.scenario import Scenario, load
from capstan.sweep import sweep

__all__ = [
    "Plan",
    "Result",
    "Roofline",
    "Scenario",
    "ScenarioError",
    "__version__",
    "built_with_cuda",
    "gpu_probe",
    "load",
    "manifests",
    "plan",
    "plot",
    "progress_bar",
    "regress",
    "run",
    "sweep",
]


def __getattr__(name):
    # matplotlib is imported only when plots are asked for.
    if name == "plot":
        import importlib

        return importlib.import_module("capstan.plot")
    raise AttributeError(f"module 'capstan' has no attribute {name!r}")
