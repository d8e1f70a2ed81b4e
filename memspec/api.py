"""The one-call forms of simulating a spec, for notebooks and the CLI."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from memspec.backends import Backend, SimulationResult, get_backend
from memspec.models import Regression, Schedule, Spec
from memspec.network import Network
from memspec.parser import load


def task_inputs(spec: Spec) -> dict[str, float]:
    """The input voltages a spec's task imposes: the mapping's, the last stage
    of a schedule, or the middle of a regression's input range."""
    task = spec.task
    if isinstance(task, Schedule):
        return dict(task.stages[-1].inputs)
    if isinstance(task, Regression):
        middle = sum(task.input_range) / 2
        return {
            task.data_node: middle,
            task.bias_node: task.bias_voltage,
            task.ground_node: 0.0,
        }
    return dict(task.inputs)


def simulate(
    spec: Spec | str | Path,
    *,
    backend: str | Backend = "native",
    inputs: Mapping[str, float] | None = None,
    trace: bool = False,
    check_routes: bool = False,
) -> SimulationResult:
    """Relax the network of `spec` to its steady state.

    Args:
        spec: a parsed spec, or the path of a .mem file to load.
        backend: a backend name or instance.
        inputs: volts per input node, each overriding the task's (`task_inputs`).
        trace: also return the relaxation in time.
        check_routes: also relax and solve directly in numpy, and add notes
            on whether the two routes reach the same state.
    """
    spec = spec if isinstance(spec, Spec) else load(spec)
    backend = get_backend(backend) if isinstance(backend, str) else backend
    imposed = task_inputs(spec) | dict(inputs or {})
    network = Network.from_spec(spec)
    result = backend.simulate(network, imposed, spec.simulation, trace=trace)
    if check_routes:
        from memspec.solve.routes import check_routes as compare_routes

        result.notes.extend(compare_routes(network, imposed, spec.simulation))
    return result
