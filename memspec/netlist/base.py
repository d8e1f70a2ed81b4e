"""What every netlist writer shares: per-edge constants, names and a header.

A netlist carries the model of `shared/PHYSICS.md` with everything that does
not depend on the node voltages computed here, in Python, from
`memspec.physics.Channels`. Writing g_inf / g0 in terms of
`a = (Rt / Rb) Pe` (see `memspec.physics`), only two numbers per edge
multiply the voltage drop:

    a         = a_per_volt * dV + a_offset          (a_offset from dP)
    g_inf/g0  = 1 - salt <I>(a) + inflow * dV * <phi>(a)

with `<I> = <u> - a <phi>`, `salt = drho / rho_b` and `inflow` the
`rho_in / (2 rho_b)` per volt times Rt / Rb. Dialects subclass
`NetlistWriter` and override only the element syntax.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from memspec.network import Network, Parameters

CONVENTIONS = (
    "Every memristor is instanced base node first, tip node second; its",
    "stimuli are base minus tip: dV = V(base) - V(tip), dP, drho likewise.",
    "Pressures and concentrations are node properties, baked into each edge",
    "as constants; only dV is live. Model: shared/PHYSICS.md of memspec.",
)


@dataclass(frozen=True)
class EdgeConstants:
    """Per-edge numbers of the model (SI), each an array of shape (E,)."""

    g0: np.ndarray  # S, the Ohmic conductance at rest
    tau: np.ndarray  # s, the relaxation time constant
    a_per_volt: np.ndarray  # a per volt of dV
    a_offset: np.ndarray  # a from the pressure drop alone
    inflow: np.ndarray  # rho_in / (2 rho_b) * Rt / Rb, per volt
    salt: np.ndarray  # drho / rho_b
    dP: np.ndarray  # Pa, base minus tip
    drho: np.ndarray  # mol/m^3, base minus tip

    @classmethod
    def of(cls, network: Network, parameters: Parameters | None = None):
        p = parameters or network.parameters
        if p.batch_shape:
            raise ValueError("a netlist describes one network, not a batch")
        channels = network.channels(p)
        r = channels.radius_ratio
        _, dp, drho, rho_base = network.stimuli(np.zeros(network.n_nodes), p)
        return cls(
            g0=channels.ohmic_conductance(rho_base),
            tau=np.broadcast_to(channels.time_constant, dp.shape),
            a_per_volt=np.broadcast_to(r * channels.peclet_per_volt, dp.shape),
            a_offset=r * channels.peclet_per_pascal * dp,
            inflow=r * channels.inflow_per_volt(rho_base),
            salt=drho / rho_base,
            dP=dp,
            drho=drho,
        )


def net_names(names: tuple[str, ...], prefix: str) -> tuple[str, ...]:
    """Simulator-safe, case-insensitively unique net names for `names`.

    SPICE folds case and treats `0` and `gnd` as ground, so every name gets a
    prefix; names that would still collide also get their index.
    """
    safe = [prefix + re.sub(r"[^0-9a-z_]", "_", n.lower()) for n in names]
    if len(set(safe)) == len(safe):
        return tuple(safe)
    return tuple(f"{s}_{i}" for i, s in enumerate(safe))


class NetlistWriter:
    """Streams one network, with its imposed inputs, as a netlist."""

    comment = "*"

    def __init__(
        self,
        network: Network,
        inputs: Mapping[str, float],
        parameters: Parameters | None = None,
        *,
        source: str | None = None,
    ):
        self.network = network
        self.inputs = dict(inputs)
        self.parameters = parameters or network.parameters
        self.constants = EdgeConstants.of(network, self.parameters)
        self.nodes = net_names(network.node_names, "n_")
        self.source = source

    def write(self, stream: TextIO) -> None:
        raise NotImplementedError

    def format(self) -> str:
        buffer = io.StringIO()
        self.write(buffer)
        return buffer.getvalue()

    def write_header(self, stream: TextIO, target: str, extra=()) -> None:
        """A comment block naming the spec, the target and the conventions."""
        origin = f" ({self.source})" if self.source else ""
        lines = [
            f"memspec netlist of '{self.network.name}'{origin} for {target}",
            "",
            *CONVENTIONS,
            *extra,
        ]
        for line in lines:
            stream.write(f"{self.comment} {line}".rstrip() + "\n")


def format_number(value: float) -> str:
    """A float in full precision and in a form every SPICE dialect reads."""
    return f"{float(value):.12g}"
