"""Writing specs back as .mem text that reads back to the same spec."""

import random
from pathlib import Path

import pytest

from memspec.parser import load, parse
from memspec.writer import dump, quantity_text

ROOT = Path(__file__).parent.parent
VALID = Path(__file__).parent / "data" / "valid"
SPECS = [ROOT / "specs" / "voltage_divider.mem", *sorted(VALID.glob("*.mem"))]


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_writer_round_trip_gives_an_equal_spec(path):
    spec = load(path)
    text = dump(spec)
    assert parse(text) == spec
    assert dump(parse(text)) == text


def test_writer_trained_values_read_back_to_the_same_floats():
    spec = load(ROOT / "specs" / "voltage_divider.mem")
    rng = random.Random(7)
    for _ in range(50):
        for node in spec.nodes:
            node.pressure = rng.uniform(0.2e5, 5e5)
            node.concentration = rng.uniform(0.01, 2.0)
        for edge in spec.edges:
            edge.length = rng.uniform(1e-6, 40e-6)
            edge.base_radius = rng.uniform(60e-9, 600e-9)
        back = parse(dump(spec))
        for mine, theirs in zip(spec.nodes, back.nodes, strict=True):
            assert (theirs.pressure, theirs.concentration) == (
                mine.pressure,
                mine.concentration,
            )
        for mine, theirs in zip(spec.edges, back.edges, strict=True):
            assert (theirs.length, theirs.base_radius) == (
                mine.length,
                mine.base_radius,
            )


def test_writer_uses_the_weight_units():
    spec = load(ROOT / "specs" / "voltage_divider.mem")
    spec.node("out").pressure = 1.25e5
    spec.node("out").concentration = 0.3
    spec.edge("top").length = 12e-6
    spec.edge("bottom").base_radius = 180e-9
    text = dump(spec)
    assert "out:  output { pressure = 1.25 bar, concentration = 0.3 mM }" in text
    assert "top:    high -> out { length = 12 um }" in text
    assert "bottom: out -> low { base_radius = 180 nm }" in text


def test_writer_leaves_default_node_values_out():
    text = dump(load(ROOT / "specs" / "voltage_divider.mem"))
    assert "    high: input\n" in text
    assert "pressure =" not in text


def test_writer_quantity_text_keeps_every_digit():
    value = 123456.78901234567
    assert quantity_text(value, "Pa", "bar") == "1.2345678901234567 bar"
    assert quantity_text(1e-5, "m", "um") == "10 um"
    assert quantity_text(-1.5e15, "1/m^2", "/nm^2") == "-0.0015 /nm^2"


def test_writer_open_bounds_round_trip():
    spec = load(ROOT / "specs" / "voltage_divider.mem")
    spec.train[0].bounds = (None, 2.5)
    text = dump(spec)
    assert "bounds = .. 2.5 bar" in text
    assert parse(text).train[0].bounds == (None, 2.5)


def test_writer_rewritten_spec_relaxes_to_the_same_voltages():
    # What trained.mem relies on: the written weights simulate bit for bit alike.
    from memspec.api import simulate

    spec = load(ROOT / "specs" / "voltage_divider.mem")
    spec.node("out").pressure = 1.0731234567891234e5
    spec.edge("top").base_radius = 3.133424285688286e-7
    spec.edge("bottom").length = 9.87654321e-6
    before = simulate(spec)
    after = simulate(parse(dump(spec)))
    assert after.to_json()["nodes"] == before.to_json()["nodes"]
    assert before.to_json()["nodes"]["out"] != 2.5
