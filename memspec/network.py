"""A spec lowered to arrays: what every backend and the trainer work on.

`Network` holds the graph (node and edge indices, roles) and the device.
`Parameters` holds the four trainable properties. Its arrays may carry a
leading batch axis, so that the M + 1 finite-difference networks of one
training step can be solved together.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from memspec.models import Device, Spec
from memspec.physics import Channels


@dataclass(frozen=True)
class Parameters:
    """Node pressures (Pa) and concentrations (mol/m^3), edge lengths and
    base radii (m). Shapes (N,) and (E,), or (B, N) and (B, E) for a batch."""

    pressure: np.ndarray
    concentration: np.ndarray
    length: np.ndarray
    base_radius: np.ndarray

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return np.broadcast_shapes(
            self.pressure.shape[:-1],
            self.concentration.shape[:-1],
            self.length.shape[:-1],
            self.base_radius.shape[:-1],
        )

    def replace(self, **changes: np.ndarray) -> Parameters:
        return replace(self, **changes)


@dataclass(frozen=True)
class Network:
    name: str
    device: Device
    node_names: tuple[str, ...]
    edge_names: tuple[str, ...]
    roles: tuple[str, ...]
    base: np.ndarray  # node index of each edge's base
    tip: np.ndarray  # node index of each edge's tip
    parameters: Parameters

    @classmethod
    def from_spec(cls, spec: Spec) -> Network:
        names = tuple(n.name for n in spec.nodes)
        index = {name: i for i, name in enumerate(names)}
        device = spec.device
        return cls(
            name=spec.name,
            device=device,
            node_names=names,
            edge_names=tuple(e.name for e in spec.edges),
            roles=tuple(n.role for n in spec.nodes),
            base=np.array([index[e.base] for e in spec.edges], dtype=int),
            tip=np.array([index[e.tip] for e in spec.edges], dtype=int),
            parameters=Parameters(
                pressure=np.array([n.pressure for n in spec.nodes], float),
                concentration=np.array([n.concentration for n in spec.nodes], float),
                length=np.array([e.length or device.length for e in spec.edges], float),
                base_radius=np.array(
                    [e.base_radius or device.base_radius for e in spec.edges], float
                ),
            ),
        )

    @property
    def n_nodes(self) -> int:
        return len(self.node_names)

    @property
    def n_edges(self) -> int:
        return len(self.edge_names)

    def node_index(self, name: str) -> int:
        return self.node_names.index(name)

    def edge_index(self, name: str) -> int:
        return self.edge_names.index(name)

    def indices(self, role: str) -> np.ndarray:
        return np.array([i for i, r in enumerate(self.roles) if r == role], int)

    @property
    def inputs(self) -> np.ndarray:
        return self.indices("input")

    @property
    def free(self) -> np.ndarray:
        """Nodes whose voltage Kirchhoff's current law decides."""
        return np.array([i for i, r in enumerate(self.roles) if r != "input"], int)

    def channels(self, parameters: Parameters | None = None) -> Channels:
        p = parameters or self.parameters
        return Channels.from_device(self.device, p.length, p.base_radius)

    def incidence(self) -> np.ndarray:
        """Dense (N, E) incidence: +1 at each edge's base, -1 at its tip."""
        a = np.zeros((self.n_nodes, self.n_edges))
        edges = np.arange(self.n_edges)
        a[self.base, edges] = 1.0
        a[self.tip, edges] = -1.0
        return a

    def stimuli(
        self, voltages: np.ndarray, parameters: Parameters | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """dV, dP, drho (base minus tip) and rho at the base, for each edge."""
        p = parameters or self.parameters
        dv = voltages[..., self.base] - voltages[..., self.tip]
        dp = p.pressure[..., self.base] - p.pressure[..., self.tip]
        rho_base = p.concentration[..., self.base]
        drho = rho_base - p.concentration[..., self.tip]
        return dv, dp, drho, rho_base
