"""The steady state found directly, by Newton's method on Kirchhoff's law.

At steady state every channel carries i = g0 q(dV) dV with q = g_inf / g0
(`shared/PHYSICS.md`, "The network"), so the node voltages solve

    F(V_free) = A_free i(V) = 0,    J = dF/dV_free = A_free diag(k) A_free^T

where A is the incidence (+1 at an edge's base, -1 at its tip) and
k = di/d(dV) = g0 (q + dV dq/d(dV)) uses the analytic slope of
`memspec.physics.steady_ratio`. Currents are picoamperes, so F and J are
divided by a reference g0: F is then in volts and J of order one.

Each Newton step is damped by backtracking on |F|^2 and capped at the span of
the input voltages. Small networks stack their Jacobians into one dense
batched solve; large ones build a sparse J and solve it by conjugate
gradients (KCL Jacobians of random graphs are well conditioned but fill in
badly under LU), falling back to a sparse LU when that fails, for example
when negative differential conductance makes J indefinite.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from memspec.errors import ConvergenceError
from memspec.models import Simulation
from memspec.network import Network, Parameters
from memspec.physics import Channels, VoltageLaw, steady_ratio
from memspec.solve.relax import _flatten, _validate, input_voltages

# Measured on 2 shared cores (docs/performance.md): past ~64 free nodes the
# dense batched solve loses to scipy.sparse, and past a few hundred the
# random-graph LU fill-in makes preconditioned CG the faster of the two.
DENSE_LIMIT = 64  # free nodes above which J is sparse
ITERATIVE_LIMIT = 500  # free nodes above which CG is tried before LU
STEP_TOLERANCE = 1e-11  # V: converged once no voltage moves by more
MAX_ITERATIONS = 60
FLOOR_STEP = 1e-9  # V: a step this small that cannot lower |F| is rounding
MAX_HALVINGS = 30
ARMIJO = 1e-4


class SteadyProblem:
    """KCL with the static characteristic, for one network or a flat batch.

    Arrays are (B, N) and (B, E) internally; B = 1 for an unbatched call.
    """

    def __init__(
        self,
        network: Network,
        inputs: Mapping[str, float],
        settings: Simulation,
        parameters: Parameters | None = None,
    ):
        p = parameters or network.parameters
        self.network = network
        self.settings = settings
        self.batch = p.batch_shape
        self.size = int(np.prod(self.batch))
        self.parameters = _flatten(p, self.size)
        flat = self.parameters
        self.channels = Channels.from_device(
            network.device, flat.length.ravel(), flat.base_radius.ravel()
        )

        volts = np.zeros((self.size, network.n_nodes))
        for i, v in input_voltages(network, inputs).items():
            volts[:, i] = np.broadcast_to(np.asarray(v, float), self.batch).ravel()
        self.fixed_volts = volts
        _, dp, drho, rho_base = network.stimuli(volts, flat)
        self.dp, self.drho, self.rho_base = dp, drho, rho_base
        self.g0 = self.channels.ohmic_conductance(rho_base.ravel()).reshape(dp.shape)
        self.voltage_law = VoltageLaw(
            self.channels, dp.ravel(), drho.ravel(), rho_base.ravel()
        )
        self.reference = float(np.median(self.g0))
        imposed = volts[:, network.inputs]
        self.lowest = imposed.min(axis=1, initial=0.0)[:, None]
        self.highest = imposed.max(axis=1, initial=0.0)[:, None]
        self.span = max(float(np.max(self.highest - self.lowest)), 1.0)

        self.free = network.free
        self.position = np.full(network.n_nodes, -1)
        self.position[self.free] = np.arange(len(self.free))
        self.a_free = _free_incidence(network, self.position)
        self.dense = len(self.free) <= DENSE_LIMIT
        self.a_dense = self.a_free.toarray() if self.dense else None

    # -- the characteristic ------------------------------------------------

    def law(self, volts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """dV, q = g_inf / g0 and dq/d(dV), each (B, E)."""
        net = self.network
        dv = volts[:, net.base] - volts[:, net.tip]
        state = self.voltage_law(dv.ravel())
        ratio = state.ratio.reshape(dv.shape)
        slope = state.d_ratio_d_dv.reshape(dv.shape)
        # Newton always follows the clamped law, so that its iterates never
        # meet a negative conductance; `validate` then applies on_invalid.
        low = ratio <= 0
        ratio = np.where(low, self.settings.conductance_floor, ratio)
        slope = np.where(low, 0.0, slope)
        return dv, ratio, slope

    def residual(self, volts: np.ndarray) -> np.ndarray:
        """KCL residual at the free nodes, in volts (B, F)."""
        dv, ratio, _ = self.law(volts)
        return self._scatter(self.g0 * ratio * dv / self.reference)

    def _scatter(self, current: np.ndarray) -> np.ndarray:
        return np.asarray(self.a_free @ current.T).T

    def differential(self, volts: np.ndarray) -> np.ndarray:
        """k / g_ref, the scaled differential conductance of each edge (B, E)."""
        dv, ratio, slope = self.law(volts)
        return self.g0 * (ratio + dv * slope) / self.reference

    # -- linear algebra ------------------------------------------------------

    def solve_linear(self, k: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """Solve A_free diag(k) A_free^T x = rhs for each member (B, F)."""
        if self.dense:
            jac = (self.a_dense * k[:, None, :]) @ self.a_dense.T
            try:
                return np.linalg.solve(jac, rhs[..., None])[..., 0]
            except np.linalg.LinAlgError as error:
                raise self._singular() from error
        rows = []
        for member, b in zip(k, rhs, strict=True):
            jac = (self.a_free @ sp.diags(member) @ self.a_free.T).tocsr()
            rows.append(_sparse_solve(jac, b, self._singular))
        return np.array(rows)

    def _singular(self) -> ConvergenceError:
        return ConvergenceError(
            "the Kirchhoff Jacobian is singular: some edge has zero differential "
            "conductance where the network depends on it",
            backend="native",
        )

    # -- Newton ----------------------------------------------------------------

    def start(self, initial: np.ndarray | None) -> np.ndarray:
        """Full node voltages (B, N) to start from: `initial`, else Ohmic."""
        volts = self.fixed_volts.copy()
        if initial is not None:
            guess = np.broadcast_to(
                np.asarray(initial, float), (*self.batch, self.network.n_nodes)
            ).reshape(self.size, -1)
            volts[:, self.free] = guess[:, self.free]
            return volts
        k = self.g0 / self.reference
        dv = volts[:, self.network.base] - volts[:, self.network.tip]
        volts[:, self.free] = self.solve_linear(k, -self._scatter(k * dv))
        return volts

    def newton(self, volts: np.ndarray) -> np.ndarray:
        """Iterate to the steady state from `volts` (B, N), in place."""
        free = self.free
        if not len(free):
            return volts
        residual = self.residual(volts)
        for _ in range(MAX_ITERATIONS):
            step = self.solve_linear(self.differential(volts), -residual)
            largest = np.max(np.abs(step), axis=1, keepdims=True)
            step *= np.minimum(1.0, self.span / np.maximum(largest, 1e-300))
            if np.all(largest <= STEP_TOLERANCE):
                volts[:, free] += step
                return volts
            merit = np.sum(residual**2, axis=1)
            alpha = np.ones(self.size)
            pending = np.ones(self.size, bool)
            base = volts[:, free].copy()
            for _ in range(MAX_HALVINGS):
                # Positive conductances keep every node inside the span of the
                # inputs, so a valid steady state lies inside that box.
                volts[:, free] = np.clip(
                    base + alpha[:, None] * step, self.lowest, self.highest
                )
                trial = self.residual(volts)
                accept = np.sum(trial**2, axis=1) <= merit * (1 - 2 * ARMIJO * alpha)
                newly = pending & accept
                residual[newly] = trial[newly]
                pending &= ~accept
                if not pending.any():
                    break
                alpha[pending] /= 2
            # A member whose |F| no Newton step can lower sits at the rounding
            # floor if that step is tiny; otherwise the line search failed.
            if np.any(pending & (largest[:, 0] > FLOOR_STEP)):
                raise self._failed("the line search could not reduce the residual")
            volts[np.ix_(pending, free)] = base[pending]
            moved = np.max(np.abs(alpha[:, None] * step), axis=1)
            if np.all((moved <= STEP_TOLERANCE) | pending):
                return volts
        raise self._failed(f"no convergence in {MAX_ITERATIONS} Newton iterations")

    def _failed(self, why: str) -> ConvergenceError:
        return ConvergenceError(
            f"Newton's method did not find the steady state of '{self.network.name}': "
            f"{why}. Try the relaxation (solver = relax), or a warm start",
            backend="native",
        )

    def validate(self, volts: np.ndarray) -> list[str]:
        """Raise on, or note, non-positive g_inf at the solution (PHYSICS.md)."""
        net = self.network
        dv = volts[:, net.base] - volts[:, net.tip]
        raw = self.voltage_law(dv.ravel()).ratio.reshape(dv.shape)
        clamped: set[int] = set()
        _validate(net, self.settings, raw, dv, self.dp, self.drho, clamped)
        return [
            f"g_inf of edge '{net.edge_names[e]}' is not positive at the steady "
            f"state and was clamped at {self.settings.conductance_floor:g} g0"
            for e in sorted(clamped)
        ]

    def shaped(self, volts: np.ndarray) -> np.ndarray:
        return volts.reshape(*self.batch, self.network.n_nodes)


def solve_steady(
    network: Network,
    inputs: Mapping[str, float],
    settings: Simulation,
    parameters: Parameters | None = None,
    initial: np.ndarray | None = None,
) -> np.ndarray:
    """Node voltages at the steady state, (N,) or (B, N) for batched parameters.

    `initial` (same shape, or broadcastable) warm-starts Newton, for example
    from the previous training step; without it Newton starts from the Ohmic
    network (every g = g0).

    Raises:
        PhysicsError: g_inf <= 0 at the solution and `settings.on_invalid`
            is "error".
        ConvergenceError: Newton's method failed (backend "native").
    """
    problem = SteadyProblem(network, inputs, settings, parameters)
    volts = problem.newton(problem.start(initial))
    problem.validate(volts)
    return problem.shaped(volts)


def steady_notes(
    network: Network,
    inputs: Mapping[str, float],
    settings: Simulation,
    parameters: Parameters | None = None,
    samples: int = 41,
) -> list[str]:
    """Say when Newton and the relaxation could reach different states.

    If every edge's characteristic i(dV) rises strictly and g_inf > 0 for all
    dV within the span of the inputs, the steady state is unique (it
    minimises a strictly convex content) and the relaxation, whose positive
    conductances keep every voltage inside that span, never leaves the
    validity range. Each condition is checked on `samples` points of dV per
    edge; a note names the first edges that break it. Costs `samples` model
    evaluations per edge, so it is for diagnosis rather than every step.
    """
    problem = SteadyProblem(network, inputs, settings, parameters)
    span = problem.span
    grid = np.linspace(-span, span, samples)
    shape = (problem.size, network.n_edges, samples)

    def tile(a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a[..., None], shape).ravel()

    channels = Channels.from_device(
        network.device,
        tile(problem.parameters.length),
        tile(problem.parameters.base_radius),
    )
    dv = np.broadcast_to(grid, shape).ravel()
    state = steady_ratio(
        channels, dv, tile(problem.dp), tile(problem.drho), tile(problem.rho_base)
    )
    ratio = state.ratio.reshape(shape)
    slope = ratio + grid * state.d_ratio_d_dv.reshape(shape)
    notes = []
    falling = np.nonzero((slope <= 0).any(axis=(0, 2)))[0]
    if len(falling):
        notes.append(
            f"edge(s) {_names(network, falling)} have negative differential "
            f"conductance for some |dV| <= {span:g} V: the static problem may have "
            "several steady states, and Newton and the relaxation may reach "
            "different ones"
        )
    invalid = np.nonzero((ratio <= 0).any(axis=(0, 2)))[0]
    if len(invalid):
        notes.append(
            f"edge(s) {_names(network, invalid)} reach g_inf <= 0 for some "
            f"|dV| <= {span:g} V: the relaxation could leave the model's validity "
            "range on its way to the steady state"
        )
    return notes


def _names(network: Network, edges: np.ndarray, most: int = 5) -> str:
    names = ", ".join(f"'{network.edge_names[e]}'" for e in edges[:most])
    return names + (f" and {len(edges) - most} more" if len(edges) > most else "")


def _free_incidence(network: Network, position: np.ndarray) -> sp.csr_matrix:
    """Sparse (F, E) incidence restricted to the free nodes."""
    edges = np.arange(network.n_edges)
    rows = np.concatenate([position[network.base], position[network.tip]])
    cols = np.concatenate([edges, edges])
    vals = np.concatenate([np.ones(network.n_edges), -np.ones(network.n_edges)])
    keep = rows >= 0
    return sp.csr_matrix(
        (vals[keep], (rows[keep], cols[keep])),
        shape=(int(position.max(initial=-1)) + 1, network.n_edges),
    )


def _sparse_solve(jac: sp.csr_matrix, rhs: np.ndarray, singular) -> np.ndarray:
    scale = np.linalg.norm(rhs)
    if scale == 0:
        return np.zeros_like(rhs)
    if jac.shape[0] > ITERATIVE_LIMIT:
        diagonal = jac.diagonal()
        if np.all(diagonal > 0):
            precondition = sp.diags(1 / diagonal)
            x, info = spla.cg(jac, rhs, rtol=1e-13, atol=0.0, M=precondition)
            if info == 0 and np.linalg.norm(jac @ x - rhs) <= 1e-11 * scale:
                return x
    try:
        return spla.splu(jac.tocsc(), permc_spec="MMD_AT_PLUS_A").solve(rhs)
    except RuntimeError as error:
        raise singular() from error
