"""Shared fixtures: networks built in Python, and the CLI run in-process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from memspec.models import (
    Device,
    Edge,
    Mapping,
    Node,
    Simulation,
    Spec,
    TrainedProperty,
    Training,
)


def divider_spec(
    *,
    top: dict | None = None,
    bottom: dict | None = None,
    out: dict | None = None,
    train: list[TrainedProperty] | None = None,
    device: Device | None = None,
    simulation: Simulation | None = None,
    training: Training | None = None,
    target: float = 4.0,
) -> Spec:
    """The paper's divider: high (5 V) -> out -> low (0 V), 4 V wanted."""
    return Spec(
        name="divider",
        device=device or Device(),
        nodes=[
            Node(name="high", role="input"),
            Node(name="low", role="input"),
            Node(name="out", role="output", **(out or {})),
        ],
        edges=[
            Edge(name="top", base="high", tip="out", **(top or {})),
            Edge(name="bottom", base="out", tip="low", **(bottom or {})),
        ],
        train=train or [],
        task=Mapping(inputs={"high": 5.0, "low": 0.0}, targets={"out": target}),
        simulation=simulation or Simulation(),
        training=training or Training(),
    )


@pytest.fixture
def make_divider() -> Callable[..., Spec]:
    return divider_spec


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys) -> Callable[..., CliRun]:
    """Run `memspec ARGS...` through `main()`, as the console script does."""
    from memspec.cli import main

    def run(*args: str) -> CliRun:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        out, err = capsys.readouterr()
        return CliRun(code, out, err)

    return run


class InterruptingReporter:
    """A progress reporter that stops training at step 2, as Ctrl-C would."""

    def start(self, total, done):
        pass

    def update(self, step, cost):
        if step == 2:
            raise KeyboardInterrupt

    def close(self):
        pass
