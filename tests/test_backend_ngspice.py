"""The ngspice backend against the real ngspice, checked independently.

References: the symmetric divider (2.5 V), `memspec.physics` for a single
channel, an Ohmic network solved by hand, and the relaxation ODE integrated
by scipy's solve_ivp with `memspec.physics` for g_inf.
"""

import os
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from memspec.backends.native import NativeBackend
from memspec.backends.ngspice import NgspiceBackend
from memspec.errors import PhysicsError, SimulationFailed
from memspec.models import Device, Edge, Mapping, Node, Simulation, Spec
from memspec.network import Network
from memspec.physics import steady_ratio

pytestmark = pytest.mark.ngspice
BAR = 1e5


def divider(bottom=("out", "low"), device=None, **edge_overrides) -> Network:
    """high (5 V) -> out -> low (0 V), the bottom edge oriented as given."""
    spec = Spec(
        name="divider",
        device=device or Device(),
        nodes=[
            Node(name="high", role="input"),
            Node(name="low", role="input"),
            Node(name="out", role="output"),
        ],
        edges=[
            Edge(name="top", base="high", tip="out"),
            Edge(name="bottom", base=bottom[0], tip=bottom[1], **edge_overrides),
        ],
        task=Mapping(inputs={"high": 5.0, "low": 0.0}, targets={"out": 4.0}),
    )
    return Network.from_spec(spec)


def channel(dv: float, tip_pressure: float = 1 * BAR) -> Network:
    """One channel between two inputs, `a` at its base and `b` at its tip."""
    spec = Spec(
        name="channel",
        nodes=[
            Node(name="a", role="input"),
            Node(name="b", role="input", pressure=tip_pressure, concentration=0.15),
        ],
        edges=[Edge(name="m", base="a", tip="b")],
        task=Mapping(inputs={"a": dv, "b": 0.0}, targets={}),
    )
    return Network.from_spec(spec)


@pytest.fixture
def backend(tmp_path) -> NgspiceBackend:
    return NgspiceBackend(timeout=20, workdir=tmp_path)


INPUTS = {"high": 5.0, "low": 0.0}


def test_ngspice_symmetric_divider_settles_at_half(backend):
    result = backend.simulate(divider(), INPUTS, Simulation())
    assert result.voltage("out") == pytest.approx(2.5, abs=1e-9)
    assert result.g_over_g0[0] == pytest.approx(result.g_over_g0[1], abs=1e-9)


@pytest.mark.parametrize(("dv", "tip_bar"), [(0.0, 1.0), (1.5, 1.0), (-2.0, 1.2)])
def test_ngspice_single_channel_current_is_g_inf_times_dv(backend, dv, tip_bar):
    network = channel(dv, tip_bar * BAR)
    result = backend.simulate(network, {"a": dv, "b": 0.0}, Simulation())

    dvs, dp, drho, rho = network.stimuli(np.array([dv, 0.0]))
    channels = network.channels()
    ratio = steady_ratio(channels, dvs, dp, drho, rho).ratio
    expected = ratio * channels.ohmic_conductance(rho) * dv
    assert result.g_over_g0 == pytest.approx(ratio, rel=1e-7)
    assert result.current == pytest.approx(expected, rel=1e-7, abs=1e-24)


def test_ngspice_ohmic_limit_divides_by_length(backend):
    # With no surface charge and equal concentrations g_inf = g0, so the
    # channels are resistors with g0 proportional to 1 / L.
    device = Device(surface_charge=0.0)
    network = divider(device=device, length=20e-6)
    result = backend.simulate(network, INPUTS, Simulation())
    assert result.voltage("out") == pytest.approx(5 * 2 / 3, abs=1e-9)
    assert result.g_over_g0 == pytest.approx([1.0, 1.0], abs=1e-12)


def relaxation_reference(network: Network, times: np.ndarray) -> np.ndarray:
    """V_out(t) of the divider from solve_ivp on dg/dt = (g_inf - g) / tau."""
    channels = network.channels()
    p = network.parameters
    g0 = channels.ohmic_conductance(p.concentration[network.base])
    tau = channels.time_constant

    def voltages(g):
        out = 5.0 * g[0] / (g[0] + g[1])
        return np.array([5.0, 0.0, out])

    def rate(_, g):
        dv, dp, drho, rho = network.stimuli(voltages(g))
        return (steady_ratio(channels, dv, dp, drho, rho).ratio * g0 - g) / tau

    solution = solve_ivp(rate, (0, times[-1]), g0, t_eval=times, rtol=1e-10, atol=0)
    return np.array([voltages(g)[2] for g in solution.y.T])


def test_ngspice_relaxation_trace_matches_ode(backend):
    # Reversing the bottom edge makes the divider asymmetric, so the output
    # moves from 2.5 V as the channels relax.
    network = divider(bottom=("low", "out"))
    result = backend.simulate(network, INPUTS, Simulation(), trace=True)
    assert result.settled

    checkpoints = np.array([1e-3, 5e-3, 20e-3])
    expected = relaxation_reference(network, checkpoints)
    trace = result.trace
    got = np.interp(checkpoints, trace.time, trace.voltages[:, 2])
    swing = abs(result.voltage("out") - trace.voltages[0, 2])
    assert swing > 1.0
    assert np.abs(got - expected).max() <= 0.01 * swing
    assert trace.voltages[-1, 2] == pytest.approx(result.voltage("out"), abs=1e-6)


def test_native_euler_trace_at_the_default_step_follows_ngspice(backend):
    network = divider(bottom=("low", "out"))
    settings = Simulation()
    spice = backend.simulate(network, INPUTS, settings, trace=True)
    native = NativeBackend().simulate(network, INPUTS, settings, trace=True)

    checkpoints = np.array([1e-3, 5e-3, 20e-3])
    at = lambda r: np.interp(checkpoints, r.trace.time, r.trace.voltages[:, 2])  # noqa: E731
    swing = abs(native.voltage("out") - native.trace.voltages[0, 2])
    assert np.abs(at(native) - at(spice)).max() <= 0.005 * swing
    assert native.voltage("out") == pytest.approx(spice.voltage("out"), abs=1e-6)


def test_ngspice_negative_conductance_is_an_error(backend, tmp_path):
    network = channel(3.0, tip_pressure=1.3 * BAR)
    with pytest.raises(PhysicsError, match="edge 'm'.*dV = 3 V, dP = -0.3 bar"):
        backend.simulate(network, {"a": 3.0, "b": 0.0}, Simulation())
    assert not _ngspice_children()


def test_ngspice_negative_conductance_can_be_clamped(backend):
    network = channel(3.0, tip_pressure=1.3 * BAR)
    settings = Simulation(on_invalid="clamp", conductance_floor=1e-3)
    result = backend.simulate(network, {"a": 3.0, "b": 0.0}, settings)
    assert result.g_over_g0 == pytest.approx([1e-3])
    assert "clamped" in result.notes[-1]


def test_ngspice_rejected_netlist_keeps_it_and_names_the_message(backend, tmp_path):
    # A dt of zero makes ngspice refuse the .tran line.
    with pytest.raises(SimulationFailed) as caught:
        backend.simulate(divider(), INPUTS, Simulation(dt=0.0), trace=True)
    error = caught.value
    assert error.backend == "ngspice"
    assert error.netlist is not None and error.netlist.exists()
    assert error.netlist.parent.parent == tmp_path
    assert "ngspice" in error.render() and str(error.netlist) in error.render()
    assert not _ngspice_children()


def test_ngspice_timeout_stops_the_process(tmp_path):
    backend = NgspiceBackend(timeout=0.05, workdir=tmp_path)
    settings = Simulation(dt=1e-7, max_time=10.0)
    with pytest.raises(SimulationFailed, match="did not finish within 0.05 s"):
        backend.simulate(divider(), INPUTS, settings, trace=True)
    assert not _ngspice_children()


def test_ngspice_successful_run_leaves_no_files(backend, tmp_path):
    backend.simulate(divider(), INPUTS, Simulation())
    assert list(tmp_path.iterdir()) == []


def _ngspice_children() -> list[str]:
    """ngspice processes started by this test process."""
    me = str(os.getpid())
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines()
            )
        except (OSError, ValueError):
            continue
        if fields.get("Name", "").strip() == "ngspice" and (
            fields.get("PPid", "").strip() == me
        ):
            found.append(status.parent.name)
    return found


def test_ngspice_batch_matches_native_member_by_member(backend):
    network = divider(bottom=("low", "out"))
    p = network.parameters
    pressures = np.tile(p.pressure, (4, 1))
    pressures[:, 2] += np.array([0.0, 0.05, -0.05, 0.08]) * BAR
    lengths = np.tile(p.length, (4, 1))
    lengths[3, 0] = 12e-6
    radii = np.tile(p.base_radius, (4, 1))
    radii[2, 1] = 180e-9  # a second radius ratio, so a second subcircuit
    batch = p.replace(pressure=pressures, length=lengths, base_radius=radii)

    got = backend.solve_batch(network, INPUTS, Simulation(), batch)
    expected = NativeBackend().solve_batch(network, INPUTS, Simulation(), batch)
    assert got.shape == (4, 3)
    assert np.abs(got - expected).max() < 1e-6
    assert np.ptp(got[:, 2]) > 0.1


def test_ngspice_batch_names_the_member_with_negative_conductance(backend):
    network = channel(3.0)
    p = network.parameters
    batch = p.replace(pressure=np.array([[1.0, 1.0], [1.0, 1.3]]) * BAR)
    with pytest.raises(PhysicsError, match="member 1 of a batch of 2"):
        backend.solve_batch(network, {"a": 3.0, "b": 0.0}, Simulation(), batch)
