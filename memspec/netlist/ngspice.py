"""ngspice netlists of a memristor network, with behavioural memristors.

Each edge is one instance `X<edge> base tip g_<edge>` of a `memristor`
subcircuit. Inside it, a B-source carries the current `g0 * g * dV` and a
second one drives the state node `g` (holding g / g0) with `g_inf/g0 - g`
into a capacitor of `tau` farads, so `tau dg/dt = g_inf/g0 - g`
(`shared/PHYSICS.md`, "Dynamics"). At `.op` the capacitor is open, g equals
g_inf/g0, and the solve is Kirchhoff's law on the static characteristic
`i = g_inf(dV) dV`; `.tran` from `.ic g = 1` is the relaxation from g0.

g_inf / g0 is written as in `memspec.netlist.base`, with
`<phi>(a) = (<u> - <I>(a)) / a` a fixed 40-node quadrature (Gauss-Legendre
of order 8 on five panels of u in [0, 1], graded toward both ends) whose
weights include dx / (L du). Per node the profile is written with
exponentials of non-positive numbers only,

    I(a, u) = exp((a + |a|)(u - 1) / 2) (1 - exp(-|a| u)) / (1 - exp(-|a|)),

so no |Pe| overflows. Below |a| = 0.05 `<phi>` is its Taylor polynomial
(from the Bernoulli series of `memspec.physics`), so the curve is smooth
through Pe = 0. Against `memspec.physics`, g_inf / g0 agrees within 1e-10
for |Pe| <= 25, 3e-9 for |Pe| <= 100, 6e-8 for |Pe| <= 400 and 2e-7 for
|Pe| <= 1000, with drho / rho_b up to 0.5 either way (docs/spice.md).
The weights depend on Rt / Rb, so edges of different base radius get their
own subcircuit `memristor<k>`.

Currents are picoamperes, far below SPICE's absolute tolerances, so every
conductance is multiplied by `CONDUCTANCE_SCALE`: node voltages do not
change, and netlist currents are that many times the physical ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from memspec.models import Simulation
from memspec.netlist.base import (
    EdgeConstants,
    NetlistWriter,
    format_number,
    net_names,
)
from memspec.network import Network, Parameters
from memspec.physics import _phi_series_coefficients

CONDUCTANCE_SCALE = 1e9  # pS in the model -> mS in the netlist
SERIES_RADIUS = 0.05  # |a| below which <phi> is its Taylor polynomial
CHECKPOINTS = (1e-3, 5e-3, 20e-3)  # s, output voltages a plain run prints
OPTIONS = "reltol=1e-9 vntol=1e-12 abstol=1e-15 chgtol=1e-18"

_PANELS = (0.0, 0.02, 0.15, 0.6, 0.95, 1.0)
_ORDER = 8


def quadrature(radius_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes u and weights (including dx / (L du)) of the netlist's rule."""
    x, wx = np.polynomial.legendre.leggauss(_ORDER)
    edges = np.asarray(_PANELS)
    lo, hi = edges[:-1, None], edges[1:, None]
    u = (lo + (hi - lo) * (x + 1) / 2).ravel()
    w = ((hi - lo) * wx / 2).ravel()
    r = radius_ratio
    return u, w * r / (r + (1 - r) * u) ** 2


def phi_series(radius_ratio: float) -> np.ndarray:
    """Taylor coefficients of <phi>(a) at a = 0 for the netlist's rule."""
    u, w = quadrature(radius_ratio)
    return _phi_series_coefficients(u) @ w


def mean_phi(a: np.ndarray, radius_ratio: float) -> np.ndarray:
    """<phi>(a) exactly as the netlist computes it, for tests and docs."""
    u, w = quadrature(radius_ratio)
    a = np.asarray(a, float)
    b = np.abs(a)[..., None]
    terms = np.exp((a[..., None] + b) * (u - 1) / 2) * -np.expm1(-b * u)
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = (u @ w - (terms @ w) / -np.expm1(-b[..., 0])) / a
    series = np.polynomial.polynomial.polyval(a, phi_series(radius_ratio))
    return np.where(np.abs(a) < SERIES_RADIUS, series, direct)


class NgspiceWriter(NetlistWriter):
    """Writes the circuit, then a `.control` block chosen by the caller."""

    def __init__(
        self,
        network: Network,
        inputs: Mapping[str, float],
        settings: Simulation,
        parameters: Parameters | None = None,
        *,
        source: str | None = None,
        copies: Sequence[Parameters] = (),
    ):
        """`copies`, if given, replaces `parameters` by one copy of the network
        per parameter set, all sharing the input nodes; copy k's other nodes
        and its elements get the suffix `_k`."""
        super().__init__(network, inputs, copies[0] if copies else parameters)
        self.source = source
        self.settings = settings
        self.edges = net_names(network.edge_names, "m_")
        self.states = net_names(network.edge_names, "g_")
        self.copies = [
            (f"_{k}" if copies else "", EdgeConstants.of(network, p), self._ratios(p))
            for k, p in enumerate(copies or [self.parameters])
        ]
        self.groups = sorted({r for *_, ratios in self.copies for r in ratios})

    def _ratios(self, parameters: Parameters) -> list[float]:
        """Rt / Rb of every edge."""
        ratio = self.network.channels(parameters).radius_ratio
        return np.broadcast_to(ratio, (self.network.n_edges,)).tolist()

    def write(self, stream: TextIO, control: Sequence[str] | None = None) -> None:
        """The netlist; `control` replaces the default plain-run block."""
        self.write_header(
            stream,
            "ngspice",
            (
                "The state node g_<edge> holds g / g0 (1 at rest); .op solves the",
                "static characteristic, .tran relaxes from g = g0 (.ic).",
                f"Conductances are scaled by 10^{np.log10(CONDUCTANCE_SCALE):.0f}, "
                "which leaves node voltages",
                "unchanged; currents here are that many times the physical ones.",
            ),
        )
        stream.write(f"\n.options {OPTIONS}\n")
        for k, ratio in enumerate(self.groups):
            self.write_model(stream, k, ratio)
        self.write_circuit(stream)
        stream.write("\n.control\n")
        for line in control if control is not None else self.plain_control():
            stream.write(line + "\n")
        # Without `quit`, batch mode goes on to look for analyses outside the
        # control block, finds none and exits with status 1.
        stream.write("quit\n.endc\n.end\n")

    def write_model(self, stream: TextIO, k: int, ratio: float) -> None:
        """<phi>(a) for one radius ratio, and the subcircuit that uses it."""
        u, w = quadrature(ratio)
        coefficients = phi_series(ratio)
        series = format_number(coefficients[-1])
        for c in coefficients[-2::-1]:
            series = f"{format_number(c)}+a*({series})"
        terms = "\n".join(
            f"+  {'+' if i else ' '}{format_number(wi)}"
            f"*exp((a+abs(a))*({format_number((ui - 1) / 2)}))"
            f"*(1-exp(-abs(a)*{format_number(ui)}))"
            for i, (ui, wi) in enumerate(zip(u, w, strict=True))
        )
        name = self.model_name(k)
        clamp = self.settings.on_invalid == "clamp"
        dv = "v(base,tip)"
        ratio_expr = f"{name}_ginf({{a0}}+{{ka}}*{dv},{dv},{{kin}},{{salt}})"
        if clamp:
            floor = format_number(self.settings.conductance_floor)
            ratio_expr = f"max({ratio_expr},{floor})"
        stream.write(
            f"\n* Rt/Rb = {format_number(ratio)}: <phi>(a), series below |a| = "
            f"{SERIES_RADIUS:g}, else {len(u)}-node quadrature\n"
            f".func {name}_phi(a) {{abs(a) < {SERIES_RADIUS:g} ? {series} : "
            f"({format_number(u @ w)}-(\n{terms}\n+  )/(1-exp(-abs(a))))/a}}\n"
            f".func {name}_ginf(a,dv,kin,salt) "
            f"{{1-salt*{format_number(u @ w)}+(salt*a+kin*dv)*{name}_phi(a)}}\n"
            f".subckt {name} base tip g g0=1 tau=1 ka=0 a0=0 kin=0 salt=0\n"
            "Bi base tip I = {g0}*v(g)*v(base,tip)\n"
            f"Bg 0 g I = {ratio_expr}-v(g)\n"
            "Cg g 0 {tau}\n"
            f".ends {name}\n"
        )

    def model_name(self, k: int) -> str:
        return "memristor" if len(self.groups) == 1 else f"memristor{k + 1}"

    def write_circuit(self, stream: TextIO) -> None:
        net = self.network
        stream.write("\n* Inputs\n")
        for name, volts in self.inputs.items():
            node = self.nodes[net.node_index(name)]
            stream.write(f"V{node} {node} 0 {format_number(volts)}\n")
        for k in range(len(self.copies)):
            self.write_copy(stream, k)

    def write_copy(self, stream: TextIO, k: int) -> None:
        net = self.network
        suffix, c, ratios = self.copies[k]
        nodes, states = self.copy_nodes(k), self.copy_states(k)
        copy = f" (copy {k})" if suffix else ""
        stream.write(f"\n* Memristors{copy}: base tip state\n")
        for e, edge in enumerate(net.edge_names):
            base, tip = nodes[net.base[e]], nodes[net.tip[e]]
            model = self.model_name(self.groups.index(ratios[e]))
            stream.write(
                f"* {edge}: dP = {c.dP[e] / 1e5:.6g} bar, drho = {c.drho[e]:.6g} mM\n"
                f"X{self.edges[e]}{suffix} {base} {tip} {states[e]} {model}"
                f" g0={format_number(c.g0[e] * CONDUCTANCE_SCALE)}"
                f" tau={format_number(c.tau[e])}"
                f" ka={format_number(c.a_per_volt[e])}"
                f" a0={format_number(c.a_offset[e])}"
                f" kin={format_number(c.inflow[e])}"
                f" salt={format_number(c.salt[e])}\n"
            )
        ics = " ".join(f"v({g})=1" for g in states)
        stream.write(f"\n.ic {ics}\n")

    def copy_nodes(self, k: int = 0) -> list[str]:
        """Net names of copy k's nodes; the inputs are shared by all copies."""
        suffix = self.copies[k][0]
        return [
            n if role == "input" else n + suffix
            for n, role in zip(self.nodes, self.network.roles, strict=True)
        ]

    def copy_states(self, k: int = 0) -> list[str]:
        return [g + self.copies[k][0] for g in self.states]

    def node_vectors(self, k: int = 0) -> list[str]:
        return [f"v({n})" for n in self.copy_nodes(k)]

    def state_vectors(self, k: int = 0) -> list[str]:
        return [f"v({g})" for g in self.copy_states(k)]

    def tran_command(self, stop: float) -> str:
        return f"tran {format_number(self.settings.dt)} {format_number(stop)}"

    def plain_control(self) -> list[str]:
        """Print the outputs at steady state, then along the relaxation."""
        net = self.network
        shown = [i for i, r in enumerate(net.roles) if r == "output"]
        shown = shown or [int(i) for i in net.free]
        vectors = [f"v({self.nodes[i]})" for i in shown]
        lines = ["echo steady state (.op on the static characteristic):", "op"]
        lines.append("print " + " ".join(vectors))
        lines.append(self.tran_command(max(CHECKPOINTS)))
        for t in CHECKPOINTS:
            for i, vector in zip(shown, vectors, strict=True):
                label = f"{self.nodes[i]}_at_{t * 1e3:g}ms"
                lines.append(f"meas tran {label} find {vector} at={t:g}")
        return lines


def write_netlist(
    network: Network,
    inputs: Mapping[str, float],
    path: Path,
    settings: Simulation,
    parameters: Parameters | None = None,
    *,
    source: str | None = None,
    control: Sequence[str] | None = None,
) -> Path:
    """Write an ngspice netlist that `ngspice -b` runs on its own."""
    writer = NgspiceWriter(network, inputs, settings, parameters, source=source)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as stream:
        writer.write(stream, control)
    return path
