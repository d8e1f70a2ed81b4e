"""The side runs quoted in docs/reproduction.md, beside its tables.

    python benchmarks/side_runs.py [GROUP ...]

GROUP is any of solver, mapping, floor, regression, fit, published (default: all). Each
run is a spec of specs/paper/ changed in memory (`model_copy(update=...)`)
and trained with `memspec.train`; the script prints one table row per run.
It takes five to six minutes on one core and writes only into a temporary
directory, removed at the end.
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from paper_graphs import GRAPHS, random_graph
from scipy.optimize import least_squares

import memspec
from memspec.backends import get_backend
from memspec.errors import MemspecError
from memspec.models import Edge, Spec
from memspec.network import Network
from memspec.training.gradient import Problem
from memspec.training.loop import trained_properties
from memspec.training.task import TaskPlan
from memspec.training.weights import weight_set

PAPER = Path(__file__).parent.parent / "specs" / "paper"
GROUPS = ("solver", "mapping", "floor", "regression", "fit", "published")


def with_train(spec: Spec, kind: str, **update) -> Spec:
    """`spec` with the `train KIND` block updated and trained alone."""
    blocks = [p.model_copy(update=update) if p.kind == kind else p for p in spec.train]
    training = spec.training.model_copy(update={"weights": [kind]})
    return spec.model_copy(update={"train": blocks, "training": training})


def with_training(spec: Spec, **update) -> Spec:
    return spec.model_copy(update={"training": spec.training.model_copy(update=update)})


def with_device(spec: Spec, **update) -> Spec:
    return spec.model_copy(update={"device": spec.device.model_copy(update=update)})


def mapping_on_seed(seed: int) -> Spec:
    """The mapping spec on the graph `paper_graphs.py mapping SEED` prints."""
    spec = memspec.load(PAPER / "mapping_9n15e.mem")
    n_nodes, n_edges, inputs = GRAPHS["mapping"]
    edges = [
        Edge(name=f"e{k}", base=f"n{a}", tip=f"n{b}")
        for k, (a, b) in enumerate(random_graph(n_nodes, n_edges, seed, inputs), 1)
    ]
    return spec.model_copy(update={"edges": edges})


def run(label: str, spec: Spec, out: Path | None = None):
    """Train `spec` and print one row: costs, or the error that stopped it."""
    started = time.perf_counter()
    try:
        result = memspec.train(spec, out_dir=out, quiet=True)
    except MemspecError as error:
        first = str(error).splitlines()[0]
        seconds = time.perf_counter() - started
        print(f"| {label} | - | - | stopped: {first} | {seconds:.0f} |")
        return None
    print(
        f"| {label} | {result.steps} | {result.initial_cost:.3g} "
        f"| {result.relative_cost:.3g} | {result.seconds:.0f} |",
        flush=True,
    )
    return result


def header(title: str) -> None:
    print(f"\n{title}\n")
    print("| run | steps | initial cost [V^2] | relative cost | seconds |")
    print("|---|---:|---:|---:|---:|")


def solver() -> None:
    """Newton against the relaxation on the untrained mapping and regression."""
    print("\nsolver = newton against relax (untrained, task inputs)\n")
    for name in ("mapping_9n15e", "regression_10n17e"):
        spec = memspec.load(PAPER / f"{name}.mem")
        volts, seconds = {}, {}
        for method in ("relax", "newton"):
            settings = spec.simulation.model_copy(update={"solver": method})
            started = time.perf_counter()
            for _ in range(5):
                result = memspec.simulate(
                    spec.model_copy(update={"simulation": settings})
                )
            seconds[method] = (time.perf_counter() - started) / 5
            volts[method] = result.voltages
        gap = np.abs(volts["relax"] - volts["newton"]).max()
        print(
            f"{name}: largest node voltage difference {gap:.2g} V; "
            f"relax {seconds['relax'] * 1e3:.1f} ms, newton "
            f"{seconds['newton'] * 1e3:.1f} ms per solve"
        )


def mapping() -> None:
    header(
        "Mapping on the graphs of seeds 0 and 1 (steepest descent, forward differences)"
    )
    for seed in (0, 1):
        spec = mapping_on_seed(seed)
        run(f"seed {seed}, pressure 0.95 .. 1.05 bar", with_train(spec, "pressure"))
        wide = with_train(spec, "pressure", bounds=(0.8, 1.2))
        run(f"seed {seed}, pressure 0.8 .. 1.2 bar", wide)
    spec = mapping_on_seed(0)
    for rate in (0.01, 0.002):
        run(
            f"seed 0, concentration rate {rate}",
            with_train(spec, "concentration", rate=rate),
        )
    run("seed 0, length", with_train(spec, "length"))
    run("seed 0, base_radius", with_train(spec, "base_radius"))


def floor() -> None:
    spec = memspec.load(PAPER / "mapping_9n15e.mem")
    result = memspec.simulate(spec)
    links = [e.name for e in spec.edges if "n1" in (e.base, e.tip)]
    print(f"\nEdges at n1: {links}; steady-state currents [A]:")
    for name, amps in zip(result.edge_names, result.current, strict=True):
        print(f"  {name}: {amps:.3g}")
    header("Mapping, shipped graph: the forward-difference floor")
    adjoint = with_training(spec, gradient="adjoint")
    for kind in ("pressure", "concentration", "base_radius"):
        run(f"{kind}, adjoint, 300 steps", with_train(adjoint, kind))
    for steps in (450, 900):
        fd = with_training(with_train(spec, "pressure"), steps=steps)
        run(f"pressure, forward, {steps} steps", fd)


def regression() -> None:
    header("Regression, full-batch Adam on base radius (200 steps)")
    plain = memspec.load(PAPER / "regression_10n17e.mem")
    flipped = memspec.load(PAPER / "regression_10n17e_flipped.mem")
    trained = run("plain, 200 nm start", with_device(plain, base_radius=200e-9))
    run("plain, 400 nm start", with_device(plain, base_radius=400e-9))
    run("flipped, 200 nm start", with_device(flipped, base_radius=200e-9))
    for name, spec in (("plain", plain), ("flipped", flipped)):
        old = with_train(
            with_device(spec, base_radius=200e-9), "base_radius", bounds=(60, 1000)
        )
        run(f"{name}, 200 nm start, 60 .. 1000 nm", old)
    old = with_train(
        with_device(plain, base_radius=200e-9), "base_radius", bounds=(60, 1000)
    )
    run(
        "plain, 200 nm, 60 .. 1000 nm, forward differences",
        with_training(old, gradient="forward"),
    )
    for volts in (0.5, 1.5, 2.0):
        task = plain.task.model_copy(update={"bias_voltage": volts})
        spec = with_device(plain, base_radius=200e-9).model_copy(update={"task": task})
        run(f"plain, 200 nm start, bias {volts} V", spec)
    task = plain.task
    grid = np.linspace(*task.input_range, task.n_test)
    error = [
        memspec.simulate(trained.spec, inputs={task.data_node: x}).voltage(
            task.output_node
        )
        - (task.slope * x + task.intercept)
        for x in grid
    ]
    print(
        "\nplain, 200 nm start, trained: V_out - target over the test inputs "
        + ", ".join(f"{e * 1e3:+.1f}" for e in error)
        + " mV"
    )


def fit() -> None:
    """Bounded least squares of the 20 training samples, and the Jacobian."""
    spec = with_device(
        memspec.load(PAPER / "regression_10n17e.mem"), base_radius=200e-9
    )
    spec = with_train(spec, "base_radius", bounds=(60, 1000))
    backend = get_backend("native")
    weights = weight_set(Network.from_spec(spec), trained_properties(spec))
    plan = TaskPlan(spec)
    output = spec.task.output_node
    out = weights.network.node_index(output)

    def residuals(w: np.ndarray, objectives) -> np.ndarray:
        """V_out - target per objective, for weight vectors (B, M): (B, K)."""
        columns = []
        for o in objectives:
            problem = Problem(backend, spec.simulation, weights, o.inputs, o.targets)
            columns.append(problem.solve(w)[:, out] - o.targets[output])
        return np.stack(columns, axis=-1)

    def jacobian(w: np.ndarray, objectives) -> np.ndarray:
        step = weights.initial() * spec.training.fd_step
        shifted = w[None] + np.diag(step)
        r = residuals(np.vstack([w[None], shifted]), objectives)
        return ((r[1:] - r[0]) / step[:, None]).T

    train_set, test_set = plan.objectives(0), plan.test_set()
    w0 = weights.initial()
    singular = np.linalg.svd(jacobian(w0, train_set), compute_uv=False)
    print(
        f"\nJacobian dV_out/dRb at 200 nm, {len(train_set)} x {len(w0)}: singular "
        f"values {singular.max():.2g} .. {singular.min():.2g} V/nm"
    )
    lower = np.array([w.lower for w in weights.weights])
    upper = np.array([w.upper for w in weights.weights])
    started = time.perf_counter()
    solution = least_squares(
        lambda w: residuals(w[None], train_set)[0],
        w0,
        jac=lambda w: jacobian(w, train_set),
        bounds=(lower, upper),
        method="trf",
    )
    before = np.sum(residuals(w0[None], test_set) ** 2)
    after = np.sum(residuals(solution.x[None], test_set) ** 2)
    print(
        f"least squares from 200 nm within 60 .. 1000 nm: test cost {before:.3g} -> "
        f"{after:.3g} V^2, relative {after / before:.2g} "
        f"({solution.nfev} evaluations, {time.perf_counter() - started:.0f} s)"
    )


def published(tmp: Path) -> None:
    header("Regression, the paper's scheme, length (one sample per step)")
    spec = memspec.load(PAPER / "regression_10n17e_published.mem")
    long = with_training(with_train(spec, "length"), steps=6000)
    run("length, 6000 steps", long, tmp / "long")
    tests = test_costs(tmp / "long" / "history.csv")
    late = tests[tests[:, 0] >= 2000, 1] / tests[0, 1]
    print(
        f"\n6000 steps: test cost over its start, steps 2000..6000: "
        f"min {late.min():.3g}, max {late.max():.3g}\n"
    )
    decay = with_training(with_train(spec, "length"), steps=3500, rate_decay=500)
    run("length, 3500 steps, rate_decay = 500", decay)


def test_costs(history: Path) -> np.ndarray:
    """(step, test cost) at each step where the test cost was evaluated."""
    with history.open() as f:
        rows = [
            (int(r["step"]), float(r["test_cost"]))
            for r in csv.DictReader(f)
            if r["test_cost"]
        ]
    return np.array(rows)


def main() -> None:
    groups = sys.argv[1:] or [
        "solver",
        "mapping",
        "floor",
        "regression",
        "fit",
        "published",
    ]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        runs = {
            "solver": solver,
            "mapping": mapping,
            "floor": floor,
            "regression": regression,
            "fit": fit,
            "published": lambda: published(Path(tmp)),
        }
        for group in groups:
            runs[group]()
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
