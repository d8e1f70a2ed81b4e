"""Newton's steady state against the Euler relaxation and an independent root
finder, and its handling of invalid and ambiguous networks."""

import numpy as np
import pytest
from scipy.optimize import root

from memspec.errors import ConvergenceError, PhysicsError
from memspec.models import Simulation
from memspec.network import Network
from memspec.physics import steady_ratio
from memspec.solve import newton
from memspec.solve.newton import solve_steady, steady_notes
from memspec.solve.random_networks import random_network, random_spec
from memspec.solve.relax import relax

BAR = 1e5
DIVIDER_INPUTS = {"n0": 5.0, "n1": 0.0}
# The relaxation settled far below its default, so that it sits on the
# steady state to well under the 1e-9 V the two routes must agree to.
# Far below any voltage tolerance below, yet above the rounding noise of
# g_inf (about 1e-15 of g0), which an Euler step of 0.1 ms cannot beat.
TIGHT = Simulation(settle_tolerance=1e-12, max_time=20.0)


def divider(pressure_out: float = 1.0, flipped: bool = False) -> Network:
    """5 V -> n2 -> 0 V through two default channels; n2 at `pressure_out` bar."""
    spec = random_spec(3, 2, input_volts=(5.0, 0.0), n_outputs=1)
    nodes = [n.model_copy() for n in spec.nodes]
    nodes[2].pressure = pressure_out * BAR
    top = spec.edges[0].model_copy(update={"base": "n0", "tip": "n2"})
    bottom = spec.edges[1].model_copy(update={"base": "n2", "tip": "n1"})
    if flipped:
        top = top.model_copy(update={"base": "n2", "tip": "n0"})
    return Network.from_spec(
        spec.model_copy(update={"nodes": nodes, "edges": [top, bottom]})
    )


def reference_root(network: Network, inputs: dict[str, float]) -> np.ndarray:
    """KCL solved by scipy's hybrid root finder, straight from steady_ratio."""
    p = network.parameters
    channels = network.channels()
    volts = np.zeros(network.n_nodes)
    for name, v in inputs.items():
        volts[network.node_index(name)] = v
    free = network.free

    def residual(x):
        v = volts.copy()
        v[free] = x
        dv, dp, drho, rho = network.stimuli(v, p)
        g0 = channels.ohmic_conductance(rho)
        current = g0 * steady_ratio(channels, dv, dp, drho, rho).ratio * dv
        return (network.incidence() @ current)[free] / g0.mean()

    guess = np.full(len(free), np.mean(list(inputs.values())))
    solution = root(residual, guess, method="hybr", tol=1e-15)
    assert solution.success
    volts[free] = solution.x
    return volts


def test_newton_symmetric_divider_settles_at_half_the_supply():
    volts = solve_steady(divider(), DIVIDER_INPUTS, Simulation())
    assert volts[2] == pytest.approx(2.5, abs=1e-12)


@pytest.mark.parametrize("pressure_out", [0.95, 1.0, 1.1])
def test_newton_divider_matches_relaxation(pressure_out):
    network = divider(pressure_out)
    volts = solve_steady(network, DIVIDER_INPUTS, Simulation())
    relaxed = relax(network, DIVIDER_INPUTS, TIGHT)
    assert relaxed.settled
    assert np.max(np.abs(volts - relaxed.voltages)) < 1e-9


def test_newton_random_mixed_network_matches_relaxation_and_root_finder():
    spec = random_spec(
        12,
        24,
        seed=1,
        pressure_spread=0.05,
        concentration_spread=0.3,
        geometry_spread=0.2,
    )
    network = Network.from_spec(spec)
    orientations = {(e.base < e.tip) for e in spec.edges}
    assert orientations == {True, False}  # both orientations occur
    volts = solve_steady(network, spec.task.inputs, Simulation())
    relaxed = relax(network, spec.task.inputs, TIGHT)
    assert relaxed.settled
    assert np.max(np.abs(volts - relaxed.voltages)) < 1e-9
    assert np.max(np.abs(volts - reference_root(network, spec.task.inputs))) < 1e-9


def test_newton_batch_equals_members_solved_one_by_one():
    network = random_network(8, 14, seed=2, pressure_spread=0.03)
    rng = np.random.default_rng(0)
    p = network.parameters
    batch = p.replace(
        pressure=p.pressure + 0.02 * BAR * rng.uniform(-1, 1, (4, network.n_nodes)),
        length=p.length * rng.uniform(0.9, 1.1, (4, network.n_edges)),
    )
    inputs = {"n0": 0.0, "n1": 2.0, "n2": 5.0}
    together = solve_steady(network, inputs, Simulation(), batch)
    assert together.shape == (4, network.n_nodes)
    for b in range(4):
        member = p.replace(pressure=batch.pressure[b], length=batch.length[b])
        alone = solve_steady(network, inputs, Simulation(), member)
        assert np.max(np.abs(together[b] - alone)) < 1e-12


def test_newton_warm_start_reaches_the_same_state():
    network = random_network(10, 20, seed=4)
    inputs = {"n0": 0.0, "n1": 2.0, "n2": 5.0}
    cold = solve_steady(network, inputs, Simulation())
    nudged = cold + np.random.default_rng(1).normal(0, 0.05, cold.shape)
    warm = solve_steady(network, inputs, Simulation(), initial=nudged)
    assert np.max(np.abs(warm - cold)) < 1e-12


def test_newton_invalid_steady_state_names_edge_and_stimuli():
    # 5 V against a 0.36 bar pressure drop that opposes it: g_inf < 0.
    network = divider(pressure_out=1.36)
    with pytest.raises(PhysicsError) as info:
        solve_steady(network, DIVIDER_INPUTS, Simulation())
    message = str(info.value)
    for part in ("edge 'e0'", "dV =", "dP = -0.36 bar", "drho = 0"):
        assert part in message


def test_newton_clamped_state_matches_clamped_relaxation():
    network = divider(pressure_out=1.36)
    settings = Simulation(on_invalid="clamp", settle_tolerance=1e-14, max_time=20)
    volts = solve_steady(network, DIVIDER_INPUTS, settings)
    relaxed = relax(network, DIVIDER_INPUTS, settings)
    assert relaxed.notes  # the relaxation clamped too
    assert np.max(np.abs(volts - relaxed.voltages)) < 1e-9


def test_steady_notes_silent_for_a_monotone_divider():
    assert steady_notes(divider(), DIVIDER_INPUTS, Simulation()) == []


def test_steady_notes_warn_of_several_states_and_invalid_range():
    notes = steady_notes(divider(pressure_out=1.36), DIVIDER_INPUTS, Simulation())
    assert any("several steady states" in n and "'e0'" in n for n in notes)
    assert any("validity range" in n for n in notes)


def test_newton_failure_is_a_native_convergence_error(monkeypatch):
    monkeypatch.setattr(newton, "MAX_ITERATIONS", 1)
    network = random_network(10, 20, seed=5, pressure_spread=0.05)
    with pytest.raises(ConvergenceError) as info:
        solve_steady(network, {"n0": 0.0, "n1": 2.0, "n2": 5.0}, Simulation())
    assert info.value.backend == "native"
    assert "Newton" in str(info.value)
