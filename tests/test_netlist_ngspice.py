"""The ngspice netlist: its g_inf against memspec.physics, its text, a plain run.

Golden netlists live in tests/golden/. After a deliberate change to the
emitted text, regenerate them with

    MEMSPEC_REGEN_GOLDEN=1 pytest tests/test_netlist_ngspice.py

and review the diff before committing.
"""

import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from memspec.backends.native import NativeBackend
from memspec.models import Device, Edge, Mapping, Node, Simulation, Spec
from memspec.netlist import compile_spec
from memspec.netlist.ngspice import SERIES_RADIUS, mean_phi, quadrature
from memspec.network import Network
from memspec.parser import load
from memspec.physics import Channels, steady_ratio

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
BAR = 1e5


def netlist_ratio(channels: Channels, dv, dp, salt):
    """g_inf / g0 as the netlist writes it, from `mean_phi` (rho_b = 0.2 mM)."""
    r = float(channels.radius_ratio)
    a = r * channels.peclet(dv, dp)
    u, w = quadrature(r)
    inflow = r * channels.inflow_per_volt(0.2)
    return 1 - salt * (u @ w) + (salt * a + inflow * dv) * mean_phi(a, r)


@pytest.mark.parametrize(
    ("pe_limit", "tolerance"), [(25, 1e-10), (100, 3e-9), (400, 6e-8), (1000, 2e-7)]
)
def test_netlist_g_inf_matches_physics_within_documented_accuracy(pe_limit, tolerance):
    channels = Channels.from_device(Device())
    dv = np.linspace(-5, 5, 101)[:, None, None]
    dp = np.linspace(-6, 6, 121)[None, :, None] * BAR
    salt = np.array([-0.5, 0.0, 0.5])
    exact = steady_ratio(channels, dv, dp, salt * 0.2, 0.2).ratio
    error = np.abs(netlist_ratio(channels, dv, dp, salt) - exact)
    inside = np.broadcast_to(np.abs(channels.peclet(dv, dp)) <= pe_limit, error.shape)
    assert error[inside].max() <= tolerance


def test_netlist_mean_phi_is_continuous_at_the_series_switch():
    r = 0.25
    for edge in (SERIES_RADIUS, -SERIES_RADIUS):
        below, above = mean_phi(np.array([edge * (1 - 1e-9), edge * (1 + 1e-9)]), r)
        assert abs(below - above) < 1e-12


def test_netlist_mean_phi_stays_finite_at_huge_peclet():
    values = mean_phi(np.array([-1e5, -2e3, 2e3, 1e5]), 0.25)
    assert np.all(np.isfinite(values))
    # <I> tends to 0 for large positive a and to 1 for large negative a, so
    # <phi> = (<u> - <I>) / a tends to <u> / a and (<u> - 1) / a.
    u, w = quadrature(0.25)
    assert values[-1] == pytest.approx((u @ w) / 1e5, rel=1e-9)
    assert values[0] == pytest.approx((u @ w - w.sum()) / -1e5, rel=1e-9)


def mixed_spec() -> Spec:
    """Pressures, concentrations, an edge of its own radius, and clamping."""
    return Spec(
        name="mixed",
        nodes=[
            Node(name="A", role="input", pressure=1.2 * BAR),
            Node(name="gnd", role="input", concentration=0.3),
            Node(name="mid", role="hidden"),
            Node(name="out", role="output"),
        ],
        edges=[
            Edge(name="e1", base="A", tip="mid"),
            Edge(name="e2", base="mid", tip="out", base_radius=150e-9),
            Edge(name="e3", base="gnd", tip="out", length=12e-6),
            Edge(name="e4", base="mid", tip="gnd"),
        ],
        task=Mapping(inputs={"A": 3.0, "gnd": 0.0}, targets={"out": 2.0}),
        simulation=Simulation(on_invalid="clamp"),
    )


def divider_spec() -> Spec:
    spec = load(ROOT / "specs" / "voltage_divider.mem")
    spec.path = "specs/voltage_divider.mem"
    return spec


@pytest.mark.parametrize("make", [divider_spec, mixed_spec], ids=["divider", "mixed"])
def test_netlist_text_matches_golden(make, tmp_path):
    spec = make()
    text = compile_spec(spec, "ngspice", tmp_path).read_text()
    golden = GOLDEN / f"{spec.name}.cir"
    if os.environ.get("MEMSPEC_REGEN_GOLDEN") == "1":
        golden.write_text(text)
    assert text == golden.read_text()


def run_plain(path: Path) -> dict[str, float]:
    """Run `ngspice -b` on a compiled netlist; the values it prints, by name."""
    done = subprocess.run(
        ["ngspice", "-b", str(path)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    pattern = r"^(\S+)\s*=\s*([-+0-9.eE]+)\s*$"
    return {m[1]: float(m[2]) for m in re.finditer(pattern, done.stdout, re.M)}


@pytest.mark.ngspice
def test_netlist_plain_run_prints_the_outputs(tmp_path):
    spec = mixed_spec()
    printed = run_plain(compile_spec(spec, "ngspice", tmp_path))
    native = NativeBackend().simulate(
        Network.from_spec(spec), spec.task.inputs, spec.simulation
    )
    assert printed["v(n_out)"] == pytest.approx(native.voltage("out"), abs=1e-6)
    assert {"n_out_at_1ms", "n_out_at_5ms", "n_out_at_20ms"} <= set(printed)
    assert printed["n_out_at_20ms"] == pytest.approx(native.voltage("out"), abs=0.05)
