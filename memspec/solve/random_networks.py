"""Seeded random networks, for solver tests and scaling benchmarks.

A network is a random spanning tree (each node joins an earlier one, so it
is connected) plus random extra edges, every edge oriented at random. The
first nodes are inputs, the next few outputs, the rest hidden.
"""

from __future__ import annotations

import numpy as np

from memspec.models import Edge, Mapping, Node, Spec
from memspec.network import Network

BAR = 1e5


def random_spec(
    n_nodes: int,
    n_edges: int,
    *,
    seed: int = 0,
    input_volts: tuple[float, ...] = (0.0, 2.0, 5.0),
    n_outputs: int = 2,
    pressure_spread: float = 0.0,
    concentration_spread: float = 0.0,
    geometry_spread: float = 0.0,
) -> Spec:
    """A connected spec with the given size; spreads are relative, uniform.

    `pressure_spread` is in bar around 1 bar; the others are fractions of the
    device defaults (0.2 mM, 10 um, 200 nm).
    """
    if n_edges < n_nodes - 1:
        raise ValueError("a connected network needs at least n_nodes - 1 edges")
    rng = np.random.default_rng(seed)
    tree = [(i, int(rng.integers(0, i))) for i in range(1, n_nodes)]
    extra = rng.integers(0, n_nodes, size=(2 * (n_edges - len(tree)) + 8, 2))
    pairs = {tuple(sorted(p)) for p in tree}
    for a, b in extra:
        if len(pairs) == n_edges:
            break
        if a != b:
            pairs.add((int(min(a, b)), int(max(a, b))))
    ends = [(a, b) if rng.random() < 0.5 else (b, a) for a, b in sorted(pairs)]

    def spread(size: int, width: float) -> np.ndarray:
        return 1 + width * rng.uniform(-1, 1, size)

    pressure = BAR + pressure_spread * BAR * rng.uniform(-1, 1, n_nodes)
    concentration = 0.2 * spread(n_nodes, concentration_spread)
    length = 10e-6 * spread(len(ends), geometry_spread)
    radius = 200e-9 * spread(len(ends), geometry_spread)

    n_in = len(input_volts)
    roles = ["input"] * n_in + ["output"] * n_outputs
    roles += ["hidden"] * (n_nodes - len(roles))
    nodes = [
        Node(
            name=f"n{i}",
            role=roles[i],
            pressure=float(pressure[i]),
            concentration=float(concentration[i]),
        )
        for i in range(n_nodes)
    ]
    edges = [
        Edge(
            name=f"e{k}",
            base=f"n{a}",
            tip=f"n{b}",
            length=float(length[k]),
            base_radius=float(radius[k]),
        )
        for k, (a, b) in enumerate(ends)
    ]
    middle = float(np.mean(input_volts))
    task = Mapping(
        inputs={f"n{i}": float(v) for i, v in enumerate(input_volts)},
        targets={f"n{n_in + j}": middle for j in range(n_outputs)},
    )
    return Spec(
        name=f"random_{n_nodes}n{len(ends)}e", nodes=nodes, edges=edges, task=task
    )


def random_network(n_nodes: int, n_edges: int, **options) -> Network:
    return Network.from_spec(random_spec(n_nodes, n_edges, **options))
