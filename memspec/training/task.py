"""What each training step asks of the network, by task kind.

- mapping: the same inputs and targets at every step.
- schedule: the stages one after another, the steps split evenly among them
  (or `steps_per_stage` each when the step count is not overridden).
- regression (PHYSICS.md): each step draws one sample from a seeded set of
  N_train data voltages in `input_range`, with the bias node at its voltage
  and ground at 0 V, and wants `slope * V_in + intercept` at the output. The
  test cost sums the cost over N_test evenly spaced data voltages. With
  `batch = B > 1` a step sums the cost of B distinct samples instead (a
  mini-batch), and `batch = N_train` takes every sample at every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memspec.errors import TrainingError
from memspec.models import Mapping, Regression, Schedule, Spec


@dataclass(frozen=True)
class Objective:
    inputs: dict[str, float]
    targets: dict[str, float]


class TaskPlan:
    """The objective of every step 0..total (the last one is only evaluated)."""

    def __init__(self, spec: Spec, steps: int | None = None):
        task = spec.task
        self.task = task
        if isinstance(task, Schedule):
            per_stage = task.steps_per_stage
            if steps is None and per_stage is not None:
                steps = per_stage * len(task.stages)
        self.total = spec.training.steps if steps is None else steps
        if isinstance(task, Regression):
            rng = np.random.default_rng(task.seed)
            self.samples = rng.uniform(*task.input_range, size=task.n_train)
            self.draws = _draws(rng, task.n_train, task.batch, self.total + 1)

    @property
    def n_stages(self) -> int:
        return len(self.task.stages) if isinstance(self.task, Schedule) else 1

    def stage(self, step: int) -> int:
        """Stage of a step: stages take equal shares, earlier ones the remainder."""
        n = self.n_stages
        if n == 1 or self.total == 0:
            return 0
        size, extra = divmod(self.total, n)
        bounds = np.cumsum([size + (i < extra) for i in range(n)])
        return min(int(np.searchsorted(bounds, step, side="right")), n - 1)

    def objective(self, step: int) -> Objective:
        """The objective of a step; for a regression batch, its first sample."""
        return self.objectives(step)[0]

    def objectives(self, step: int) -> list[Objective]:
        """The objectives whose costs a step sums: one, or a regression batch."""
        task = self.task
        if isinstance(task, Mapping):
            return [Objective(task.inputs, task.targets)]
        if isinstance(task, Schedule):
            stage = task.stages[self.stage(step)]
            return [Objective(stage.inputs, stage.targets)]
        return [self._sample(task, float(self.samples[i])) for i in self.draws[step]]

    def test_due(self, step: int) -> bool:
        if not isinstance(self.task, Regression):
            return False
        return step % self.task.test_every == 0 or step == self.total

    def test_set(self) -> list[Objective]:
        """Objectives summed into the test cost (regression only)."""
        task = self.task
        assert isinstance(task, Regression)
        grid = np.linspace(*task.input_range, task.n_test)
        return [self._sample(task, float(x)) for x in grid]

    def final(self) -> list[Objective]:
        """What initial and final cost measure: the mapping, the last stage of a
        schedule, or the whole test set of a regression."""
        task = self.task
        if isinstance(task, Regression):
            return self.test_set()
        if isinstance(task, Schedule):
            last = task.stages[-1]
            return [Objective(last.inputs, last.targets)]
        return [Objective(task.inputs, task.targets)]

    @staticmethod
    def _sample(task: Regression, v_in: float) -> Objective:
        inputs = {
            task.data_node: v_in,
            task.bias_node: task.bias_voltage,
            task.ground_node: 0.0,
        }
        return Objective(inputs, {task.output_node: task.slope * v_in + task.intercept})


def _draws(rng: np.random.Generator, n_train: int, batch: int, steps: int):
    """Sample indices (steps, batch) for each step of a regression."""
    if not 1 <= batch <= n_train:
        raise TrainingError(
            f"batch must be between 1 and train_samples ({n_train}), not {batch}"
        )
    if batch == 1:
        # The published scheme; these draws pin every existing regression run.
        return rng.integers(n_train, size=steps)[:, None]
    if batch == n_train:
        return np.tile(np.arange(n_train), (steps, 1))
    return np.array([rng.choice(n_train, batch, replace=False) for _ in range(steps)])
