"""Exact gradients: the local current derivatives and the adjoint gradient,
each against finite differences taken through independent code paths."""

from pathlib import Path

import numpy as np
import pytest

import memspec
from memspec.backends.native import NativeBackend
from memspec.models import WEIGHT_KINDS, Device, Simulation, TrainedProperty
from memspec.network import Network
from memspec.physics import Channels, steady_ratio
from memspec.solve.newton import SteadyProblem
from memspec.solve.random_networks import random_spec
from memspec.solve.sensitivity import current_derivatives
from memspec.training import adjoint
from memspec.training.gradient import Problem, gradient
from memspec.training.task import TaskPlan
from memspec.training.weights import weight_set

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted(ROOT.glob("specs/**/*.mem"))
BAR = 1e5
# Newton converged to rounding, so that differences of the cost are clean.
NEWTON = Simulation(solver="newton")


def current(length, radius, dv, dp, rho_base, rho_tip):
    """i = g0 q dV straight from memspec.physics."""
    channels = Channels.from_device(Device(), length, radius)
    g0 = channels.ohmic_conductance(rho_base)
    ratio = steady_ratio(channels, dv, dp, rho_base - rho_tip, rho_base).ratio
    return g0 * ratio * dv


def five_point(f, x, h):
    """Fourth-order central difference, truncation error O(h^4)."""
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


@pytest.fixture(scope="module")
def stimuli():
    rng = np.random.default_rng(0)
    n = 400
    dv = rng.uniform(-3, 3, n)
    dv[:40] *= 1e-3  # small Peclet numbers: the series branch
    return {
        "length": rng.uniform(5e-6, 15e-6, n),
        "radius": rng.uniform(120e-9, 300e-9, n),
        "dv": dv,
        "dp": rng.uniform(-0.2, 0.2, n) * BAR,
        "rho_base": rng.uniform(0.1, 0.3, n),
        "rho_tip": rng.uniform(0.1, 0.3, n),
    }


@pytest.mark.parametrize(
    "name, argument, step",
    [
        ("d_dv", "dv", 1e-4),
        ("d_dp", "dp", 10.0),
        ("d_rho_base", "rho_base", 1e-4),
        ("d_rho_tip", "rho_tip", 1e-4),
        ("d_length", "length", 1e-9),
        ("d_base_radius", "radius", 1e-11),
    ],
)
def test_current_derivatives_match_central_differences(stimuli, name, argument, step):
    s = stimuli
    channels = Channels.from_device(Device(), s["length"], s["radius"])
    exact = current_derivatives(
        channels,
        s["dv"],
        s["dp"],
        s["rho_base"] - s["rho_tip"],
        s["rho_base"],
    )

    def f(x):
        return current(**(s | {argument: x}))

    numeric = five_point(f, s[argument], step)
    scale = np.max(np.abs(numeric))
    assert np.max(np.abs(getattr(exact, name) - numeric)) < 1e-8 * scale
    assert np.allclose(exact.current, current(**s), rtol=1e-13, atol=0)


def test_current_length_derivative_is_minus_current_over_length(stimuli):
    # Pe and g_inf / g0 do not depend on L (PHYSICS.md: Q ~ 1/L, Pe ~ Q L).
    s = stimuli
    channels = Channels.from_device(Device(), s["length"], s["radius"])
    exact = current_derivatives(
        channels, s["dv"], s["dp"], s["rho_base"] - s["rho_tip"], s["rho_base"]
    )
    assert np.allclose(exact.d_length, -exact.current / s["length"], rtol=1e-14)


def all_kinds(network: Network):
    """Every property of every node and edge as a weight."""
    return weight_set(
        network, [TrainedProperty(kind=kind, rate=1.0) for kind in WEIGHT_KINDS]
    )


def adjoint_and_central(spec, settings=NEWTON):
    network = Network.from_spec(spec)
    weights = all_kinds(network)
    objective = TaskPlan(spec).objective(0)
    problem = Problem(
        NativeBackend(), settings, weights, objective.inputs, objective.targets
    )
    w = weights.initial()
    exact = gradient(problem, w, "adjoint", None)
    numeric = gradient(problem, w, "central", 1e-5 * np.abs(w))
    return exact, numeric


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_adjoint_matches_central_differences_on_every_spec(path):
    exact, numeric = adjoint_and_central(memspec.load(path))
    assert exact.cost == pytest.approx(numeric.cost, rel=1e-12)
    error = np.linalg.norm(exact.gradient - numeric.gradient)
    assert error < 1e-6 * np.linalg.norm(numeric.gradient)


def test_adjoint_matches_central_differences_on_a_mixed_random_network():
    spec = random_spec(
        9,
        15,
        seed=3,
        pressure_spread=0.05,
        concentration_spread=0.2,
        geometry_spread=0.2,
    )
    exact, numeric = adjoint_and_central(spec)
    assert len(exact.gradient) == 2 * 9 + 2 * 15
    error = np.linalg.norm(exact.gradient - numeric.gradient)
    assert error < 1e-6 * np.linalg.norm(numeric.gradient)


def test_adjoint_takes_one_linear_solve_for_all_weights(monkeypatch):
    calls = []
    original = SteadyProblem.solve_linear

    def counted(self, k, rhs):
        calls.append(rhs.shape)
        return original(self, k, rhs)

    spec = random_spec(9, 15, seed=3, pressure_spread=0.05)
    network = Network.from_spec(spec)
    volts = memspec.solve.newton.solve_steady(network, spec.task.inputs, NEWTON)
    d_cost = np.ones(network.n_nodes)
    monkeypatch.setattr(SteadyProblem, "solve_linear", counted)
    adjoint.steady_gradient(network, spec.task.inputs, NEWTON, volts, d_cost)
    assert calls == [(1, len(network.free))]


def test_training_with_adjoint_follows_central_differences():
    spec = memspec.load(ROOT / "specs" / "voltage_divider.mem")
    runs = {}
    for method in ("adjoint", "central"):
        # A small step, so that central differences are exact to ~1e-10.
        update = {"gradient": method, "fd_step": 1e-5}
        training = spec.training.model_copy(update=update)
        settings = spec.simulation.model_copy(update={"solver": "newton"})
        variant = spec.model_copy(update={"training": training, "simulation": settings})
        runs[method] = memspec.train(variant, steps=5, quiet=True)
    for name, value in runs["adjoint"].weights.items():
        assert value == pytest.approx(runs["central"].weights[name], rel=1e-8)
    assert runs["adjoint"].final_cost < runs["adjoint"].initial_cost
