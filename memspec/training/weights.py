"""The weight vector: which physical properties training moves, and how.

Weights are kept in the units the paper quotes learning rates in (bar, mM,
um, nm; `models.WEIGHT_UNITS`) and named `"<kind>:<member>"`, for example
`pressure:out` or `length:top`. A (B, M) matrix of weight vectors maps to
batched `Parameters`, so that M + 1 perturbed networks solve together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from memspec.errors import TrainingError
from memspec.models import NODE_WEIGHTS, WEIGHT_UNITS, Spec, TrainedProperty
from memspec.network import Network, Parameters


@dataclass(frozen=True)
class Weight:
    kind: str
    member: str
    index: int  # of the node or edge in the network
    rate: float  # learning rate in weight units
    lower: float  # bounds in weight units, +-inf when open
    upper: float

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.member}"

    @property
    def unit(self) -> str:
        return WEIGHT_UNITS[self.kind][0]


@dataclass(frozen=True)
class WeightSet:
    """The trained weights of one network, in a fixed order."""

    network: Network
    weights: tuple[Weight, ...]

    def __len__(self) -> int:
        return len(self.weights)

    @property
    def names(self) -> list[str]:
        return [w.name for w in self.weights]

    @property
    def rates(self) -> np.ndarray:
        return np.array([w.rate for w in self.weights])

    @property
    def units(self) -> dict[str, str]:
        return {w.kind: w.unit for w in self.weights}

    def initial(self) -> np.ndarray:
        """The weights (M,) of the network as specified, in weight units."""
        p = self.network.parameters
        # Rounded to 15 digits so that 10 um reads 10, not 10.000000000000002.
        return np.array(
            [
                float(f"{getattr(p, w.kind)[w.index] / WEIGHT_UNITS[w.kind][1]:.15g}")
                for w in self.weights
            ]
        )

    def clip(self, values: np.ndarray) -> np.ndarray:
        lower = np.array([w.lower for w in self.weights])
        upper = np.array([w.upper for w in self.weights])
        return np.clip(values, lower, upper)

    def parameters(self, values: np.ndarray) -> Parameters:
        """Parameters for weight vectors (M,) or (B, M); others stay fixed."""
        values = np.asarray(values, float)
        batch = values.shape[:-1]
        base = self.network.parameters
        arrays = {
            kind: np.broadcast_to(getattr(base, kind), (*batch, n)).copy()
            for kind, n in _sizes(self.network).items()
        }
        for m, w in enumerate(self.weights):
            arrays[w.kind][..., w.index] = values[..., m] * WEIGHT_UNITS[w.kind][1]
        return Parameters(**arrays)

    def check_physical(self, values: np.ndarray) -> None:
        """Refuse weights no channel can have, naming the first one."""
        tip = self.network.device.tip_radius / WEIGHT_UNITS["base_radius"][1]
        for w, v in zip(self.weights, values, strict=True):
            floor = tip if w.kind == "base_radius" else 0.0
            if w.kind != "pressure" and v <= floor:
                what = "the tip radius" if w.kind == "base_radius" else "zero"
                raise TrainingError(
                    f"weight {w.name} reached {v:.4g} {w.unit}, at or below {what}; "
                    "lower its learning rate or give it bounds"
                )


def weight_set(network: Network, trained: Sequence[TrainedProperty]) -> WeightSet:
    """The weights that the `train` blocks of a spec ask for."""
    weights: list[Weight] = []
    for prop in trained:
        is_node = prop.kind in NODE_WEIGHTS
        names = network.node_names if is_node else network.edge_names
        members = prop.members if prop.members is not None else list(names)
        lower, upper = (
            -np.inf if prop.bounds[0] is None else prop.bounds[0],
            np.inf if prop.bounds[1] is None else prop.bounds[1],
        )
        for member in members:
            if member not in names:
                where = "node" if is_node else "edge"
                raise TrainingError(
                    f"cannot train {prop.kind} of unknown {where} '{member}'"
                )
            weights.append(
                Weight(prop.kind, member, names.index(member), prop.rate, lower, upper)
            )
    if not weights:
        raise TrainingError("nothing to train: the spec has no train block")
    names_seen = [w.name for w in weights]
    duplicate = next((n for n in names_seen if names_seen.count(n) > 1), None)
    if duplicate:
        raise TrainingError(f"weight {duplicate} is trained by two train blocks")
    return WeightSet(network, tuple(weights))


def trained_spec(spec: Spec, weights: WeightSet, values: np.ndarray) -> Spec:
    """A copy of `spec` with the trained values written into its nodes and edges."""
    out = spec.model_copy(deep=True)
    for w, v in zip(weights.weights, values, strict=True):
        si = float(v) * WEIGHT_UNITS[w.kind][1]
        items = out.nodes if w.kind in NODE_WEIGHTS else out.edges
        setattr(items[w.index], w.kind, si)
    return out


def _sizes(network: Network) -> dict[str, int]:
    n, e = network.n_nodes, network.n_edges
    return {"pressure": n, "concentration": n, "length": e, "base_radius": e}
