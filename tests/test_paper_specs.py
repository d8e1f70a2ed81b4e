"""The paper's experiments as specs: what each one must state, and that they
train. Full-length runs live in benchmarks/reproduce.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from memspec.models import WEIGHT_KINDS
from memspec.parser import load, parse
from memspec.training import train
from memspec.writer import dump

ROOT = Path(__file__).parent.parent
PAPER = ROOT / "specs" / "paper"


def generator():
    path = ROOT / "benchmarks" / "paper_graphs.py"
    module_spec = importlib.util.spec_from_file_location("paper_graphs", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def edge_pairs(spec) -> list[tuple[str, str]]:
    return [(e.base, e.tip) for e in spec.edges]


@pytest.mark.parametrize("path", sorted(PAPER.glob("*.mem")), ids=lambda p: p.stem)
def test_paper_spec_loads_and_every_node_reaches_an_input(path):
    spec = load(path)
    graph = nx.Graph(edge_pairs(spec))
    inputs = {n.name for n in spec.nodes if n.role == "input"}
    for node in spec.nodes:
        assert any(nx.has_path(graph, node.name, i) for i in inputs), node.name


def test_paper_mapping_has_the_published_size_inputs_and_targets():
    spec = load(PAPER / "mapping_9n15e.mem")
    assert (len(spec.nodes), len(spec.edges)) == (9, 15)
    assert spec.task.inputs == {"n2": 0.0, "n4": 2.0, "n9": 5.0}
    assert spec.task.targets == {"n5": 3.0, "n7": 4.0}
    assert nx.is_connected(nx.Graph(edge_pairs(spec)))


@pytest.mark.parametrize(
    "name, kind, seed",
    [("mapping_9n15e", "mapping", 2), ("regression_10n17e", "regression", 0)],
)
def test_paper_graph_is_the_one_its_comment_says_generated_it(name, kind, seed):
    module = generator()
    nodes, edges, inputs = module.GRAPHS[kind]
    made = module.random_graph(nodes, edges, seed, inputs)
    spec = load(PAPER / f"{name}.mem")
    assert edge_pairs(spec) == [(f"n{a}", f"n{b}") for a, b in made]
    assert f"paper_graphs.py {kind} {seed}" in spec.source


def test_paper_graphs_have_mixed_orientations():
    for name in ("mapping_9n15e", "regression_10n17e"):
        spec = load(PAPER / f"{name}.mem")
        # Node numbers rising or falling along an edge: both must occur.
        rising = [int(e.base[1:]) < int(e.tip[1:]) for e in spec.edges]
        assert 0 < sum(rising) < len(rising)


def test_paper_regression_states_the_published_task():
    spec = load(PAPER / "regression_10n17e.mem")
    task = spec.task
    assert (len(spec.nodes), len(spec.edges)) == (10, 17)
    assert (task.slope, task.intercept) == (0.2, 0.3)
    assert task.input_range == (1.0, 4.0) and task.n_test == 20
    roles = {n.name: n.role for n in spec.nodes}
    assert [roles[n] for n in (task.data_node, task.bias_node, task.ground_node)] == [
        "input"
    ] * 3
    assert roles[task.output_node] == "output"


def test_paper_flipped_regression_reverses_three_edges_at_inputs_or_output():
    plain = load(PAPER / "regression_10n17e.mem")
    flipped = load(PAPER / "regression_10n17e_flipped.mem")
    terminals = {n.name for n in plain.nodes if n.role != "hidden"}
    changed = [
        (a, b)
        for a, b in zip(edge_pairs(plain), edge_pairs(flipped), strict=True)
        if a != b
    ]
    assert len(changed) == 3
    for before, after in changed:
        assert after == before[::-1]
        assert terminals & set(before)
    assert flipped.task == plain.task


@pytest.mark.parametrize("kind", WEIGHT_KINDS)
def test_paper_divider_reaches_4_volts_with_each_weight_type(kind):
    spec = load(PAPER / f"divider_{kind}.mem")
    assert [t.kind for t in spec.train] == [kind]
    result = train(spec, quiet=True)
    assert result.relative_cost <= 1e-5
    assert result.outputs["out"] == pytest.approx(4.0, abs=10e-3)


@pytest.mark.parametrize("kind", WEIGHT_KINDS)
def test_paper_mapping_rates_descend_without_overshoot(kind):
    spec = load(PAPER / "mapping_9n15e.mem")
    result = train(spec, weight=kind, steps=25, quiet=True)
    costs = np.array(result.costs)
    # Below the curvature limit steepest descent never raises C, until C
    # reaches the floor set by the forward-difference error (~1e-5 of start).
    descending = costs[:-1] > 1e-3 * costs[0]
    assert np.all(np.diff(costs)[descending] <= 0)
    assert costs[-1] < 0.8 * costs[0]


def test_paper_retrain_schedule_meets_each_target_before_moving_on(tmp_path):
    spec = load(PAPER / "divider_retrain.mem")
    train(spec, out_dir=tmp_path, quiet=True)
    lines = (tmp_path / "history.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    targets = [stage.targets["out"] for stage in spec.task.stages]
    for stage, wanted in enumerate(targets):
        volts = [float(r["V:out"]) for r in rows if int(r["stage"]) == stage]
        assert abs(volts[-1] - wanted) <= 10e-3


@pytest.mark.parametrize("name", ["regression_10n17e", "regression_10n17e_flipped"])
def test_paper_published_regression_is_the_same_experiment_by_the_papers_scheme(name):
    improved = load(PAPER / f"{name}.mem")
    published = load(PAPER / f"{name}_published.mem")
    assert edge_pairs(published) == edge_pairs(improved)
    assert published.nodes == improved.nodes
    # The same task; only how many samples a step sums differs.
    assert published.task.model_copy(update={"batch": 20, "test_every": 10}) == (
        improved.task
    )
    training = published.training
    assert (published.task.batch, training.gradient, training.optimizer) == (
        1,
        "forward",
        "steepest_descent",
    )
    assert training.rate_decay is None
    assert (improved.task.batch, improved.training.gradient) == (20, "adjoint")
    # The published runs start from the default channels; the others narrower.
    assert published.device.base_radius == 200e-9
    assert improved.device.base_radius == 100e-9


@pytest.mark.parametrize(
    "path", sorted(PAPER.glob("regression*.mem")), ids=lambda p: p.stem
)
def test_paper_regression_specs_round_trip_through_the_writer(path):
    spec = load(path)
    assert parse(dump(spec)) == spec


def test_paper_regression_full_batch_adam_lowers_the_test_cost():
    spec = load(PAPER / "regression_10n17e_flipped.mem")
    result = train(spec, steps=6, quiet=True)
    # Each recorded cost sums all 20 training samples: deterministic descent.
    assert result.costs[-1] < result.costs[0]
    assert result.final_cost < 0.9 * result.initial_cost


# The acceptance figures of docs/reproduction.md, on the specs as shipped.


@pytest.mark.parametrize("kind", WEIGHT_KINDS)
def test_paper_mapping_every_weight_type_reaches_relative_cost_1e_4(kind):
    result = train(load(PAPER / "mapping_9n15e.mem"), weight=kind, quiet=True)
    assert result.relative_cost <= 1e-4


@pytest.mark.slow
def test_paper_regression_base_radius_cuts_the_test_cost_a_thousandfold():
    spec = load(PAPER / "regression_10n17e.mem")
    result = train(spec, weight="base_radius", quiet=True)
    assert result.relative_cost <= 1e-3
