"""The native backend: results, batches and the Newton hand-over."""

from __future__ import annotations

import numpy as np
import pytest

from memspec.backends import get_backend
from memspec.backends.native import NativeBackend
from memspec.models import Simulation
from memspec.network import Network
from memspec.solve import relax


def test_native_backend_is_registered_and_available():
    backend = get_backend("native")
    assert isinstance(backend, NativeBackend)
    assert backend.name == "native" and backend.available()


def test_native_simulate_result_obeys_kirchhoff_and_ohm(make_divider):
    spec = make_divider(out={"pressure": 0.95e5}, bottom={"length": 12e-6})
    net = Network.from_spec(spec)
    result = NativeBackend().simulate(net, {"high": 5.0, "low": 0.0}, Simulation())
    assert result.settled
    # The same current flows through both edges of the divider.
    assert result.current[0] == pytest.approx(result.current[1], rel=1e-8)
    assert result.current == pytest.approx(result.conductance * result.dV)
    assert result.dV[0] == pytest.approx(5.0 - result.voltage("out"))
    assert result.conductance == pytest.approx(
        result.g_over_g0 * net.channels().ohmic_conductance(np.array(0.2))
    )
    assert result.voltage("out") != pytest.approx(2.5, abs=0.05)


def test_native_simulate_json_has_the_documented_shape(make_divider):
    net = Network.from_spec(make_divider())
    data = NativeBackend().simulate(net, {"high": 5.0, "low": 0.0}, Simulation())
    data = data.to_json()
    assert set(data) == {"backend", "settled", "time", "nodes", "edges"}
    assert data["nodes"]["out"] == pytest.approx(2.5)
    assert set(data["edges"]["top"]) == {"conductance", "g_over_g0", "current", "dV"}


def test_native_solve_batch_equals_batched_relax(make_divider):
    net = Network.from_spec(make_divider())
    p = net.parameters
    lengths = np.array([[10e-6, 10e-6], [8e-6, 12e-6]])
    batch = p.replace(length=lengths)
    volts = NativeBackend().solve_batch(net, {"high": 5, "low": 0}, Simulation(), batch)
    assert volts.shape == (2, 3)
    assert volts[0, 2] == pytest.approx(2.5)
    alone = relax(
        net, {"high": 5, "low": 0}, Simulation(), p.replace(length=lengths[1])
    )
    assert volts[1] == pytest.approx(alone.voltages, abs=1e-8)


def test_native_simulate_returns_a_trace_on_request(make_divider):
    net = Network.from_spec(make_divider())
    result = NativeBackend().simulate(
        net, {"high": 5.0, "low": 0.0}, Simulation(), trace=True
    )
    trace = result.trace
    assert trace.voltages.shape == (len(trace.time), 3)
    assert trace.conductance[0] == pytest.approx(result.conductance / result.g_over_g0)
    assert trace.time[-1] == pytest.approx(result.time)


def test_native_newton_agrees_with_relaxation(make_divider):
    net = Network.from_spec(make_divider(out={"pressure": 0.95e5}))
    backend = NativeBackend()
    newton = backend.simulate(net, {"high": 5, "low": 0}, Simulation(solver="newton"))
    relaxed = backend.simulate(net, {"high": 5, "low": 0}, Simulation())
    assert newton.voltages == pytest.approx(relaxed.voltages, abs=1e-6)
