"""The training loop of PHYSICS.md, "Training, as published", and its outputs.

Row k of the history holds the weights after k updates and the cost there
(for a regression batch, summed over its samples, with the voltages of the
first); the last row (k = steps) is evaluated but not updated from. Rates
follow `training.rate_decay` when it is set. With an output
directory, training writes there:

- `history.csv`, appended and flushed each step (see `history.py`);
- `optimizer.json`, for momentum and Adam only: their running averages
  before the update of each of the last two steps, written atomically before
  the step's row, so that whichever row was written last has its state;
- `result.json` and `trained.mem`, each written atomically at the end.

An interrupted run resumes exactly from the last row of its history.csv.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from memspec.backends import Backend, get_backend
from memspec.backends.native import NativeBackend
from memspec.errors import PhysicsError, TrainingError
from memspec.models import WEIGHT_KINDS, Spec, TrainedProperty
from memspec.network import Network
from memspec.parser import load
from memspec.solve.relax import relax
from memspec.training.gradient import (
    Problem,
    batch_evaluate,
    batch_gradient,
    evaluate,
    perturbations,
)
from memspec.training.history import HistoryWriter, columns, read_history
from memspec.training.optimizer import decayed_rates, make_optimizer
from memspec.training.progress import Reporter, default_reporter
from memspec.training.task import Objective, TaskPlan
from memspec.training.weights import WeightSet, trained_spec, weight_set

OPTIMIZER_STATE = "optimizer.json"


@dataclass
class TrainResult:
    """What a training run achieved; `to_json()` is result.json."""

    initial_cost: float
    final_cost: float
    steps: int
    weights: dict[str, float]  # name -> value in weight units
    outputs: dict[str, float]  # output node -> V at the last step
    seconds: float
    backend: str
    weight_units: dict[str, str]
    gradient: str
    spec: Spec  # the input spec with the trained values written in
    costs: list[float] = field(default_factory=list)  # one per history row
    out_dir: Path | None = None

    @property
    def relative_cost(self) -> float:
        if self.initial_cost == 0:
            return 0.0 if self.final_cost == 0 else float("inf")
        return self.final_cost / self.initial_cost

    def to_json(self) -> dict[str, Any]:
        return {
            "initial_cost": self.initial_cost,
            "final_cost": self.final_cost,
            "relative_cost": self.relative_cost,
            "steps": self.steps,
            "weights": self.weights,
            "outputs": self.outputs,
            "seconds": self.seconds,
            "backend": self.backend,
            "weight_units": self.weight_units,
            "gradient": self.gradient,
        }


def trained_properties(spec: Spec, weight: str | None = None) -> list[TrainedProperty]:
    """The train blocks in force: those of kind `weight` when given, else the
    kinds listed in the spec's `training { weights = ... }`, else all."""
    if weight is not None and weight not in WEIGHT_KINDS:
        raise TrainingError(
            f"unknown weight type '{weight}'; choose one of {', '.join(WEIGHT_KINDS)}"
        )
    kinds = [weight] if weight else spec.training.weights
    if kinds is None:
        return list(spec.train)
    chosen = [p for p in spec.train if p.kind in kinds]
    missing = sorted(set(kinds) - {p.kind for p in chosen})
    if missing:
        raise TrainingError(
            f"the spec has no `train {missing[0]}` block, so {missing[0]} has no "
            "learning rate; add one"
        )
    return chosen


def train(
    spec: Spec | str | Path,
    *,
    backend: str | Backend = "native",
    steps: int | None = None,
    weight: str | None = None,
    out_dir: str | Path | None = None,
    resume: bool = False,
    quiet: bool = False,
    reporter: Reporter | None = None,
) -> TrainResult:
    """Train the network of `spec` on its task.

    Args:
        spec: a parsed spec, or the path of a .mem file to load.
        backend: a backend name or instance that relaxes the networks.
        steps: the number of updates; default from the spec.
        weight: train this kind of property (its `train` block) instead of
            the spec's choice.
        out_dir: where history.csv, result.json and trained.mem go; None
            writes nothing.
        resume: continue the run recorded in `out_dir`.
        quiet: no progress bar (there is none off a terminal either).
        reporter: a progress reporter instead of the default.

    Raises:
        TrainingError: the weights cannot be trained as asked.
        PhysicsError: a network left the model's validity range.
    """
    started = time.perf_counter()
    spec = spec if isinstance(spec, Spec) else load(spec)
    backend = get_backend(backend) if isinstance(backend, str) else backend
    method = spec.training.gradient
    if method == "adjoint" and backend.name != "native":
        raise TrainingError(
            "the adjoint gradient differentiates the native model; train with "
            f"the native backend rather than {backend.name}, or use gradient = "
            "forward or central"
        )
    network = Network.from_spec(spec)
    weights = weight_set(network, trained_properties(spec, weight))
    plan = TaskPlan(spec, steps)
    w0 = weights.initial()
    dw = perturbations(w0, spec.training.fd_step)
    outputs = [network.node_names[i] for i in network.indices("output")]
    header = columns(weights.names, outputs)
    optimizer = make_optimizer(spec.training, weights.rates)

    out = Path(out_dir) if out_dir is not None else None
    w, first, costs, writer = w0.copy(), 0, [], None
    if resume and out is None:
        raise TrainingError("resuming needs the output directory of the run")
    snapshots: dict[str, dict] = {}
    if out is not None:
        path = out / "history.csv"
        rows = read_history(path, header) if resume and path.exists() else []
        if rows:
            first = int(rows[-1]["step"])
            w = np.array([float(rows[-1][n]) for n in weights.names])
            costs = [float(r["cost"]) for r in rows]
            if first > plan.total:
                raise TrainingError(
                    f"cannot resume: {path} already holds {first} steps, more than "
                    f"the {plan.total} asked for"
                )
            snapshots = _restore_optimizer(optimizer, out, first)
        try:
            out.mkdir(parents=True, exist_ok=True)
            writer = HistoryWriter(path, header, append=bool(rows))
        except OSError as error:
            raise TrainingError(
                f"cannot write the run to {out}: {error.strerror or error}"
            ) from error

    reporter = reporter or default_reporter(quiet)
    reporter.start(plan.total, first)
    try:
        for k in range(first, plan.total + 1):
            problems = [
                Problem(backend, spec.simulation, weights, o.inputs, o.targets)
                for o in plan.objectives(k)
            ]
            try:
                ev = (
                    batch_gradient(problems, w, method, dw)
                    if k < plan.total
                    else batch_evaluate(problems, w)
                )
            except PhysicsError as error:
                raise PhysicsError(f"at training step {k}, {error}") from error
            if out is not None and optimizer.state():
                snapshots = {str(k - 1): snapshots.get(str(k - 1), {})} | {
                    str(k): optimizer.state()
                }
                _write_atomic(out / OPTIMIZER_STATE, json.dumps(snapshots))
            if writer is not None and not (costs and k == first):
                test = (
                    _cost(backend, spec, weights, plan.test_set(), w)
                    if plan.test_due(k)
                    else None
                )
                writer.append(
                    {"step": k, "stage": plan.stage(k), "cost": ev.cost}
                    | {"test_cost": test}
                    | dict(zip(weights.names, w.tolist(), strict=True))
                    | {f"V:{n}": ev.voltages[network.node_index(n)] for n in outputs}
                )
                costs.append(ev.cost)
            elif writer is None:
                costs.append(ev.cost)
            reporter.update(k, ev.cost)
            if k == plan.total:
                break
            optimizer.rates = decayed_rates(weights.rates, spec.training.rate_decay, k)
            w = weights.clip(optimizer.step(w, ev.gradient))
            weights.check_physical(w)
    finally:
        reporter.close()
        if writer is not None:
            writer.close()

    result = TrainResult(
        initial_cost=_cost(backend, spec, weights, plan.final(), w0),
        final_cost=_cost(backend, spec, weights, plan.final(), w),
        steps=plan.total,
        weights=dict(zip(weights.names, w.tolist(), strict=True)),
        outputs={n: float(ev.voltages[network.node_index(n)]) for n in outputs},
        seconds=0.0,
        backend=backend.name,
        weight_units=weights.units,
        gradient=method,
        spec=trained_spec(spec, weights, w),
        costs=costs,
        out_dir=out,
    )
    result.seconds = time.perf_counter() - started
    if out is not None:
        _write_outputs(result, out)
    return result


def _cost(
    backend: Backend,
    spec: Spec,
    weights: WeightSet,
    objectives: list[Objective],
    w: np.ndarray,
) -> float:
    """The summed cost of several objectives at weights w."""
    problems = [
        Problem(backend, spec.simulation, weights, o.inputs, o.targets)
        for o in objectives
    ]
    native = isinstance(backend, NativeBackend) and spec.simulation.solver == "relax"
    if len(problems) > 1 and native:
        # One batched relaxation with different inputs per member.
        inputs = {
            n: np.array([o.inputs[n] for o in objectives]) for n in objectives[0].inputs
        }
        batch = weights.parameters(np.tile(w, (len(objectives), 1)))
        voltages = relax(weights.network, inputs, spec.simulation, batch).voltages
        return float(sum(p.cost(v) for p, v in zip(problems, voltages, strict=True)))
    return float(sum(evaluate(p, w).cost for p in problems))


def _restore_optimizer(optimizer, out: Path, step: int) -> dict[str, dict]:
    """Give a resumed momentum or Adam optimizer its state before `step`."""
    if not optimizer.state():
        return {}
    try:
        snapshots = json.loads((out / OPTIMIZER_STATE).read_text(encoding="utf-8"))
        optimizer.restore(snapshots[str(step)])
    except (OSError, ValueError, KeyError) as error:
        raise TrainingError(
            f"cannot resume: {out / OPTIMIZER_STATE} does not hold the optimizer's "
            f"state at step {step}, so momentum or Adam could not continue exactly"
        ) from error
    return snapshots


def _write_outputs(result: TrainResult, out: Path) -> None:
    from memspec.writer import dump

    _write_atomic(out / "result.json", json.dumps(result.to_json(), indent=2) + "\n")
    _write_atomic(out / "trained.mem", dump(result.spec))


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
