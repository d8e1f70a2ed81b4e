"""The interface every simulator backend implements, and its result.

A backend relaxes a `Network` under imposed input voltages. It returns a
`SimulationResult` in SI units whatever simulator ran underneath, so results
from different backends can be compared directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from memspec.models import Simulation
from memspec.network import Network, Parameters


@dataclass
class Trace:
    """The relaxation in time: `voltages` is (T, N), `conductance` (T, E)."""

    time: np.ndarray
    voltages: np.ndarray
    conductance: np.ndarray


@dataclass
class SimulationResult:
    backend: str
    settled: bool
    time: float  # seconds of simulated relaxation (0 for a direct solve)
    node_names: tuple[str, ...]
    edge_names: tuple[str, ...]
    voltages: np.ndarray  # (N,) V
    conductance: np.ndarray  # (E,) S
    g_over_g0: np.ndarray  # (E,)
    current: np.ndarray  # (E,) A, positive from base to tip
    dV: np.ndarray  # (E,) V, base minus tip
    trace: Trace | None = None
    notes: list[str] = field(default_factory=list)

    def voltage(self, node: str) -> float:
        return float(self.voltages[self.node_names.index(node)])

    def to_json(self) -> dict[str, Any]:
        shape = {
            "backend": self.backend,
            "settled": bool(self.settled),
            "time": float(self.time),
            "nodes": {
                n: float(v) for n, v in zip(self.node_names, self.voltages, strict=True)
            },
            "edges": {
                name: {
                    "conductance": float(self.conductance[k]),
                    "g_over_g0": float(self.g_over_g0[k]),
                    "current": float(self.current[k]),
                    "dV": float(self.dV[k]),
                }
                for k, name in enumerate(self.edge_names)
            },
        }
        # Notes only when there are any, after the fixed shape of the result.
        return shape | ({"notes": list(self.notes)} if self.notes else {})


class Backend(ABC):
    """A way to find the steady state of a memristor network."""

    name: str

    @abstractmethod
    def available(self) -> bool:
        """Whether the simulator can run here. Quick, and never raises."""

    @abstractmethod
    def simulate(
        self,
        network: Network,
        inputs: Mapping[str, float],
        settings: Simulation,
        parameters: Parameters | None = None,
        *,
        trace: bool = False,
    ) -> SimulationResult:
        """Relax the network from g = g0 to its steady state."""

    def solve_batch(
        self,
        network: Network,
        inputs: Mapping[str, float],
        settings: Simulation,
        parameters: Parameters,
    ) -> np.ndarray:
        """Node voltages (B, N) for a batch of parameter sets.

        The default runs `simulate` once per member; backends that can solve
        many networks at once override it.
        """
        batch = parameters.batch_shape
        if not batch:
            return self.simulate(network, inputs, settings, parameters).voltages
        flat = _broadcast_flat(parameters, int(np.prod(batch)))
        rows = [
            self.simulate(network, inputs, settings, member).voltages for member in flat
        ]
        return np.reshape(rows, (*batch, network.n_nodes))


def _broadcast_flat(parameters: Parameters, size: int) -> list[Parameters]:
    def rows(a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a, (*parameters.batch_shape, a.shape[-1])).reshape(
            size, a.shape[-1]
        )

    p, c = rows(parameters.pressure), rows(parameters.concentration)
    ln, rb = rows(parameters.length), rows(parameters.base_radius)
    return [Parameters(p[i], c[i], ln[i], rb[i]) for i in range(size)]
