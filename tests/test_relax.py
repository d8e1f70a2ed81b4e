"""The Euler relaxation of memspec.solve.relax (PHYSICS.md, "Dynamics")."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import root

from memspec.errors import ConvergenceError, MemspecError, PhysicsError
from memspec.models import Device, Edge, Mapping, Node, Simulation, Spec
from memspec.network import Network
from memspec.physics import steady_ratio
from memspec.solve import relax

SETTINGS = Simulation()


def two_inputs(dv: float, p_base: float = 1e5, p_tip: float = 1e5) -> Network:
    """One channel straight between two input nodes."""
    spec = Spec(
        name="single",
        nodes=[
            Node(name="a", role="input", pressure=p_base),
            Node(name="b", role="input", pressure=p_tip),
        ],
        edges=[Edge(name="m", base="a", tip="b")],
        task=Mapping(inputs={"a": dv, "b": 0.0}, targets={}),
    )
    return Network.from_spec(spec)


def hidden_network() -> tuple[Network, dict[str, float]]:
    """Three inputs, two hidden nodes, one output; uneven pressures and sizes."""
    spec = Spec(
        name="hidden",
        nodes=[
            Node(name="a", role="input", pressure=1.05e5),
            Node(name="b", role="input"),
            Node(name="c", role="input", concentration=0.25),
            Node(name="h1", role="hidden", pressure=0.97e5),
            Node(name="h2", role="hidden", concentration=0.18),
            Node(name="o", role="output"),
        ],
        edges=[
            Edge(name="e1", base="a", tip="h1"),
            Edge(name="e2", base="h1", tip="h2", length=14e-6),
            Edge(name="e3", base="h2", tip="b", base_radius=260e-9),
            Edge(name="e4", base="c", tip="h1"),
            Edge(name="e5", base="o", tip="h2", length=8e-6),
            Edge(name="e6", base="c", tip="o"),
            Edge(name="e7", base="o", tip="b"),
        ],
        task=Mapping(inputs={"a": 3.0, "b": 0.0, "c": 1.0}, targets={"o": 2.0}),
    )
    return Network.from_spec(spec), {"a": 3.0, "b": 0.0, "c": 1.0}


def test_relax_symmetric_divider_settles_at_half(make_divider):
    net = Network.from_spec(make_divider())
    state = relax(net, {"high": 5.0, "low": 0.0}, SETTINGS)
    assert state.settled
    assert state.voltages[net.node_index("out")] == pytest.approx(2.5, abs=1e-9)
    # The criterion holds at the end: g is g_inf within the tolerance.
    assert state.time == pytest.approx(state.steps * SETTINGS.dt)


@pytest.mark.parametrize(
    ("dv", "dp_bar", "table"),
    [(1.0, 0.0, 0.649095), (-0.5, 0.0, 1.261553), (2.0, 1.0, 0.915292)],
)
def test_relax_single_channel_current_is_g_inf_times_dv(dv, dp_bar, table):
    net = two_inputs(dv, p_base=1e5 + dp_bar * 1e5)
    state = relax(net, {"a": dv, "b": 0.0}, SETTINGS)
    assert state.settled
    # g/g0 against the reference table of PHYSICS.md.
    assert state.g_over_g0[0] == pytest.approx(table, abs=2e-6)
    channels = net.channels()
    g0 = channels.ohmic_conductance(np.array(0.2))
    g_inf = g0 * steady_ratio(channels, dv, dp_bar * 1e5, 0.0, 0.2).ratio
    assert state.current[0] == pytest.approx(g_inf[0] * dv, rel=1e-8)
    assert g0 == pytest.approx(8.3994e-12, rel=1e-4)


def test_relax_euler_trace_follows_the_exact_discrete_solution():
    # Both ends are inputs, so dV is fixed and g_inf constant: Euler gives
    # g_n = g_inf + (g0 - g_inf) (1 - dt/tau)^n exactly.
    net = two_inputs(1.0)
    state = relax(net, {"a": 1.0, "b": 0.0}, SETTINGS, trace=True)
    tau = 10e-6**2 / (12 * 1.75e-9)
    g0 = state.g0[0]
    g_inf = 0.649095 * g0
    n = np.arange(len(state.trace.time))
    expected = g_inf + (g0 - g_inf) * (1 - SETTINGS.dt / tau) ** n
    assert state.trace.time == pytest.approx(n * SETTINGS.dt)
    assert state.trace.conductance[:, 0] == pytest.approx(expected, rel=2e-6)
    assert state.trace.conductance[-1, 0] == pytest.approx(state.conductance[0])


def test_relax_ohmic_network_is_a_resistive_divider(make_divider):
    # Without surface charge and salt gradient g_inf = g0 whatever dV:
    # a plain resistive divider, with g0 proportional to 1 / length.
    spec = make_divider(device=Device(surface_charge=0.0), bottom={"length": 30e-6})
    net = Network.from_spec(spec)
    state = relax(net, {"high": 5.0, "low": 0.0}, SETTINGS)
    assert state.voltages[net.node_index("out")] == pytest.approx(3.75, abs=1e-12)
    assert state.g_over_g0 == pytest.approx(1.0)


def test_relax_matches_direct_kirchhoff_solve_of_static_characteristic():
    net, inputs = hidden_network()
    state = relax(net, inputs, SETTINGS)
    assert state.settled

    # Independent route: KCL with i = g_inf(dV) dV solved by scipy.
    free = net.free
    volts = np.zeros(net.n_nodes)
    for name, v in inputs.items():
        volts[net.node_index(name)] = v
    channels = net.channels()
    incidence = net.incidence()

    def residual(v_free):
        v = volts.copy()
        v[free] = v_free
        dv, dp, drho, rho = net.stimuli(v)
        g0 = channels.ohmic_conductance(rho)
        current = g0 * steady_ratio(channels, dv, dp, drho, rho).ratio * dv
        return (incidence @ current)[free] / 1e-12

    solution = root(residual, np.full(len(free), 1.5), tol=1e-14)
    assert solution.success
    assert state.voltages[free] == pytest.approx(solution.x, abs=1e-7)


def test_relax_batch_matches_members_solved_alone():
    net, inputs = hidden_network()
    p = net.parameters
    pressure = np.tile(p.pressure, (3, 1))
    pressure[1, 3] *= 1.02
    length = np.tile(p.length, (3, 1))
    length[2, 0] = 12e-6
    batch = p.replace(pressure=pressure, length=length)
    together = relax(net, inputs, SETTINGS, batch)
    assert together.voltages.shape == (3, net.n_nodes)
    for b in range(3):
        member = p.replace(pressure=pressure[b], length=length[b])
        alone = relax(net, inputs, SETTINGS, member)
        assert together.voltages[b] == pytest.approx(alone.voltages, abs=1e-8)
    # The members really differ.
    assert np.ptp(together.voltages[:, net.node_index("o")]) > 1e-3


def test_relax_batched_inputs_give_each_member_its_voltages(make_divider):
    spec = make_divider(device=Device(surface_charge=0.0))
    net = Network.from_spec(spec)
    highs = np.array([1.0, 2.0, 4.0])
    batch = net.parameters.replace(pressure=np.tile(net.parameters.pressure, (3, 1)))
    state = relax(net, {"high": highs, "low": 0.0}, SETTINGS, batch)
    assert state.voltages[:, net.node_index("out")] == pytest.approx(highs / 2)


def test_relax_negative_conductance_names_edge_and_stimuli(make_divider):
    spec = make_divider(out={"pressure": 0.742e5})
    net = Network.from_spec(spec)
    with pytest.raises(PhysicsError) as caught:
        relax(net, {"high": 5.0, "low": 0.0}, SETTINGS)
    message = str(caught.value)
    assert "edge 'bottom'" in message
    assert "dP = -0.258 bar" in message
    assert "dV = " in message and "drho = 0 mM" in message


def test_relax_clamp_floors_negative_conductance_and_says_so(make_divider):
    spec = make_divider(out={"pressure": 0.8e5})
    spec.nodes[0].pressure = spec.nodes[1].pressure = 1.1e5
    net = Network.from_spec(spec)
    settings = Simulation(on_invalid="clamp", conductance_floor=1e-3)
    state = relax(net, {"high": 5.0, "low": 0.0}, settings)
    assert state.g_over_g0[1] == pytest.approx(1e-3)
    assert any("'bottom'" in note and "clamped" in note for note in state.notes)
    # With the bottom edge nearly cut the output follows the high side:
    # V = 5 g_top / (g_top + g_bottom), and both edges have the same g0.
    g = state.g_over_g0
    expected = 5 * g[0] / (g[0] + g[1])
    assert state.voltages[net.node_index("out")] == pytest.approx(expected)
    assert expected > 4.99


def test_relax_stops_unsettled_at_max_time(make_divider):
    net = Network.from_spec(make_divider())
    settings = Simulation(dt=0.5e-3, max_time=10e-3)
    state = relax(net, {"high": 5.0, "low": 0.0}, settings)
    assert not state.settled
    assert state.time == pytest.approx(10e-3)
    assert state.steps == 20


def test_relax_refuses_time_step_longer_than_tau(make_divider):
    # tau = L^2 / 12 D is 0.43 ms at 3 um, shorter than a 0.5 ms step.
    net = Network.from_spec(make_divider(top={"length": 3e-6}))
    with pytest.raises(ConvergenceError, match="edge 'top'"):
        relax(net, {"high": 5.0, "low": 0.0}, Simulation(dt=0.5e-3))


def test_relax_requires_a_voltage_on_every_input(make_divider):
    net = Network.from_spec(make_divider())
    with pytest.raises(MemspecError, match="input node.*low"):
        relax(net, {"high": 5.0}, SETTINGS)
    with pytest.raises(MemspecError, match="'out'.*not an input"):
        relax(net, {"high": 5.0, "low": 0.0, "out": 1.0}, SETTINGS)


def test_relax_notes_a_step_too_coarse_for_an_accurate_trace(make_divider):
    # tau = L^2 / 12 D: 0.96 ms at 4.5 um, so dt = 0.1 ms is 0.104 tau.
    short = Network.from_spec(make_divider(top={"length": 4.5e-6}))
    notes = relax(short, {"high": 5.0, "low": 0.0}, Simulation()).notes
    assert len(notes) == 1
    assert "edge 'top' (0.964 ms)" in notes[0] and "about 5.2%" in notes[0]
    default = Network.from_spec(make_divider())
    assert relax(default, {"high": 5.0, "low": 0.0}, Simulation()).notes == []
