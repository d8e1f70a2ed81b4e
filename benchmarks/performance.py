"""Time one training step by every path, and the native solver as N grows.

    python benchmarks/performance.py [--quick]

Prints two tables from one run:

1. seconds per training step on the divider, mapping_9n15e and
   regression_10n17e (from specs/, or generated alike when a spec is
   missing), with the spec's trained weights, for native Euler relaxation +
   forward differences, native Newton + batched forward differences, native
   adjoint, and the ngspice and ahkab backends (forward differences), with
   the ratio of each to the fastest path on that spec;
2. random networks of N = 10 ... 10,000 nodes (3 N edges, every property of
   every node and edge a weight, so M = 8 N): seconds for the cold steady
   state, for one adjoint step (warm steady state + gradient), for the one
   sparse linear solve inside it, the forward-difference step that M would
   cost, and the peak memory traced during the step.

Fast paths take the best of a few repetitions; the SPICE paths are timed
once (ahkab takes seconds per pass). `--quick` stops the scaling at 1,000.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import scipy
from rich.console import Console
from rich.table import Table

import memspec
from memspec.backends import get_backend
from memspec.errors import MemspecError
from memspec.models import WEIGHT_KINDS, Edge, Node, Regression, Spec, TrainedProperty
from memspec.network import Network
from memspec.solve.newton import SteadyProblem, solve_steady
from memspec.solve.random_networks import random_network
from memspec.training.adjoint import steady_gradient
from memspec.training.gradient import Problem, gradient, perturbations
from memspec.training.loop import trained_properties
from memspec.training.task import TaskPlan
from memspec.training.weights import weight_set

ROOT = Path(__file__).resolve().parents[1]
SPECS = {
    "divider": ROOT / "specs" / "voltage_divider.mem",
    "mapping_9n15e": ROOT / "specs" / "paper" / "mapping_9n15e.mem",
    "regression_10n17e": ROOT / "specs" / "paper" / "regression_10n17e.mem",
}
PATHS = [
    # label, backend, solver, gradient
    ("native Euler + forward FD", "native", "relax", "forward"),
    ("native Newton + batched forward FD", "native", "newton", "forward"),
    ("native adjoint", "native", "newton", "adjoint"),
    ("ngspice + forward FD", "ngspice", "relax", "forward"),
    ("ahkab + forward FD", "ahkab", "relax", "forward"),
]
REPEATS = {"native": 20, "ngspice": 1, "ahkab": 1}
SCALING = [10, 100, 1_000, 10_000]


def load(name: str) -> tuple[Spec, str]:
    path = SPECS[name]
    if path.exists():
        return memspec.load(path), str(path.relative_to(ROOT))
    return generated_regression(), "generated (spec not in specs/ yet)"


def generated_regression() -> Spec:
    """10 nodes, 17 edges, V_out = 0.2 V_in + 0.3: the paper's regression task
    on a random connected graph, trained on pressure."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from paper_graphs import random_graph

    pairs = random_graph(10, 17, 0, {1, 2, 3})
    roles = {1: "input", 2: "input", 3: "input", 10: "output"}
    return Spec(
        name="regression_10n17e",
        nodes=[Node(name=f"n{i}", role=roles.get(i, "hidden")) for i in range(1, 11)],
        edges=[
            Edge(name=f"e{k}", base=f"n{a}", tip=f"n{b}")
            for k, (a, b) in enumerate(pairs, 1)
        ],
        train=[TrainedProperty(kind="pressure", rate=0.05, bounds=(0.95, 1.05))],
        task=Regression(
            slope=0.2,
            intercept=0.3,
            data_node="n1",
            bias_node="n2",
            bias_voltage=1.0,
            ground_node="n3",
            output_node="n10",
            input_range=(0.0, 5.0),
            n_train=20,
            n_test=11,
        ),
    )


def step_seconds(spec: Spec, backend_name: str, solver: str, method: str):
    """Best seconds of one training step, and M; None when unavailable."""
    try:
        backend = get_backend(backend_name)
    except MemspecError as error:
        return None, f"skipped: {error}"
    network = Network.from_spec(spec)
    weights = weight_set(network, trained_properties(spec))
    objective = TaskPlan(spec).objective(0)
    settings = spec.simulation.model_copy(update={"solver": solver})
    problem = Problem(backend, settings, weights, objective.inputs, objective.targets)
    w = weights.initial()
    dw = perturbations(w, spec.training.fd_step)
    repeats = REPEATS[backend_name]
    if repeats > 1:
        gradient(problem, w, method, dw)  # warm caches and imports
    best = np.inf
    for _ in range(repeats):
        started = time.perf_counter()
        gradient(problem, w, method, dw)
        best = min(best, time.perf_counter() - started)
    return best, f"M = {len(weights)}"


def step_table(console: Console) -> None:
    table = Table(title="Seconds per training step (best of repeats)")
    table.add_column("spec")
    table.add_column("path")
    table.add_column("seconds", justify="right")
    table.add_column("x fastest", justify="right")
    table.add_column("note")
    for name in SPECS:
        spec, origin = load(name)
        rows = [(label, *step_seconds(spec, *path)) for label, *path in PATHS]
        fastest = min(s for _, s, _ in rows if s is not None)
        for label, seconds, note in rows:
            if seconds is None:
                table.add_row(name, label, "-", "-", note)
            else:
                table.add_row(
                    name, label, f"{seconds:.4g}", f"{seconds / fastest:.3g}", note
                )
        table.add_row(name, "", "", "", f"spec: {origin}", end_section=True)
    console.print(table)


def scaling_row(n: int) -> list[str]:
    network = random_network(n, 3 * n, seed=0, pressure_spread=0.02)
    inputs = {"n0": 0.0, "n1": 2.0, "n2": 5.0}
    settings = memspec.models.Simulation(solver="newton")
    outputs = network.indices("output")

    started = time.perf_counter()
    volts = solve_steady(network, inputs, settings)
    steady = time.perf_counter() - started

    def adjoint_step() -> None:
        v = solve_steady(network, inputs, settings, initial=volts)
        d_cost = np.zeros(n)
        d_cost[outputs] = 2 * (v[outputs] - 2.5)
        steady_gradient(network, inputs, settings, v, d_cost)

    started = time.perf_counter()
    adjoint_step()
    step = time.perf_counter() - started

    problem = SteadyProblem(network, inputs, settings)
    k = problem.differential(volts[None])
    rhs = np.ones((1, len(problem.free)))
    started = time.perf_counter()
    problem.solve_linear(k, rhs)
    linear = time.perf_counter() - started

    tracemalloc.start()
    adjoint_step()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    m = 2 * network.n_nodes + 2 * network.n_edges
    return [
        f"{n:,}",
        f"{network.n_edges:,}",
        f"{m:,}",
        f"{steady:.3g}",
        f"{step:.3g}",
        f"{linear:.2g}",
        f"{(m + 1) * steady:.3g}",
        f"{peak:.0f}",
    ]


def scaling_table(console: Console, sizes: list[int]) -> None:
    table = Table(title="Native Newton + adjoint on random networks (E = 3 N)")
    for column in (
        "N",
        "E",
        "M",
        "steady s",
        "adjoint step s",
        "linear solve s",
        "forward FD step s (est.)",
        "peak MB",
    ):
        table.add_column(column, justify="right")
    for n in sizes:
        table.add_row(*scaling_row(n))
    console.print(table)


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}"
    )


def main() -> None:
    console = Console(width=120)
    console.print(machine())
    console.print(f"weights: spec train blocks; scaling weights: {WEIGHT_KINDS}")
    step_table(console)
    sizes = SCALING[:-1] if "--quick" in sys.argv else SCALING
    scaling_table(console, sizes)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    console.print(f"peak resident memory of the whole run: {rss:.0f} MB")


if __name__ == "__main__":
    main()
