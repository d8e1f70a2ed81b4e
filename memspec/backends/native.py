"""The native backend: numpy relaxation, or a direct Newton solve.

`settings.solver = "relax"` runs the published Euler relaxation of
`memspec.solve.relax`; "newton" hands over to `memspec.solve.newton`.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from types import ModuleType

import numpy as np

from memspec.backends.base import Backend, SimulationResult
from memspec.errors import BackendUnavailable
from memspec.models import Simulation
from memspec.network import Network, Parameters
from memspec.solve.relax import relax


class NativeBackend(Backend):
    """Solves networks in-process with numpy, many at once when batched."""

    name = "native"

    def available(self) -> bool:
        return True

    def simulate(
        self,
        network: Network,
        inputs: Mapping[str, float],
        settings: Simulation,
        parameters: Parameters | None = None,
        *,
        trace: bool = False,
    ) -> SimulationResult:
        if settings.solver == "newton":
            return _newton().solve_steady(network, inputs, settings, parameters)
        state = relax(network, inputs, settings, parameters, trace=trace)
        return SimulationResult(
            backend=self.name,
            settled=state.settled,
            time=state.time,
            node_names=network.node_names,
            edge_names=network.edge_names,
            voltages=state.voltages,
            conductance=state.conductance,
            g_over_g0=state.g_over_g0,
            current=state.current,
            dV=state.dV,
            trace=state.trace,
            notes=state.notes,
        )

    def solve_batch(
        self,
        network: Network,
        inputs: Mapping[str, float],
        settings: Simulation,
        parameters: Parameters,
    ) -> np.ndarray:
        if settings.solver == "newton":
            newton = _newton()
            if hasattr(newton, "solve_batch"):
                return newton.solve_batch(network, inputs, settings, parameters)
            return super().solve_batch(network, inputs, settings, parameters)
        return relax(network, inputs, settings, parameters).voltages


def _newton() -> ModuleType:
    try:
        return import_module("memspec.solve.newton")
    except ModuleNotFoundError as error:
        if error.name != "memspec.solve.newton":
            raise
        raise BackendUnavailable(
            "the Newton steady-state solver is not part of this installation; "
            "use solver = relax in the simulation settings",
            backend="native",
        ) from error
