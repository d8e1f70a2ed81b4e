"""The ahkab netlist writer, read back by ahkab's own netlist parser.

The golden netlist pins the emitted text; after a deliberate change,
regenerate it with `MEMSPEC_REGEN_GOLDEN=1 pytest tests/test_netlist_ahkab.py`.
"""

import os
from pathlib import Path

import numpy as np
import pytest

from memspec.backends._ahkab_compat import load_ahkab
from memspec.backends.ahkab import run_netlist
from memspec.models import Edge, Mapping, Node, Spec
from memspec.netlist.ahkab import SCALE, labels, write_netlist
from memspec.netlist.ahkab_element import memristor
from memspec.network import Network
from memspec.physics import steady_ratio

pytestmark = pytest.mark.ahkab
GOLDEN = Path(__file__).parent / "golden" / "ahkab" / "divider.ckt"
INPUTS = {"high": 5.0, "low": 0.0}


def divider(**bottom) -> Network:
    spec = Spec(
        name="divider",
        nodes=[
            Node(name="high", role="input"),
            Node(name="low", role="input", pressure=0.95e5),
            Node(name="out", role="output", concentration=0.3),
        ],
        edges=[
            Edge(name="top", base="high", tip="out"),
            Edge(name="bottom", base="out", tip="low", **bottom),
        ],
        task=Mapping(inputs=INPUTS, targets={"out": 4.0}),
    )
    return Network.from_spec(spec)


def parse(text: str, tmp_path: Path):
    path = tmp_path / "net.ckt"
    path.write_text(text)
    parser = load_ahkab().netlist_parser
    circuit, directives, _ = parser.parse_circuit(str(path))
    return path, circuit, parser.parse_analysis(circuit, directives)


def test_ahkab_netlist_is_read_by_ahkab_parser_base_first(tmp_path):
    net = divider(length=7e-6)
    _, circuit, analyses = parse(write_netlist(net, INPUTS), tmp_path)
    assert [a["type"] for a in analyses] == ["op"]
    elements = {e.part_id: e for e in circuit}
    assert set(elements) == {"vhigh", "vlow", "ytop", "ybottom"}
    bottom = elements["ybottom"]
    assert isinstance(bottom, memristor)
    assert circuit.nodes_dict[bottom.n1] == "out"  # base first
    assert circuit.nodes_dict[bottom.n2] == "low"  # then tip
    # Every number survives the trip through ahkab's unit parser exactly.
    assert bottom.params["length"] == 7e-6
    _, dp, drho, _ = net.stimuli(np.zeros(3))
    assert bottom.params["dp"] == dp[1] == 5000.0
    assert bottom.params["drho"] == drho[1] and drho[1] == pytest.approx(0.1)
    assert bottom.params["rho_base"] == 0.3 and bottom.params["scale"] == SCALE


def test_ahkab_netlist_run_by_ahkab_main_solves_the_static_characteristic(tmp_path):
    net = divider()
    path, _, _ = parse(write_netlist(net, INPUTS), tmp_path)
    out = run_netlist(path, verbose=0)["op"].results["VOUT"]

    # At the solution the two channels carry the same current (KCL at out).
    volts = np.array([5.0, 0.0, out])
    dv, dp, drho, rho = net.stimuli(volts)
    channels = net.channels()
    g = (
        channels.ohmic_conductance(rho)
        * steady_ratio(channels, dv, dp, drho, rho).ratio
    )
    assert g[0] * dv[0] == pytest.approx(g[1] * dv[1], rel=1e-7)
    assert 0.5 < out < 4.5


def test_ahkab_linear_netlist_is_an_ohmic_divider(tmp_path):
    g = np.array([3e-12, 1e-12])
    text = write_netlist(divider(), INPUTS, conductance=g)
    path, circuit, _ = parse(text, tmp_path)
    assert {e.part_id for e in circuit} == {"vhigh", "vlow", "rtop", "rbottom"}
    out = run_netlist(path, verbose=0)["op"].results["VOUT"]
    assert out == pytest.approx(5.0 * 3 / 4, abs=1e-12)


def test_ahkab_netlist_header_names_spec_scale_and_orientation():
    text = write_netlist(divider(), INPUTS)
    header = [line for line in text.splitlines()[:12]]
    assert header[0] == "memspec netlist of spec 'divider' for ahkab 0.18"
    assert any("base node first, then its tip" in line for line in header)
    assert any("dV = V(base) - V(tip)" in line for line in header)
    assert any("scaled by 1e+12" in line for line in header)


def test_ahkab_labels_are_lowercase_unique_and_never_ground():
    spec = Spec(
        name="names",
        nodes=[
            Node(name="A", role="input"),
            Node(name="a", role="input"),
            Node(name="0", role="output"),
        ],
        edges=[Edge(name="E1", base="A", tip="0"), Edge(name="e1", base="0", tip="a")],
        task=Mapping(inputs={"A": 1.0, "a": 0.0}, targets={}),
    )
    names = labels(Network.from_spec(spec))
    assert names.nodes[0] == "a" and len(set(names.nodes)) == 3
    assert "0" not in names.nodes
    assert len(set(names.edges)) == 2
    assert all(label == label.lower() for label in names.nodes + names.edges)


def test_ahkab_element_slope_is_the_derivative_of_its_current(tmp_path):
    _, circuit, _ = parse(write_netlist(divider(), INPUTS), tmp_path)
    element = next(e for e in circuit if e.part_id == "ybottom")
    for dv in (-1.3, 0.0, 0.7, 2.5):
        h = 1e-6
        numeric = (element.i(0, (dv + h,)) - element.i(0, (dv - h,))) / (2 * h)
        assert element.g(0, (dv,), 0) == pytest.approx(numeric, rel=1e-6)


def test_ahkab_golden_divider_netlist():
    text = write_netlist(divider(), INPUTS)
    if os.environ.get("MEMSPEC_REGEN_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_ahkab_element_stops_newton_at_its_deadline(tmp_path):
    _, circuit, _ = parse(write_netlist(divider(), INPUTS), tmp_path)
    element = next(e for e in circuit if e.part_id == "ytop")
    element.deadline = 0.0  # long past on time.monotonic()
    with pytest.raises(TimeoutError):
        element.i(0, (1.0,))
