"""Reading .mem files: values in SI, spans, separators and defaults."""

from pathlib import Path

import pytest

from memspec.errors import SpecSemanticError
from memspec.models import Device, Mapping, Regression, Schedule, Simulation, Training
from memspec.parser import load, parse
from memspec.units import quantity

ROOT = Path(__file__).parent.parent
VALID = Path(__file__).parent / "data" / "valid"

MINIMAL = """network n
nodes {
    a: input
    b: output
}
edges {
    e: a -> b
}
task mapping {
    inputs  { a = 1 V }
    targets { b = 0.5 V }
}
"""


def test_parser_loads_the_paper_divider():
    spec = load(ROOT / "specs" / "voltage_divider.mem")
    assert spec.name == "voltage_divider"
    assert [(n.name, n.role) for n in spec.nodes] == [
        ("high", "input"),
        ("low", "input"),
        ("out", "output"),
    ]
    assert [(e.name, e.base, e.tip) for e in spec.edges] == [
        ("top", "high", "out"),
        ("bottom", "out", "low"),
    ]
    assert spec.task == Mapping(inputs={"high": 5.0, "low": 0.0}, targets={"out": 4.0})
    # The paper's channels and reservoirs: 10 um, 200 nm, 50 nm, 1 bar, 0.2 mM.
    assert (spec.device.length, spec.device.base_radius) == (10e-6, 200e-9)
    assert spec.device.tip_radius == 50e-9
    assert all(n.pressure == 1e5 and n.concentration == 0.2 for n in spec.nodes)
    assert spec.path == str(ROOT / "specs" / "voltage_divider.mem")
    assert spec.source.startswith("# The voltage divider of the paper")


@pytest.mark.parametrize("path", sorted(VALID.glob("*.mem")), ids=lambda p: p.stem)
def test_parser_accepts_every_valid_fixture(path):
    assert load(path).name


def test_parser_converts_every_device_unit_to_si():
    device = load(VALID / "full.mem").device
    # Each value below is the fixture's number times its SI factor, by hand.
    assert device.length == 12e-6
    assert device.base_radius == 180e-9
    assert device.tip_radius == 40e-9
    assert device.viscosity == 1.01e-3
    assert device.permittivity == 0.71e-9
    assert device.diffusivity == 1.75e-9
    assert device.wall_potential == -0.010
    assert device.surface_charge == -1.5e15
    assert device.temperature == pytest.approx(293.15, abs=1e-12)


def test_parser_default_device_is_the_physics_table():
    # PHYSICS.md: the defaults of the device table, written with units.
    text = (
        MINIMAL
        + """device {
        length = 10 um, base_radius = 200 nm, tip_radius = 50 nm
        viscosity = 1.01 mPa*s, permittivity = 0.71 nF/m
        diffusivity = 1.75 um^2/ms, wall_potential = -10 mV
        surface_charge = -0.0015 /nm^2, temperature = 293.15 K
    }"""
    )
    assert parse(text).device == Device()
    assert parse(MINIMAL).device == Device()


@pytest.mark.parametrize("unit", ["/nm^2", "1/nm^2", "e/nm^2", "/nm**2"])
def test_parser_surface_charge_counts_per_area(unit):
    text = MINIMAL + f"device {{ surface_charge = -0.0015 {unit} }}\n"
    assert parse(text).device.surface_charge == -1.5e15


def test_parser_node_and_edge_overrides():
    spec = load(VALID / "full.mem")
    low, out = spec.node("low"), spec.node("out")
    assert (low.pressure, low.concentration) == (1.5e5, 0.2)
    assert (out.pressure, out.concentration) == (1.2e5, 0.3)
    assert spec.edge("bottom").length == 8e-6
    assert spec.edge("bottom").base_radius == 150e-9
    assert spec.edge("top").length is None


def test_parser_trained_properties_in_weight_units():
    spec = load(VALID / "full.mem")
    pressure, length = spec.train
    assert (pressure.kind, pressure.rate) == ("pressure", 0.05)
    assert pressure.bounds == (0.1, 5.0)  # bar
    assert pressure.members == ["out", "high"]
    assert (length.kind, length.rate, length.bounds) == ("length", 8.0, (2.0, None))
    assert length.members is None


def test_parser_bounds_in_other_units_become_weight_units():
    text = MINIMAL + "train pressure { rate = 0.1, bounds = 10000 Pa .. 3000 mbar }\n"
    assert parse(text).train[0].bounds == (0.1, 3.0)


def test_parser_simulation_and_training_settings():
    spec = load(VALID / "full.mem")
    assert spec.simulation == Simulation(
        dt=0.25e-3,
        settle_tolerance=1e-8,
        max_time=2.0,
        solver="newton",
        on_invalid="clamp",
        conductance_floor=0.01,
    )
    assert spec.training == Training(
        steps=50,
        fd_step=1e-4,
        gradient="central",
        optimizer="momentum",
        momentum=0.5,
        weights=["length"],
    )


def test_parser_omitted_blocks_take_model_defaults():
    spec = parse(MINIMAL)
    assert spec.simulation == Simulation()
    assert spec.training == Training()
    assert spec.train == []


def test_parser_schedule_stages_in_order():
    task = load(VALID / "schedule.mem").task
    assert isinstance(task, Schedule)
    assert task.steps_per_stage == 100
    assert [s.targets for s in task.stages] == [{"out": 1.0}, {"out": 3.0}]
    assert all(s.inputs == {"high": 5.0, "low": 0.0} for s in task.stages)


def test_parser_regression_roles_and_numbers():
    task = load(VALID / "regression.mem").task
    assert task == Regression(
        slope=0.2,
        intercept=0.3,
        data_node="in",
        bias_node="b",
        bias_voltage=1.0,
        ground_node="g",
        output_node="out",
        input_range=(1.0, 4.0),
        n_train=50,
        n_test=20,
        seed=1,
        test_every=10,
    )


def test_parser_commas_and_new_lines_are_the_same_separator():
    compact = (
        "network n, nodes { a: input, b: output }, edges { e: a -> b }\n"
        "task mapping { inputs { a = 1 V } targets { b = 500 mV } }"
    )
    assert parse(compact) == parse(MINIMAL)


def test_parser_comments_and_blank_lines_are_ignored():
    commented = "# header\n\n" + MINIMAL.replace("\n", "   # note\n\n")
    assert parse(commented) == parse(MINIMAL)


def test_parser_spans_point_at_declarations():
    spec = parse(MINIMAL, "m.mem")
    a = spec.node("a")
    assert (a.span.path, a.span.line, a.span.column) == ("m.mem", 3, 5)
    edge = spec.edge("e")
    assert (edge.span.line, edge.span.column, edge.span.end_column) == (7, 5, 14)
    assert (spec.task.span.line, spec.task.span.column) == (9, 1)


def test_parser_spans_do_not_change_equality():
    shifted = parse("\n\n" + MINIMAL)
    assert shifted == parse(MINIMAL)
    assert shifted.node("a").span.line == parse(MINIMAL).node("a").span.line + 2


def test_units_quantity_is_pint_with_exact_decimal_factors():
    assert quantity("0.2", "mM", "mol/m^3") == 0.2
    assert quantity("10", "um", "m") == 1e-5
    assert quantity(1.5, "bar", "Pa") == 150000.0
    assert quantity("20", "degC", "K") == pytest.approx(293.15, abs=1e-12)
    assert quantity("3", "kV", "V") == 3000.0


def test_units_wrong_dimension_is_located():
    with pytest.raises(SpecSemanticError) as caught:
        quantity("5", "um", "V", None)
    assert caught.value.message == "'um' is not a voltage"
    assert caught.value.hint == "write a voltage in units such as V"


def test_parser_reads_the_example_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    example = readme.split("## The language", 1)[1].split("```\n", 2)[1]
    spec = parse(example.split("```")[0])
    assert spec.edge("bottom").length == 12e-6
    assert spec.train[0].bounds == (0.5, 2.0)
    assert spec.train[1].members == ["top"]


def test_parser_reads_the_example_in_the_language_docs():
    docs = (ROOT / "docs" / "language.md").read_text()
    example = docs.split("```\n", 2)[1].split("```")[0]
    spec = parse(example)
    assert [p.kind for p in spec.train] == ["pressure", "length"]
    assert spec.edge("bottom").base_radius == 180e-9
