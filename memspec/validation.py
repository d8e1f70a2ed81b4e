"""The cross-simulator check: one spec, relaxed on several backends.

Every backend relaxes the spec under the inputs of its task (the mapping,
each stage of a schedule, or up to five evenly spaced points of a
regression's test set). For every case and node the deviation is the spread
max - min of the node's voltage across backends; the check passes when the
largest spread is within the tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from memspec.backends import Backend, get_backend
from memspec.errors import BackendError, MemspecError
from memspec.models import Mapping, Regression, Spec
from memspec.network import Network

MAX_REGRESSION_POINTS = 5


@dataclass(frozen=True)
class Case:
    """One set of imposed inputs and each backend's node voltages (V)."""

    label: str
    inputs: dict[str, float]
    voltages: dict[str, np.ndarray]  # backend -> (N,)

    @property
    def deviation(self) -> np.ndarray:
        """The spread of each node's voltage across backends, (N,)."""
        stack = np.array(list(self.voltages.values()))
        return stack.max(axis=0) - stack.min(axis=0)


@dataclass(frozen=True)
class Validation:
    spec: str
    backends: tuple[str, ...]
    node_names: tuple[str, ...]
    tolerance: float
    cases: list[Case]

    @property
    def largest(self) -> tuple[float, str, str]:
        """The largest deviation (V), with its case and node."""
        deviation, case, node = max(
            (float(d), c.label, self.node_names[i])
            for c in self.cases
            for i, d in enumerate(c.deviation)
        )
        return deviation, case, node

    @property
    def passed(self) -> bool:
        return self.largest[0] <= self.tolerance

    def to_json(self) -> dict[str, Any]:
        deviation, case, node = self.largest
        return {
            "spec": self.spec,
            "backends": list(self.backends),
            "tolerance": self.tolerance,
            "passed": self.passed,
            "largest_deviation": {"volts": deviation, "case": case, "node": node},
            "cases": [
                {
                    "case": c.label,
                    "inputs": c.inputs,
                    "nodes": {
                        b: dict(zip(self.node_names, map(float, v), strict=True))
                        for b, v in c.voltages.items()
                    },
                    "deviation": dict(
                        zip(self.node_names, map(float, c.deviation), strict=True)
                    ),
                }
                for c in self.cases
            ],
        }


def task_cases(spec: Spec) -> list[tuple[str, dict[str, float]]]:
    """Labelled input sets that exercise the spec's task."""
    task = spec.task
    if isinstance(task, Mapping):
        return [("mapping", dict(task.inputs))]
    if isinstance(task, Regression):
        points = min(task.n_test, MAX_REGRESSION_POINTS)
        return [
            (
                f"{task.data_node} = {x:g} V",
                {task.data_node: x, task.bias_node: task.bias_voltage}
                | {task.ground_node: 0.0},
            )
            for x in np.linspace(*task.input_range, points).tolist()
        ]
    return [(f"stage {k + 1}", dict(s.inputs)) for k, s in enumerate(task.stages)]


def validate(
    spec: Spec, backends: Sequence[str], tolerance: float = 1e-3
) -> Validation:
    """Relax `spec` on every backend under each case of its task."""
    if len(set(backends)) < 2:
        raise MemspecError("validation compares at least two different backends")
    if not tolerance > 0:
        raise MemspecError(f"the tolerance must be positive, not {tolerance:g} V")
    network = Network.from_spec(spec)
    solvers = {name: get_backend(name) for name in backends}
    cases = [
        Case(
            label,
            inputs,
            {
                name: _run(solver, network, inputs, spec, label)
                for name, solver in solvers.items()
            },
        )
        for label, inputs in task_cases(spec)
    ]
    return Validation(spec.name, tuple(backends), network.node_names, tolerance, cases)


def trained_on(spec: Spec, trained: Spec) -> Spec:
    """`trained` (a run's trained.mem), after checking that it is `spec`'s network.

    Raises:
        MemspecError: the two specs do not have the same nodes and edges.
    """

    def graph(s: Spec) -> tuple:
        nodes = tuple((n.name, n.role) for n in s.nodes)
        return nodes, tuple((e.name, e.base, e.tip) for e in s.edges)

    if graph(spec) != graph(trained):
        raise MemspecError(
            f"the trained weights in {trained.path} are for network "
            f"'{trained.name}', whose nodes and edges differ from those of "
            f"'{spec.name}' in {spec.path}"
        )
    return trained


def _run(backend: Backend, network: Network, inputs, spec: Spec, case: str):
    try:
        return backend.simulate(network, inputs, spec.simulation).voltages
    except BackendError:
        raise
    except MemspecError as error:
        # Say which simulator met the problem; the message stays the model's.
        raise BackendError(f"{error} ({case})", backend=backend.name) from error
