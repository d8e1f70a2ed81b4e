"""Large networks: the sparse and iterative paths agree with the dense one,
and 10,000 nodes reach their steady state and an exact gradient quickly."""

import time

import numpy as np

from memspec.models import Simulation
from memspec.solve import newton
from memspec.solve.newton import SteadyProblem, solve_steady
from memspec.solve.random_networks import random_network
from memspec.training.adjoint import steady_gradient

INPUTS = {"n0": 0.0, "n1": 2.0, "n2": 5.0}


def test_sparse_direct_and_iterative_solves_match_dense(monkeypatch):
    network = random_network(150, 400, seed=7, pressure_spread=0.03)
    dense = solve_steady(network, INPUTS, Simulation())
    monkeypatch.setattr(newton, "DENSE_LIMIT", 10)
    sparse_lu = solve_steady(network, INPUTS, Simulation())
    monkeypatch.setattr(newton, "ITERATIVE_LIMIT", 10)
    sparse_cg = solve_steady(network, INPUTS, Simulation())
    assert np.max(np.abs(sparse_lu - dense)) < 1e-10
    assert np.max(np.abs(sparse_cg - dense)) < 1e-10


def test_sparse_adjoint_matches_dense(monkeypatch):
    network = random_network(150, 400, seed=8, concentration_spread=0.2)
    volts = solve_steady(network, INPUTS, Simulation())
    d_cost = np.random.default_rng(0).normal(size=network.n_nodes)
    dense = steady_gradient(network, INPUTS, Simulation(), volts, d_cost)
    monkeypatch.setattr(newton, "DENSE_LIMIT", 10)
    monkeypatch.setattr(newton, "ITERATIVE_LIMIT", 10)
    sparse = steady_gradient(network, INPUTS, Simulation(), volts, d_cost)
    for kind in ("pressure", "concentration", "length", "base_radius"):
        a, b = getattr(dense, kind), getattr(sparse, kind)
        assert np.max(np.abs(a - b)) < 1e-9 * np.max(np.abs(a))


def test_ten_thousand_nodes_settle_and_take_an_adjoint_step_in_seconds():
    network = random_network(10_000, 30_000, seed=0, pressure_spread=0.02)
    started = time.perf_counter()
    volts = solve_steady(network, INPUTS, Simulation())
    problem = SteadyProblem(network, INPUTS, Simulation())
    kcl = problem.residual(volts[None])
    # Kirchhoff holds to rounding: residual currents of at most ~1e-12 g0 V.
    assert np.max(np.abs(kcl)) < 1e-10
    assert volts.min() >= 0.0 and volts.max() <= 5.0

    outputs = network.indices("output")
    d_cost = np.zeros(network.n_nodes)
    d_cost[outputs] = 2 * (volts[outputs] - 2.5)
    grads = steady_gradient(network, INPUTS, Simulation(), volts, d_cost)
    elapsed = time.perf_counter() - started
    assert elapsed < 30.0  # about 2 s alone on this 2-core machine

    # Spot-check one length derivative by a central difference.
    edge = int(np.argmax(np.abs(grads.length)))
    h = 1e-6 * network.parameters.length[edge]
    costs = []
    for sign in (1, -1):
        length = network.parameters.length.copy()
        length[edge] += sign * h
        p = network.parameters.replace(length=length)
        v = solve_steady(network, INPUTS, Simulation(), p, initial=volts)
        costs.append(np.sum((v[outputs] - 2.5) ** 2))
    numeric = (costs[0] - costs[1]) / (2 * h)
    assert abs(numeric - grads.length[edge]) < 1e-5 * abs(grads.length[edge])
