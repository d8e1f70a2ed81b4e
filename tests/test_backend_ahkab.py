"""The ahkab backend against the real ahkab, checked independently.

References: the symmetric divider (2.5 V), `memspec.physics` for a single
channel, scipy's root finder on Kirchhoff's law with the static
characteristic i = g_inf(dV) dV, and the native backend's relaxation.
"""

import sys

import numpy as np
import pytest
import scipy.signal
from scipy.optimize import root

from memspec.backends import get_backend
from memspec.backends._ahkab_compat import load_ahkab
from memspec.backends.ahkab import AhkabBackend
from memspec.backends.native import NativeBackend
from memspec.errors import (
    ConvergenceError,
    MemspecError,
    PhysicsError,
    SimulationFailed,
)
from memspec.models import Edge, Mapping, Node, Simulation, Spec
from memspec.network import Network
from memspec.physics import steady_ratio

pytestmark = pytest.mark.ahkab
BAR = 1e5


def network(name, nodes, edges, inputs) -> Network:
    spec = Spec(
        name=name,
        nodes=nodes,
        edges=[Edge(name=n, base=b, tip=t, **kw) for n, b, t, kw in edges],
        task=Mapping(inputs=inputs, targets={}),
    )
    return Network.from_spec(spec)


def divider() -> Network:
    return network(
        "divider",
        [
            Node(name="high", role="input"),
            Node(name="low", role="input"),
            Node(name="out", role="output"),
        ],
        [("top", "high", "out", {}), ("bottom", "out", "low", {})],
        {"high": 5.0, "low": 0.0},
    )


def hidden_network() -> Network:
    """Three inputs, a hidden and an output node, unequal in every property."""
    return network(
        "asymmetric",
        [
            Node(name="a", role="input", pressure=1.05 * BAR),
            Node(name="b", role="input", concentration=0.25),
            Node(name="c", role="input", pressure=0.97 * BAR),
            Node(name="h", role="hidden", concentration=0.18),
            Node(name="o", role="output", pressure=1.02 * BAR),
        ],
        [
            ("m1", "a", "h", {"length": 12e-6}),
            ("m2", "h", "b", {"base_radius": 230e-9}),
            ("m3", "c", "h", {}),
            ("m4", "o", "h", {"length": 8e-6}),
            ("m5", "a", "o", {"base_radius": 180e-9}),
            ("m6", "o", "c", {}),
        ],
        {"a": 3.0, "b": 0.0, "c": 1.2},
    )


@pytest.fixture
def backend(tmp_path) -> AhkabBackend:
    return AhkabBackend(timeout=30, workdir=tmp_path)


def kcl_reference(net: Network, inputs: dict[str, float]) -> np.ndarray:
    """Node voltages from scipy's root finder on KCL with i = g_inf(dV) dV."""
    volts = np.zeros(net.n_nodes)
    for name, v in inputs.items():
        volts[net.node_index(name)] = v
    channels = net.channels()
    _, dp, drho, rho = net.stimuli(volts)
    g0 = channels.ohmic_conductance(rho)
    incidence = net.incidence()[net.free]

    def residual(free: np.ndarray) -> np.ndarray:
        volts[net.free] = free
        dv = volts[net.base] - volts[net.tip]
        ratio = steady_ratio(channels, dv, dp, drho, rho).ratio
        return incidence @ (g0 * ratio * dv) / g0.mean()  # in units of g0 V

    solution = root(residual, np.full(len(net.free), 1.0), tol=1e-14)
    assert solution.success
    volts[net.free] = solution.x
    return volts


def test_ahkab_compat_imports_and_leaves_the_process_alone():
    had_imp = sys.modules.get("imp")
    ahkab = load_ahkab()
    assert ahkab.netlist_parser.parse_circuit
    assert sys.modules.get("imp") is had_imp
    assert not hasattr(scipy.signal, "bartlett")  # only aliased during import
    # numpy >= 2.4 refuses float() of a (1,) array; ahkab's modules may not.
    assert ahkab.devices.float(np.array([2.5])) == 2.5
    assert AhkabBackend().available()
    assert get_backend("ahkab").name == "ahkab"


@pytest.mark.parametrize("solver", ["relax", "newton"])
def test_ahkab_symmetric_divider_settles_at_half(backend, solver):
    result = backend.simulate(
        divider(), {"high": 5.0, "low": 0.0}, Simulation(solver=solver)
    )
    assert result.settled
    assert result.voltage("out") == pytest.approx(2.5, abs=1e-9)
    assert result.g_over_g0[0] == pytest.approx(result.g_over_g0[1], rel=1e-9)


@pytest.mark.parametrize("solver", ["relax", "newton"])
@pytest.mark.parametrize("dv", [-1.0, 0.5, 2.0])
def test_ahkab_single_channel_current_is_g_inf_times_dv(backend, solver, dv):
    net = network(
        "channel",
        [
            Node(name="p", role="input"),
            Node(name="q", role="input", pressure=0.9 * BAR, concentration=0.15),
        ],
        [("m", "p", "q", {})],
        {"p": dv + 0.3, "q": 0.3},
    )
    result = backend.simulate(net, {"p": dv + 0.3, "q": 0.3}, Simulation(solver=solver))
    channels = net.channels()
    rho = np.array(0.2)
    g_inf = (
        channels.ohmic_conductance(rho)
        * steady_ratio(channels, dv, 0.1 * BAR, 0.05, rho).ratio
    )
    assert result.dV[0] == pytest.approx(dv, abs=1e-12)
    assert result.current[0] == pytest.approx(g_inf[0] * dv, rel=1e-8)


@pytest.mark.parametrize("solver", ["relax", "newton"])
def test_ahkab_hidden_node_network_matches_kcl_root(backend, solver):
    net = hidden_network()
    inputs = {"a": 3.0, "b": 0.0, "c": 1.2}
    expected = kcl_reference(net, inputs)
    result = backend.simulate(net, inputs, Simulation(solver=solver))
    assert result.settled
    assert np.max(np.abs(result.voltages - expected)) < 1e-6
    assert np.ptp(expected[net.free]) > 0.1  # the check is not trivial


def test_ahkab_relaxation_trace_matches_native_backend(backend):
    net = hidden_network()
    inputs = {"a": 3.0, "b": 0.0, "c": 1.2}
    ours = backend.simulate(net, inputs, Simulation(), trace=True)
    native = NativeBackend().simulate(net, inputs, Simulation(), trace=True)
    assert ours.trace.time.shape == native.trace.time.shape
    assert np.max(np.abs(ours.trace.voltages - native.trace.voltages)) < 1e-9
    assert ours.trace.conductance[0] == pytest.approx(
        net.channels().ohmic_conductance(net.parameters.concentration[net.base])
    )
    assert ours.time == native.time


def test_ahkab_negative_conductance_names_edge_and_stimuli(backend, tmp_path):
    net = network(
        "reversed_flow",
        [
            Node(name="p", role="input", pressure=0.5 * BAR),
            Node(name="q", role="input"),
        ],
        [("m", "p", "q", {})],
        {"p": 5.0, "q": 0.0},
    )
    for solver in ("relax", "newton"):
        with pytest.raises(PhysicsError) as caught:
            backend.simulate(net, {"p": 5.0, "q": 0.0}, Simulation(solver=solver))
        message = str(caught.value)
        assert "edge 'm'" in message
        assert "dV = 5 V" in message and "dP = -0.5 bar" in message
        assert "drho = 0 mM" in message
    with pytest.raises(PhysicsError, match="static .op cannot floor it"):
        backend.simulate(
            net, {"p": 5.0, "q": 0.0}, Simulation(solver="newton", on_invalid="clamp")
        )
    clamped = backend.simulate(
        net, {"p": 5.0, "q": 0.0}, Simulation(on_invalid="clamp")
    )
    assert clamped.g_over_g0[0] == pytest.approx(1e-3, rel=1e-6)
    assert "clamped" in clamped.notes[0]
    assert not list(tmp_path.iterdir())  # nothing left behind


@pytest.mark.parametrize("solver", ["relax", "newton"])
def test_ahkab_unparsable_netlist_fails_cleanly_and_keeps_it(backend, solver, tmp_path):
    net = divider()
    broken = net.parameters.replace(length=np.array([np.nan, 10e-6]))
    with pytest.raises(SimulationFailed) as caught:
        backend.simulate(
            net, {"high": 5.0, "low": 0.0}, Simulation(solver=solver), broken
        )
    error = caught.value
    assert error.backend == "ahkab"
    assert error.netlist.is_file() and error.netlist.parent.parent == tmp_path
    assert "nan" in error.netlist.read_text()
    assert "[ahkab]" in error.render() and str(error.netlist) in error.render()


@pytest.mark.parametrize("solver", ["relax", "newton"])
def test_ahkab_timeout_stops_the_run(solver, tmp_path):
    quick = AhkabBackend(timeout=0.0, workdir=tmp_path)
    with pytest.raises(SimulationFailed, match="timeout of 0 s") as caught:
        quick.simulate(divider(), {"high": 5.0, "low": 0.0}, Simulation(solver=solver))
    assert caught.value.netlist.is_file()


def test_ahkab_newton_out_of_iterations_is_a_convergence_error(
    backend, monkeypatch, tmp_path
):
    # A real ahkab run, held to two Newton iterations per attempt.
    monkeypatch.setattr(load_ahkab().options, "dc_max_nr_iter", 2)
    inputs = {"a": 3.0, "b": 0.0, "c": 1.2}
    with pytest.raises(ConvergenceError, match="did not converge") as caught:
        backend.simulate(hidden_network(), inputs, Simulation(solver="newton"))
    assert caught.value.backend == "ahkab"
    assert "type=memristor" in caught.value.netlist.read_text()
    assert "Giving up" in str(caught.value)  # ahkab's own last words


def test_ahkab_floating_node_is_refused(backend):
    net = network(
        "floating",
        [
            Node(name="p", role="input"),
            Node(name="q", role="input"),
            Node(name="x", role="hidden"),
            Node(name="y", role="hidden"),
        ],
        [("m1", "p", "q", {}), ("m2", "x", "y", {})],
        {"p": 1.0, "q": 0.0},
    )
    with pytest.raises(MemspecError, match="x, y are not connected to any input"):
        backend.simulate(net, {"p": 1.0, "q": 0.0}, Simulation())
