"""Relaxation of a memristor network to its steady state.

This is the forward pass of `shared/PHYSICS.md`, "Dynamics": every edge
starts at g = g0; each explicit Euler step solves Kirchhoff's current law at
the non-input nodes with the present conductances, evaluates g_inf from the
static model, and moves `g += dt (g_inf - g) / tau` with each edge's own tau.

Settled means: max over edges of |g_inf - g| / g0 <= `settle_tolerance`,
with g_inf evaluated at the voltages that the present g gives. The
relaxation stops there, or at `max_time` with `settled = False`.

Parameters may carry a batch axis. All members then step together until
every one has settled, so each takes exactly the same Euler steps: finite
differences between members are smooth functions of the weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike

from memspec.backends.base import Trace
from memspec.errors import ConvergenceError, MemspecError, PhysicsError
from memspec.models import Simulation
from memspec.network import Network, Parameters
from memspec.physics import Channels, VoltageLaw, steady_ratio

DENSE_LIMIT = 64  # free nodes above which each member is solved sparsely
STEP_WARNING = 0.05  # dt / tau above which the trace carries a note


@dataclass
class Relaxation:
    """The settled state. Arrays have the parameters' batch shape in front."""

    voltages: np.ndarray  # (..., N) V
    g_over_g0: np.ndarray  # (..., E)
    g0: np.ndarray  # (..., E) S
    dV: np.ndarray  # (..., E) V, base minus tip
    settled: bool
    time: float  # s of simulated relaxation
    steps: int
    trace: Trace | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def conductance(self) -> np.ndarray:
        return self.g_over_g0 * self.g0

    @property
    def current(self) -> np.ndarray:
        return self.conductance * self.dV


def input_voltages(
    network: Network, inputs: Mapping[str, ArrayLike]
) -> dict[int, ArrayLike]:
    """Index the imposed voltages by node, checking they cover every input."""
    index = {}
    for name, volts in inputs.items():
        if name not in network.node_names:
            raise MemspecError(f"cannot impose a voltage on unknown node '{name}'")
        i = network.node_index(name)
        if network.roles[i] != "input":
            raise MemspecError(
                f"cannot impose a voltage on node '{name}': it is an "
                f"{network.roles[i]} node, not an input"
            )
        index[i] = volts
    missing = [network.node_names[i] for i in network.inputs if i not in index]
    if missing:
        raise MemspecError(f"no voltage given for input node(s) {', '.join(missing)}")
    return index


def relax(
    network: Network,
    inputs: Mapping[str, ArrayLike],
    settings: Simulation,
    parameters: Parameters | None = None,
    *,
    trace: bool = False,
) -> Relaxation:
    """Relax from g = g0 until settled, for one network or a batch of them.

    `inputs` maps every input node to volts: a float, or an array of the
    parameters' batch shape to impose different voltages on each member.

    Raises:
        PhysicsError: some g_inf <= 0 and `settings.on_invalid` is "error".
        ConvergenceError: `dt` is longer than an edge's time constant.
    """
    p = parameters or network.parameters
    batch = p.batch_shape
    size = int(np.prod(batch))
    flat = _flatten(p, size)
    channels = Channels.from_device(network.device, flat.length, flat.base_radius)
    check_step(network, channels, settings)

    imposed = input_voltages(network, inputs)
    volts = np.zeros((size, network.n_nodes))
    for i, v in imposed.items():
        volts[:, i] = np.broadcast_to(np.asarray(v, float), batch).reshape(size)

    dv, dp, drho, rho_base = network.stimuli(volts, flat)
    g0 = channels.ohmic_conductance(rho_base)
    kcl = _Kirchhoff(network, g0)
    rate = settings.dt / channels.time_constant
    max_steps = int(round(settings.max_time / settings.dt))

    law = VoltageLaw(channels, dp, drho, rho_base)
    ratio = np.ones((size, network.n_edges))
    clamped: set[int] = set()
    times, v_trace, g_trace = [], [], []
    settled, step = False, 0
    while True:
        kcl.solve(ratio, volts)
        dv = volts[:, network.base] - volts[:, network.tip]
        target = law(dv).ratio
        target = _validate(network, settings, target, dv, dp, drho, clamped)
        if trace:
            times.append(step * settings.dt)
            v_trace.append(volts.reshape(*batch, -1).copy())
            g_trace.append((ratio * g0).reshape(*batch, -1))
        if np.max(np.abs(target - ratio), initial=0.0) <= settings.settle_tolerance:
            settled = True
            break
        if step == max_steps:
            break
        ratio = ratio + rate * (target - ratio)
        step += 1

    shape = lambda a: a.reshape(*batch, a.shape[-1])  # noqa: E731
    return Relaxation(
        voltages=shape(volts),
        g_over_g0=shape(ratio),
        g0=shape(g0),
        dV=shape(dv),
        settled=settled,
        time=step * settings.dt,
        steps=step,
        trace=Trace(np.array(times), np.array(v_trace), np.array(g_trace))
        if trace
        else None,
        notes=_clamp_notes(network, settings, clamped)
        + _step_notes(network, channels, settings),
    )


def steady_state(
    network: Network,
    settings: Simulation,
    voltages: np.ndarray,
    parameters: Parameters | None = None,
) -> Relaxation:
    """The state at node voltages found by a direct solve: g = g_inf there.

    Non-positive g_inf raises or is clamped as `settings.on_invalid` says.
    """
    p = parameters or network.parameters
    batch = p.batch_shape
    size = int(np.prod(batch))
    flat = _flatten(p, size)
    volts = np.reshape(voltages, (size, network.n_nodes))
    channels = Channels.from_device(network.device, flat.length, flat.base_radius)
    dv, dp, drho, rho_base = network.stimuli(volts, flat)
    ratio = steady_ratio(channels, dv, dp, drho, rho_base).ratio
    clamped: set[int] = set()
    ratio = _validate(network, settings, ratio, dv, dp, drho, clamped)
    shape = lambda a: a.reshape(*batch, a.shape[-1])  # noqa: E731
    return Relaxation(
        voltages=shape(volts),
        g_over_g0=shape(ratio),
        g0=shape(channels.ohmic_conductance(rho_base)),
        dV=shape(dv),
        settled=True,
        time=0.0,
        steps=0,
        notes=_clamp_notes(network, settings, clamped),
    )


class _Kirchhoff:
    """Node voltages from conductances, by KCL at every non-input node.

    Conductances are picosiemens; the Laplacian is built from g / max(g0) of
    each member so that its entries are of order one. It is assembled from
    sparse incidence matrices in O(E) per member, then solved densely for
    all members at once on small networks, or member by member with a
    sparse LU on large ones, where a dense (F, F) matrix per member would
    cost O(F^3) at every Euler step.
    """

    def __init__(self, network: Network, g0: np.ndarray):
        incidence = network.incidence()
        self.free = network.free
        self.fixed = network.inputs
        self.scale = g0 / g0.max(axis=-1, keepdims=True)
        n = len(self.free)
        self.dense = 0 < n <= DENSE_LIMIT
        # Small networks stay dense: at a few nodes, numpy's overhead per
        # call, not arithmetic, sets the cost of each Euler step.
        convert = np.asarray if self.dense else sp.csr_matrix
        self.a_free = convert(incidence[self.free])  # (F, E)
        self.a_fixed = convert(incidence[self.fixed])  # (I, E)
        if self.dense:
            # Row f * n + h of `assembly` sums the edges into L[f, h].
            a = self.a_free
            self.assembly = (a[:, None, :] * a[None, :, :]).reshape(n * n, -1)

    def solve(self, ratio: np.ndarray, volts: np.ndarray) -> None:
        """Write the free node voltages into `volts` (B, N) in place."""
        if not len(self.free):
            return
        g = ratio * self.scale  # (B, E)
        # Current pushed into free nodes by edges that end on an input.
        fixed_end = (self.a_fixed.T @ volts[:, self.fixed].T).T  # (B, E)
        rhs = -(self.a_free @ (g * fixed_end).T).T  # (B, F)
        try:
            if self.dense:
                n = len(self.free)
                laplacian = (self.assembly @ g.T).T.reshape(-1, n, n)
                volts[:, self.free] = np.linalg.solve(laplacian, rhs[..., None])[..., 0]
                return
            for b in range(len(g)):
                laplacian = self.a_free @ sp.diags(g[b]) @ self.a_free.T
                volts[b, self.free] = spla.splu(laplacian.tocsc()).solve(rhs[b])
        except (np.linalg.LinAlgError, RuntimeError) as error:
            raise MemspecError(
                "Kirchhoff's current law has no unique solution: some node is not "
                "connected to any input"
            ) from error


def _flatten(p: Parameters, size: int) -> Parameters:
    """The parameters as (size, N) and (size, E) arrays."""

    def rows(a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a, (*p.batch_shape, a.shape[-1])).reshape(size, -1)

    return Parameters(
        rows(p.pressure), rows(p.concentration), rows(p.length), rows(p.base_radius)
    )


def _clamp_notes(
    network: Network, settings: Simulation, clamped: set[int]
) -> list[str]:
    return [
        f"g_inf of edge '{network.edge_names[e]}' fell to or below zero and was "
        f"clamped at {settings.conductance_floor:g} g0"
        for e in sorted(clamped)
    ]


def _step_notes(
    network: Network, channels: Channels, settings: Simulation
) -> list[str]:
    """Warn when the Euler trace is visibly off the exact dynamics.

    Explicit Euler's error in g(t) is first order in dt / tau: about
    dt / (2 tau) of the swing in the first time constant. The steady state
    does not depend on dt.
    """
    tau = channels.time_constant
    ratio = settings.dt / tau.min()
    if ratio <= STEP_WARNING:
        return []
    edge = network.edge_names[int(np.argmin(tau.min(axis=0)))]
    return [
        f"dt = {settings.dt * 1e3:g} ms is {ratio:.2g} of the time constant of "
        f"edge '{edge}' ({tau.min() * 1e3:.3g} ms): the relaxation in time may be "
        f"off the exact dynamics by about {50 * ratio:.2g}% of its swing early on; "
        "a smaller dt traces it closer (the steady state is unaffected)"
    ]


def check_step(
    network: Network,
    channels: Channels,
    settings: Simulation,
    backend: str = "native",
) -> None:
    """Refuse an Euler step longer than the shortest time constant."""
    # Beyond dt = tau an Euler step overshoots g_inf; the paper's scheme
    # assumes dt well below every time constant.
    tau = channels.time_constant
    if settings.dt > tau.min():
        edge = network.edge_names[int(np.argmin(tau.min(axis=0)))]
        raise ConvergenceError(
            f"the time step dt = {settings.dt * 1e3:g} ms is longer than the time "
            f"constant {tau.min() * 1e3:.3g} ms of edge '{edge}'; explicit Euler "
            "would overshoot, so choose a shorter dt",
            backend=backend,
        )


def _validate(
    network: Network,
    settings: Simulation,
    target: np.ndarray,
    dv: np.ndarray,
    dp: np.ndarray,
    drho: np.ndarray,
    clamped: set[int],
) -> np.ndarray:
    """Stop at, or clamp, a non-positive g_inf (PHYSICS.md, "Validity range")."""
    bad = target <= 0
    if not bad.any():
        return target
    if settings.on_invalid == "clamp":
        clamped.update(np.nonzero(bad.any(axis=0))[0].tolist())
        return np.maximum(target, settings.conductance_floor)
    b, e = (int(i) for i in np.argwhere(bad)[0])
    member = f" (member {b} of a batch of {len(target)})" if len(target) > 1 else ""
    raise PhysicsError(
        f"edge '{network.edge_names[e]}' leaves the model's validity range{member}: "
        f"g_inf/g0 = {target[b, e]:.3g} at dV = {dv[b, e]:.4g} V, "
        f"dP = {dp[b, e] / 1e5:.4g} bar, drho = {drho[b, e]:.4g} mM; a negative "
        "conductance is not physical. Set on_invalid = clamp in the simulation "
        "settings to floor it instead"
    )
