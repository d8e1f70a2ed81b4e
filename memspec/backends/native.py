"""The native backend: numpy relaxation, or a direct Newton solve.

`settings.solver = "relax"` runs the published Euler relaxation of
`memspec.solve.relax`; "newton" hands over to `memspec.solve.newton`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from memspec.backends.base import Backend, SimulationResult
from memspec.models import Simulation
from memspec.network import Network, Parameters
from memspec.solve.newton import solve_steady
from memspec.solve.relax import relax, steady_state


class NativeBackend(Backend):
    """Solves networks in-process with numpy, many at once when batched."""

    name = "native"

    def __init__(self) -> None:
        self._warm: tuple[tuple, np.ndarray] | None = None

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
            volts = solve_steady(network, inputs, settings, parameters)
            state = steady_state(network, settings, volts, parameters)
        else:
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
        if settings.solver != "newton":
            return relax(network, inputs, settings, parameters).voltages
        # Newton starts warm from the last batch of the same shape and inputs,
        # as in training, where the weights move little from step to step.
        key = (network.name, parameters.batch_shape, tuple(sorted(inputs.items())))
        initial = self._warm[1] if self._warm and self._warm[0] == key else None
        volts = solve_steady(network, inputs, settings, parameters, initial)
        self._warm = (key, volts)
        return volts
