"""Netlists for ahkab, in the dialect its own parser reads.

Two forms come out of `write_netlist`:

- **static** (the default): every edge is a user-defined element
  (`Y... module=memspec.netlist.ahkab_element type=memristor`) carrying the
  static characteristic `i = g_inf(dV) dV` of `shared/PHYSICS.md`, and the
  analysis is an operating point, `.op`. Its solution is the steady state.
- **linear**, when `conductance` is given: every edge is a plain resistor of
  that conductance. The ahkab backend solves one of these per Euler step of
  the relaxation, since ahkab has no element that holds g as a state.

Input nodes are driven by DC voltage sources against ahkab's reference node
`0`. ahkab lowercases every line, so node and element names are written as
lowercase tokens, made unique; `labels` gives the mapping.

**Scale.** The currents of a memristor network are picoamperes, below ahkab's
absolute current tolerance (`iea = 1e-9 A`), which would then accept any
voltage. Every conductance is therefore multiplied by `SCALE = 1e12`: the
netlist's siemens and amperes read as picosiemens and picoamperes. Node
voltages are invariant under a common scale of all conductances, so no
tolerance is changed and the result needs no conversion back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from memspec.netlist import ahkab_element
from memspec.network import Network, Parameters

SCALE = 1e12


@dataclass(frozen=True)
class Labels:
    """Netlist names of the spec's nodes and edges, in the network's order."""

    nodes: tuple[str, ...]
    edges: tuple[str, ...]
    sources: tuple[str, ...]


def labels(network: Network) -> Labels:
    """Lowercase, unique netlist names for every node, edge and input source."""
    nodes = _unique(network.node_names, "n")
    inputs = [network.node_names[i] for i in network.inputs]
    return Labels(
        nodes=nodes,
        edges=tuple("y" + name for name in _unique(network.edge_names, "e")),
        sources=tuple("v" + name for name in _unique(inputs, "i")),
    )


def write_netlist(
    network: Network,
    inputs: Mapping[str, float],
    parameters: Parameters | None = None,
    *,
    conductance: np.ndarray | None = None,
) -> str:
    """The ahkab netlist of `network` with `inputs` (volts by input node name).

    Args:
        network: the lowered spec.
        inputs: a voltage for every input node.
        parameters: weights to write in place of the spec's own.
        conductance: (E,) siemens. If given, edges become linear resistors
            of these conductances instead of memristor elements.

    Returns:
        The netlist text, ready for `ahkab.netlist_parser.parse_circuit`.
    """
    p = parameters or network.parameters
    names = labels(network)
    lines = _header(network, conductance is not None)

    for i, source in zip(network.inputs, names.sources, strict=True):
        volts = _number(inputs[network.node_names[i]])
        lines.append(f"{source} {names.nodes[i]} 0 type=vdc vdc={volts}")

    for e, label in enumerate(names.edges):
        base, tip = names.nodes[network.base[e]], names.nodes[network.tip[e]]
        if conductance is None:
            lines.append(f"{label} {base} {tip} {_memristor_fields(network, p, e)}")
        else:
            ohms = 1.0 / (float(conductance[e]) * SCALE)
            lines.append(f"r{label[1:]} {base} {tip} {_number(ohms)}")

    lines += [".op", ".end", ""]
    return "\n".join(lines)


def _header(network: Network, linear: bool) -> list[str]:
    form = (
        "linear resistors at fixed conductances (one relaxation step)"
        if linear
        else "memristors on the static characteristic i = g_inf(dV) dV"
    )
    # The first line of a SPICE netlist is its title.
    return [
        f"memspec netlist of spec '{network.name}' for ahkab 0.18",
        f"* Edges: {form}.",
        "* Each edge line names its base node first, then its tip;",
        "* dV = V(base) - V(tip), and a positive current flows from base to tip.",
        f"* Conductances and currents are scaled by {SCALE:g} (pS read as S);",
        "* node voltages do not depend on this scale.",
        f"* Element model: {ahkab_element.__name__}, g_inf from",
        "* memspec.physics.steady_ratio. Run by hand, with memspec's shims for",
        "* current numpy and scipy: python -m memspec.backends.ahkab THIS_FILE",
    ]


def _memristor_fields(network: Network, p: Parameters, e: int) -> str:
    d = network.device
    b, t = network.base[e], network.tip[e]
    values = {
        **{f: getattr(d, f) for f in ahkab_element.DEVICE_FIELDS},
        "length": p.length[e],
        "base_radius": p.base_radius[e],
        "dp": p.pressure[b] - p.pressure[t],
        "drho": p.concentration[b] - p.concentration[t],
        "rho_base": p.concentration[b],
        "scale": SCALE,
    }
    head = f"module={ahkab_element.__name__} type=memristor"
    fields = [f"{k}={_number(v)}" for k, v in values.items()]
    # SPICE continuation lines keep each line short enough to read.
    rows = [" ".join(fields[i : i + 4]) for i in range(0, len(fields), 4)]
    return "\n+ ".join([head, *rows])


def _number(value: float) -> str:
    """The shortest text that reads back as exactly the same float."""
    text = repr(float(value))
    if abs(value) >= 1e6 and "e" not in text:  # 1e+12, not 1000000000000.0
        text = np.format_float_scientific(float(value), trim="-")
    return text


def _unique(names: Iterable[str], prefix: str) -> tuple[str, ...]:
    """Lowercase SPICE tokens, one per name, never '0' (ahkab's ground)."""
    out: list[str] = []
    for k, name in enumerate(names):
        token = re.sub(r"[^a-z0-9_]", "_", name.lower())
        if token == "0" or not token or token in out:
            token = f"{prefix}{k}_{token}"
        out.append(token)
    return tuple(out)
