"""Generate the edge lists of the paper's 9-node and 10-node networks.

The paper does not print its figure geometries, so specs/paper/ uses random
connected graphs made here: a random spanning tree over the nodes (so every
node reaches an input), then random extra pairs until the edge count is met,
each edge given a random orientation. No edge joins two input nodes, since
such a channel carries current that no node balances.

    python benchmarks/paper_graphs.py mapping 2
    python benchmarks/paper_graphs.py regression 0

prints the `edges { ... }` block of the spec built from that seed.
"""

from __future__ import annotations

import sys

import numpy as np

GRAPHS = {
    # name: (nodes, edges, input node numbers)
    "mapping": (9, 15, {2, 4, 9}),
    "regression": (10, 17, {1, 2, 3}),
}


def random_graph(
    n_nodes: int, n_edges: int, seed: int, inputs: set[int]
) -> list[tuple[int, int]]:
    """(base, tip) node numbers, 1-based, of a connected random graph."""
    rng = np.random.default_rng(seed)
    order = [int(n) for n in rng.permutation(n_nodes) + 1]
    pairs = []
    for k in range(1, n_nodes):
        a = order[k]
        earlier = [b for b in order[:k] if not (a in inputs and b in inputs)]
        pool = earlier or order[:k]
        pairs.append((a, pool[rng.integers(len(pool))]))
    seen = {frozenset(p) for p in pairs}
    while len(pairs) < n_edges:
        a, b = (int(x) for x in rng.choice(n_nodes, 2, replace=False) + 1)
        if frozenset((a, b)) in seen or (a in inputs and b in inputs):
            continue
        seen.add(frozenset((a, b)))
        pairs.append((a, b))
    return [(a, b) if rng.random() < 0.5 else (b, a) for a, b in pairs]


def edges_block(edges: list[tuple[int, int]], flipped: set[int] = frozenset()) -> str:
    lines = []
    for k, (a, b) in enumerate(edges, start=1):
        if k in flipped:
            a, b = b, a
        note = "  # reversed" if k in flipped else ""
        lines.append(f"    e{k}: n{a} -> n{b}{note}".rstrip())
    return "edges {\n" + "\n".join(lines) + "\n}"


if __name__ == "__main__":
    kind, seed = sys.argv[1], int(sys.argv[2])
    flipped = {int(k) for k in sys.argv[3].split(",")} if len(sys.argv) > 3 else set()
    print(edges_block(random_graph(*GRAPHS[kind][:2], seed, GRAPHS[kind][2]), flipped))
