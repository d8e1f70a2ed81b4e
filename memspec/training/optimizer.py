"""Weight updates. Steepest descent is the published rule; the rest are extras.

Every optimizer takes per-weight learning rates in weight units per unit of
gradient, and returns the new weights before clipping to bounds. The rates
may follow a schedule (`decayed_rates`), set before each step.
"""

from __future__ import annotations

import numpy as np

from memspec.models import Training


class SteepestDescent:
    """`w <- w - rate * grad` (PHYSICS.md, "Training, as published")."""

    def __init__(self, rates: np.ndarray):
        self.rates = rates

    def step(self, w: np.ndarray, grad: np.ndarray) -> np.ndarray:
        return w - self.rates * grad

    def state(self) -> dict[str, list[float] | int]:
        """What the next steps depend on beyond the weights (saved for resume)."""
        return {}

    def restore(self, state: dict) -> None:
        """Continue from a `state()` saved earlier."""


class Momentum(SteepestDescent):
    """Heavy-ball descent: `v <- mu v + grad`, `w <- w - rate * v`."""

    def __init__(self, rates: np.ndarray, mu: float):
        super().__init__(rates)
        self.mu = mu
        self.velocity = np.zeros_like(rates)

    def step(self, w: np.ndarray, grad: np.ndarray) -> np.ndarray:
        self.velocity = self.mu * self.velocity + grad
        return w - self.rates * self.velocity

    def state(self) -> dict[str, list[float] | int]:
        return {"velocity": self.velocity.tolist()}

    def restore(self, state: dict) -> None:
        self.velocity = np.array(state["velocity"], float)


class Adam(SteepestDescent):
    """Adam (Kingma and Ba, 2015) with the rate as step size in weight units."""

    def __init__(self, rates: np.ndarray, beta1: float = 0.9, beta2: float = 0.999):
        super().__init__(rates)
        self.beta1, self.beta2 = beta1, beta2
        self.first = np.zeros_like(rates)
        self.second = np.zeros_like(rates)
        self.count = 0

    def step(self, w: np.ndarray, grad: np.ndarray) -> np.ndarray:
        self.count += 1
        self.first = self.beta1 * self.first + (1 - self.beta1) * grad
        self.second = self.beta2 * self.second + (1 - self.beta2) * grad**2
        first = self.first / (1 - self.beta1**self.count)
        second = self.second / (1 - self.beta2**self.count)
        return w - self.rates * first / (np.sqrt(second) + 1e-12)

    def state(self) -> dict[str, list[float] | int]:
        return {
            "first": self.first.tolist(),
            "second": self.second.tolist(),
            "count": self.count,
        }

    def restore(self, state: dict) -> None:
        self.first = np.array(state["first"], float)
        self.second = np.array(state["second"], float)
        self.count = int(state["count"])


def decayed_rates(rates: np.ndarray, decay: float | None, step: int) -> np.ndarray:
    """The rates at a step: `rate / (1 + step / decay)`, or fixed for None.

    A rate falling as 1/step is the classical condition (Robbins and Monro,
    1951) for descent on one random sample per step to converge instead of
    wandering at a noise floor set by the rate; `decay` is the step count
    over which the rate halves.
    """
    if decay is None:
        return rates
    return rates / (1 + step / decay)


def make_optimizer(training: Training, rates: np.ndarray) -> SteepestDescent:
    if training.optimizer == "momentum":
        return Momentum(rates, training.momentum)
    if training.optimizer == "adam":
        return Adam(rates)
    return SteepestDescent(rates)
