"""The cost of a task at given weights, and its gradient.

`C = sum over outputs (V_i - V_i_target)^2` (PHYSICS.md, "Training, as
published"). The published gradient is forward finite differences,
`(C(w + dw e_m) - C(w)) / dw` with `dw = fd_step * w_m(0)`, the *initial*
weight, fixed through training. All M + 1 networks go to the backend in one
`solve_batch` call; central differences send 2 M + 1.

`gradient = "adjoint"` is delegated to `memspec.training.adjoint`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memspec.backends.base import Backend
from memspec.errors import TrainingError
from memspec.models import Simulation
from memspec.training.weights import WeightSet


@dataclass(frozen=True)
class Problem:
    """One objective: the inputs imposed and the outputs wanted (V)."""

    backend: Backend
    settings: Simulation
    weights: WeightSet
    inputs: dict[str, float]
    targets: dict[str, float]

    def cost(self, voltages: np.ndarray) -> np.ndarray:
        """C for node voltages (..., N): one cost per network."""
        net = self.weights.network
        index = [net.node_index(n) for n in self.targets]
        wanted = np.array(list(self.targets.values()))
        return np.sum((voltages[..., index] - wanted) ** 2, axis=-1)

    def solve(self, values: np.ndarray) -> np.ndarray:
        """Node voltages for weight vectors (M,) or (B, M)."""
        return self.backend.solve_batch(
            self.weights.network,
            self.inputs,
            self.settings,
            self.weights.parameters(values),
        )


@dataclass
class Evaluation:
    """C and dC/dw at one weight vector, with the node voltages there."""

    cost: float
    gradient: np.ndarray | None
    voltages: np.ndarray


def evaluate(problem: Problem, w: np.ndarray) -> Evaluation:
    """The cost alone: one forward pass."""
    voltages = problem.solve(w[None])[0]
    return Evaluation(float(problem.cost(voltages)), None, voltages)


def perturbations(w0: np.ndarray, fd_step: float) -> np.ndarray:
    """dw per weight, relative to the initial weights (fd_step where w0 = 0)."""
    return np.where(w0 != 0, fd_step * np.abs(w0), fd_step)


def gradient(
    problem: Problem, w: np.ndarray, method: str, dw: np.ndarray
) -> Evaluation:
    """C(w) and dC/dw by "forward" or "central" differences, or "adjoint"."""
    if method == "adjoint":
        from memspec.training import adjoint  # it imports this module

        return adjoint.gradient(problem, w)
    m = len(w)
    steps = np.diag(dw)
    if method == "forward":
        batch = np.vstack([w, w + steps])
    elif method == "central":
        batch = np.vstack([w, w + steps, w - steps])
    else:
        raise TrainingError(f"unknown gradient method '{method}'")

    voltages = problem.solve(batch)
    costs = problem.cost(voltages)
    if method == "forward":
        grad = (costs[1 : m + 1] - costs[0]) / dw
    else:
        grad = (costs[1 : m + 1] - costs[m + 1 :]) / (2 * dw)
    return Evaluation(float(costs[0]), grad, voltages[0])


def batch_gradient(
    problems: list[Problem], w: np.ndarray, method: str, dw: np.ndarray
) -> Evaluation:
    """C and dC/dw summed over several objectives (a regression batch).

    The voltages returned are those of the first objective.
    """
    parts = [gradient(p, w, method, dw) for p in problems]
    return Evaluation(
        sum(e.cost for e in parts),
        np.sum([e.gradient for e in parts], axis=0),
        parts[0].voltages,
    )


def batch_evaluate(problems: list[Problem], w: np.ndarray) -> Evaluation:
    """C summed over several objectives, without its gradient."""
    parts = [evaluate(p, w) for p in problems]
    return Evaluation(sum(e.cost for e in parts), None, parts[0].voltages)
