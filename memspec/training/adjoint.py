"""Exact gradients by implicit differentiation at the steady state.

The steady state solves F(V_free, w) = A_free i(V, w) = 0 (Kirchhoff's law
with the static characteristic of `shared/PHYSICS.md`). Differentiating it,

    dC/dw = dC/dw|explicit - lambda^T dF/dw,    J^T lambda = dC/dV_free,

with J = dF/dV_free = A_free diag(di/d(dV)) A_free^T, the Jacobian that
Newton already uses. The cost has no explicit dependence on the weights, and
dF/dw = A_free di/dw is local: every weight moves only the currents of its
own edges. So with mu_e = lambda_base - lambda_tip (zero at inputs),

    dC/dw = -sum_e mu_e di_e/dw,

one linear solve for every weight of every kind, however many there are.
The local derivatives di_e/dw are those of `memspec.solve.sensitivity`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from memspec.errors import TrainingError
from memspec.models import WEIGHT_UNITS, Simulation
from memspec.network import Network, Parameters
from memspec.solve.newton import SteadyProblem
from memspec.solve.sensitivity import current_derivatives
from memspec.training.gradient import Evaluation, Problem


def steady_gradient(
    network: Network,
    inputs: Mapping[str, float],
    settings: Simulation,
    voltages: np.ndarray,
    d_cost: np.ndarray,
    parameters: Parameters | None = None,
) -> Parameters:
    """dC/d(every parameter) in SI units, at the steady state `voltages` (N,).

    `d_cost` (N,) is dC/dV at every node; entries at input nodes are ignored,
    since those voltages are imposed. The result holds one gradient array per
    property, shaped like the parameters themselves.
    """
    problem = SteadyProblem(network, inputs, settings, parameters)
    if problem.size != 1:
        raise ValueError("the adjoint gradient is for one network, not a batch")
    volts = np.asarray(voltages, float).reshape(1, -1)
    dv = volts[0, network.base] - volts[0, network.tip]
    local = current_derivatives(
        problem.channels,
        dv,
        problem.dp[0],
        problem.drho[0],
        problem.rho_base[0],
        floor=settings.conductance_floor,
    )
    # Newton scales currents by a reference g0; J and lambda follow suit.
    k = local.d_dv[None] / problem.reference
    lam = np.zeros(network.n_nodes)
    if len(problem.free):
        rhs = np.asarray(d_cost, float)[problem.free][None]
        lam[problem.free] = problem.solve_linear(k, rhs)[0]
    mu = -(lam[network.base] - lam[network.tip]) / problem.reference

    n = network.n_nodes

    def on_nodes(at_base: np.ndarray, at_tip: np.ndarray) -> np.ndarray:
        return np.bincount(network.base, at_base, n) + np.bincount(
            network.tip, at_tip, n
        )

    grad_dp = mu * local.d_dp
    return Parameters(
        pressure=on_nodes(grad_dp, -grad_dp),
        concentration=on_nodes(mu * local.d_rho_base, mu * local.d_rho_tip),
        length=mu * local.d_length,
        base_radius=mu * local.d_base_radius,
    )


def gradient(problem: Problem, w: np.ndarray) -> Evaluation:
    """C(w) and dC/dw (per weight unit) at one weight vector, exactly.

    The steady state comes from the native backend's Newton solver (warm
    from its previous solve) whatever the spec's solver: the gradient is that
    of the model's steady state, which both native solvers reach.
    """
    if problem.backend.name != "native":
        raise TrainingError(
            "the adjoint gradient differentiates the native model; train with "
            "the native backend, or use gradient = forward or central"
        )
    weights = problem.weights
    network = weights.network
    parameters = weights.parameters(w)
    settings = problem.settings.model_copy(update={"solver": "newton"})
    voltages = problem.backend.solve_batch(
        network, problem.inputs, settings, parameters
    )

    index = [network.node_index(n) for n in problem.targets]
    wanted = np.array(list(problem.targets.values()))
    d_cost = np.zeros(network.n_nodes)
    np.add.at(d_cost, index, 2 * (voltages[index] - wanted))

    grads = steady_gradient(
        network, problem.inputs, settings, voltages, d_cost, parameters
    )
    grad = np.array(
        [
            getattr(grads, wt.kind)[wt.index] * WEIGHT_UNITS[wt.kind][1]
            for wt in weights.weights
        ]
    )
    return Evaluation(float(problem.cost(voltages)), grad, voltages)
