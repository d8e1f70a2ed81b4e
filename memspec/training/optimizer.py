"""Weight updates. Steepest descent is the published rule; the rest are extras.

Every optimizer takes per-weight learning rates in weight units per unit of
gradient, and returns the new weights before clipping to bounds.
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


class Momentum(SteepestDescent):
    """Heavy-ball descent: `v <- mu v + grad`, `w <- w - rate * v`."""

    def __init__(self, rates: np.ndarray, mu: float):
        super().__init__(rates)
        self.mu = mu
        self.velocity = np.zeros_like(rates)

    def step(self, w: np.ndarray, grad: np.ndarray) -> np.ndarray:
        self.velocity = self.mu * self.velocity + grad
        return w - self.rates * self.velocity


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


def make_optimizer(training: Training, rates: np.ndarray) -> SteepestDescent:
    if training.optimizer == "momentum":
        return Momentum(rates, training.momentum)
    if training.optimizer == "adam":
        return Adam(rates)
    return SteepestDescent(rates)
