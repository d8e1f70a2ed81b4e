"""Weights, finite-difference gradients, updates and the training loop."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from conftest import InterruptingReporter

from memspec.backends.native import NativeBackend
from memspec.errors import TrainingError
from memspec.models import (
    Device,
    Mapping,
    Regression,
    Schedule,
    Simulation,
    TrainedProperty,
    Training,
)
from memspec.network import Network
from memspec.solve import relax
from memspec.solve.newton import solve_steady
from memspec.training import Problem, gradient, train, weight_set
from memspec.training.gradient import perturbations
from memspec.training.optimizer import (
    Adam,
    Momentum,
    SteepestDescent,
    decayed_rates,
)
from memspec.training.task import TaskPlan

INPUTS = {"high": 5.0, "low": 0.0}


def history(path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_weights_are_named_in_weight_units_and_map_to_parameters(make_divider):
    spec = make_divider(
        train=[
            TrainedProperty(kind="pressure", rate=1.0, members=["out"]),
            TrainedProperty(kind="length", rate=1.0),
        ]
    )
    net = Network.from_spec(spec)
    weights = weight_set(net, spec.train)
    assert weights.names == ["pressure:out", "length:top", "length:bottom"]
    assert weights.initial() == pytest.approx([1.0, 10.0, 10.0])
    assert weights.units == {"pressure": "bar", "length": "um"}

    batch = weights.parameters(np.array([[0.9, 10, 10], [1, 12.5, 10]]))
    assert batch.pressure == pytest.approx(
        np.array([[1e5, 1e5, 0.9e5], [1e5, 1e5, 1e5]])
    )
    assert batch.length == pytest.approx(np.array([[10e-6, 10e-6], [12.5e-6, 10e-6]]))
    assert batch.concentration.shape == (2, 3)


def test_weights_unknown_member_is_refused(make_divider):
    spec = make_divider(train=[TrainedProperty(kind="length", rate=1, members=["x"])])
    with pytest.raises(TrainingError, match="unknown edge 'x'"):
        weight_set(Network.from_spec(spec), spec.train)


def ohmic_divider(make_divider, **kwargs):
    # No surface charge: g = g0 = c / L, so V_out = 5 L_b / (L_t + L_b).
    return make_divider(
        device=Device(surface_charge=0.0),
        train=[TrainedProperty(kind="length", rate=1.0)],
        **kwargs,
    )


@pytest.mark.parametrize("method", ["forward", "central"])
def test_gradient_of_ohmic_divider_matches_analytic_derivative(make_divider, method):
    spec = ohmic_divider(make_divider, bottom={"length": 14e-6})
    net = Network.from_spec(spec)
    weights = weight_set(net, spec.train)
    w = weights.initial()
    problem = Problem(NativeBackend(), spec.simulation, weights, INPUTS, {"out": 4.0})
    ev = gradient(problem, w, method, perturbations(w, 1e-3))

    top, bottom = w
    v = 5 * bottom / (top + bottom)
    dv = np.array([-5 * bottom, 5 * top]) / (top + bottom) ** 2
    assert ev.cost == pytest.approx((v - 4) ** 2, rel=1e-12)
    # Forward differences carry an O(dw) error; central ones O(dw^2).
    rel = 2e-3 if method == "forward" else 1e-6
    assert ev.gradient == pytest.approx(2 * (v - 4) * dv, rel=rel)


def test_forward_gradient_batch_equals_separate_relaxations(make_divider):
    spec = make_divider(train=[TrainedProperty(kind="pressure", rate=1.0)])
    net = Network.from_spec(spec)
    weights = weight_set(net, spec.train)
    w = weights.initial()
    dw = perturbations(w, 1e-3)
    problem = Problem(NativeBackend(), spec.simulation, weights, INPUTS, {"out": 4.0})
    ev = gradient(problem, w, "forward", dw)

    def cost(values):
        p = weights.parameters(values)
        v = relax(net, INPUTS, spec.simulation, p).voltages[2]
        return (v - 4.0) ** 2

    # Solved alone, each member takes its own number of Euler steps, so the
    # agreement is to the settle tolerance, not to rounding.
    loose = [(cost(w + dw[m] * np.eye(3)[m]) - cost(w)) / dw[m] for m in range(3)]
    assert ev.gradient == pytest.approx(loose, rel=1e-4)
    # Raising the output node's pressure lowers its voltage (Pe > 0 flow).
    assert ev.gradient[2] > 0 > ev.gradient[0]


def test_adjoint_training_of_the_divider_agrees_with_forward_differences(
    make_divider,
):
    spec = make_divider(
        train=[TrainedProperty(kind="length", rate=8.0)],
        simulation=Simulation(solver="newton"),
        training=Training(gradient="adjoint", steps=1),
    )
    exact = train(spec, quiet=True)
    spec.training.gradient = "forward"
    spec.simulation.solver = "relax"
    forward = train(spec, quiet=True)
    # One step from the same start: forward differences are within O(dw).
    assert list(exact.weights.values()) == pytest.approx(
        list(forward.weights.values()), rel=1e-3
    )


def test_optimizers_follow_their_update_rules():
    rates = np.array([0.5, 2.0])
    grad = np.array([1.0, -3.0])
    w = np.array([1.0, 1.0])
    assert SteepestDescent(rates).step(w, grad) == pytest.approx([0.5, 7.0])
    heavy = Momentum(rates, mu=0.5)
    heavy.step(w, grad)
    # Second step: v = 0.5 grad + grad.
    assert heavy.step(w, grad) == pytest.approx(w - rates * 1.5 * grad)
    # Adam's first step moves each weight by its rate against the gradient sign.
    assert Adam(rates).step(w, grad) == pytest.approx([0.5, 3.0])


def test_decayed_rates_halve_after_decay_steps_and_fall_as_one_over_step():
    rates = np.array([100.0, 4.0])
    assert decayed_rates(rates, None, 500) is rates
    assert decayed_rates(rates, 200.0, 0) == pytest.approx([100.0, 4.0])
    assert decayed_rates(rates, 200.0, 200) == pytest.approx([50.0, 2.0])
    assert decayed_rates(rates, 200.0, 1800) == pytest.approx([10.0, 0.4])


def test_train_rate_decay_rows_follow_the_decayed_update(make_divider, tmp_path):
    spec = ohmic_divider(make_divider, training=Training(steps=2, rate_decay=0.5))
    train(spec, out_dir=tmp_path, quiet=True)
    rows = history(tmp_path / "history.csv")

    def analytic_gradient(top, bottom):
        v = 5 * bottom / (top + bottom)
        return 2 * (v - 4) * np.array([-5 * bottom, 5 * top]) / (top + bottom) ** 2

    # Step 0 uses rate 1; step 1 uses 1 / (1 + 1 / 0.5) = 1/3.
    names = ["length:top", "length:bottom"]
    w1 = np.array([float(rows[1][n]) for n in names])
    w2 = np.array([float(rows[2][n]) for n in names])
    assert w1 == pytest.approx(10 - analytic_gradient(10, 10), rel=1e-4)
    assert w2 == pytest.approx(w1 - analytic_gradient(*w1) / 3, rel=1e-4)


def test_train_steepest_descent_rows_follow_the_update(make_divider, tmp_path):
    spec = ohmic_divider(make_divider, training=Training(steps=3))
    result = train(spec, out_dir=tmp_path, quiet=True)
    rows = history(tmp_path / "history.csv")
    assert [r["step"] for r in rows] == ["0", "1", "2", "3"]
    assert list(rows[0])[:4] == ["step", "stage", "cost", "test_cost"]
    assert list(rows[0])[4:] == ["length:top", "length:bottom", "V:out"]

    # Row 1 holds w0 - rate * grad, with the analytic gradient of the Ohmic
    # divider to within forward-difference accuracy.
    top, bottom = 10.0, 10.0
    v = 5 * bottom / (top + bottom)
    grad = 2 * (v - 4) * np.array([-5 * bottom, 5 * top]) / (top + bottom) ** 2
    row = rows[1]
    stepped = [float(row["length:top"]), float(row["length:bottom"])]
    assert stepped == pytest.approx([10, 10] - grad, rel=1e-4)
    assert float(row["V:out"]) == pytest.approx(5 * stepped[1] / sum(stepped), abs=1e-9)
    assert result.costs == pytest.approx([float(r["cost"]) for r in rows])
    assert result.weights["length:top"] == pytest.approx(float(rows[-1]["length:top"]))


def test_train_writes_result_json_and_trained_spec(make_divider, tmp_path):
    from memspec.parser import load

    spec = ohmic_divider(make_divider, training=Training(steps=5))
    result = train(spec, out_dir=tmp_path, quiet=True)
    data = json.loads((tmp_path / "result.json").read_text())
    assert set(data) >= {
        "initial_cost",
        "final_cost",
        "relative_cost",
        "steps",
        "weights",
        "outputs",
        "seconds",
        "backend",
        "weight_units",
        "gradient",
    }
    assert data["initial_cost"] == pytest.approx(2.25)
    assert data["relative_cost"] == pytest.approx(data["final_cost"] / 2.25)
    assert data["weight_units"] == {"length": "um"}
    assert not list(tmp_path.glob("*.tmp"))

    trained = load(tmp_path / "trained.mem")
    lengths = [e.length for e in trained.edges]
    assert lengths == pytest.approx(
        [result.weights["length:top"] * 1e-6, result.weights["length:bottom"] * 1e-6]
    )
    v = 5 * lengths[1] / sum(lengths)
    assert data["outputs"]["out"] == pytest.approx(v, abs=1e-9)


def test_train_resume_continues_exactly_where_it_stopped(make_divider, tmp_path):
    spec = make_divider(
        train=[TrainedProperty(kind="pressure", rate=0.0025)],
        training=Training(steps=6),
    )
    whole = train(spec, out_dir=tmp_path / "whole", quiet=True)
    train(spec, out_dir=tmp_path / "parts", steps=3, quiet=True)
    # A kill in the middle of a write leaves half a line behind.
    with open(tmp_path / "parts" / "history.csv", "a") as f:
        f.write("4,0,0.1")
    resumed = train(spec, out_dir=tmp_path / "parts", resume=True, quiet=True)
    assert resumed.costs == pytest.approx(whole.costs, rel=1e-12)
    assert resumed.weights == pytest.approx(whole.weights, rel=1e-12)
    rows = history(tmp_path / "parts" / "history.csv")
    assert [r["step"] for r in rows] == [str(k) for k in range(7)]


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
@pytest.mark.parametrize("lost_rows", [0, 1])
def test_train_resume_restores_the_optimizer_state(
    make_divider, tmp_path, optimizer, lost_rows
):
    # lost_rows = 1 is a kill after the state of step 3 was saved but before
    # its history row was written.
    spec = make_divider(
        train=[TrainedProperty(kind="pressure", rate=0.0005)],
        training=Training(steps=8, optimizer=optimizer, momentum=0.5),
    )
    whole = train(spec, out_dir=tmp_path / "whole", quiet=True)
    train(spec, out_dir=tmp_path / "parts", steps=3, quiet=True)
    path = tmp_path / "parts" / "history.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) - lost_rows]))
    resumed = train(spec, out_dir=tmp_path / "parts", resume=True, quiet=True)
    # The last row of the first part was relaxed alone, not in a batch, so it
    # may differ within the settle tolerance; the weights must not.
    assert resumed.costs == pytest.approx(whole.costs, rel=1e-9)
    assert resumed.weights == pytest.approx(whole.weights, rel=1e-12)
    assert whole.costs[4] != pytest.approx(whole.costs[3], rel=1e-3)


def test_train_resume_without_optimizer_state_is_refused(make_divider, tmp_path):
    spec = make_divider(
        train=[TrainedProperty(kind="pressure", rate=0.0005)],
        training=Training(steps=4, optimizer="adam"),
    )
    train(spec, out_dir=tmp_path, steps=2, quiet=True)
    (tmp_path / "optimizer.json").unlink()
    with pytest.raises(TrainingError, match="optimizer's state at step 2"):
        train(spec, out_dir=tmp_path, resume=True, quiet=True)


def test_train_into_an_unwritable_place_is_a_clear_error(make_divider, tmp_path):
    spec = ohmic_divider(make_divider, training=Training(steps=1))
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(TrainingError, match="cannot write the run to"):
        train(spec, out_dir=blocker, quiet=True)


def test_train_adjoint_on_a_simulator_is_refused_before_writing(make_divider, tmp_path):
    spec = ohmic_divider(make_divider, training=Training(steps=1, gradient="adjoint"))
    with pytest.raises(TrainingError, match="native backend rather than ngspice"):
        train(spec, backend="ngspice", out_dir=tmp_path / "run", quiet=True)
    assert not (tmp_path / "run").exists()


def test_train_resume_refuses_a_history_of_other_weights(make_divider, tmp_path):
    spec = ohmic_divider(make_divider, training=Training(steps=1))
    train(spec, out_dir=tmp_path, quiet=True)
    other = make_divider(train=[TrainedProperty(kind="pressure", rate=0.001)])
    with pytest.raises(TrainingError, match="other weights"):
        train(other, out_dir=tmp_path, resume=True, quiet=True)


def test_train_interrupt_leaves_whole_rows(make_divider, tmp_path):
    spec = ohmic_divider(make_divider, training=Training(steps=5))
    with pytest.raises(KeyboardInterrupt):
        train(spec, out_dir=tmp_path, reporter=InterruptingReporter())
    rows = history(tmp_path / "history.csv")
    assert [r["step"] for r in rows] == ["0", "1", "2"]
    result = train(spec, out_dir=tmp_path, resume=True, quiet=True)
    assert len(result.costs) == 6


def test_train_weight_override_needs_a_train_block_of_that_kind(make_divider):
    spec = ohmic_divider(make_divider)
    with pytest.raises(TrainingError, match="no `train pressure` block"):
        train(spec, weight="pressure", quiet=True)
    with pytest.raises(TrainingError, match="unknown weight type 'volume'"):
        train(spec, weight="volume", quiet=True)


def test_train_spec_weights_choose_the_default_blocks(make_divider):
    spec = make_divider(
        device=Device(surface_charge=0.0),
        train=[
            TrainedProperty(kind="pressure", rate=0.001),
            TrainedProperty(kind="length", rate=1.0),
        ],
        training=Training(steps=1, weights=["length"]),
    )
    assert list(train(spec, quiet=True).weights) == ["length:top", "length:bottom"]
    both = train(spec.model_copy(update={"training": Training(steps=1)}), quiet=True)
    assert len(both.weights) == 5


def test_schedule_splits_steps_evenly_and_retrains(make_divider):
    spec = make_divider(
        train=[TrainedProperty(kind="pressure", rate=0.0025)],
        training=Training(steps=10),
    )
    stages = [Mapping(inputs=INPUTS, targets={"out": t}) for t in (3.0, 3.5, 2.0)]
    spec.task = Schedule(stages=stages)
    plan = TaskPlan(spec)
    assert [plan.stage(k) for k in range(11)] == [0] * 4 + [1] * 3 + [2] * 4
    assert plan.objective(5).targets == {"out": 3.5}
    spec.task = Schedule(stages=stages, steps_per_stage=5)
    assert TaskPlan(spec).total == 15

    spec.task = Schedule(stages=stages[:2], steps_per_stage=8)
    result = train(spec, quiet=True)
    # The cost jumps when the target moves, then falls again.
    assert result.costs[8] > 10 * result.costs[7]
    assert result.costs[-1] < 1e-3 * result.costs[8]
    assert result.outputs["out"] == pytest.approx(3.5, abs=0.01)


def regression_spec(make_divider):
    spec = make_divider(train=[TrainedProperty(kind="pressure", rate=0.001)])
    spec.nodes[2].role = "output"
    spec.task = Regression(
        slope=0.2,
        intercept=0.3,
        data_node="high",
        bias_node="low",
        bias_voltage=0.5,
        ground_node="low",
        output_node="out",
        input_range=(1.0, 3.0),
        n_train=8,
        n_test=5,
        seed=3,
        test_every=2,
    )
    return spec


def test_regression_samples_are_seeded_and_in_range(make_divider):
    spec = regression_spec(make_divider)
    plan, again = TaskPlan(spec, steps=20), TaskPlan(spec, steps=20)
    samples = [plan.objective(k).inputs["high"] for k in range(21)]
    assert samples == [again.objective(k).inputs["high"] for k in range(21)]
    assert all(1.0 <= s <= 3.0 for s in samples)
    assert len(set(samples)) <= 8
    targets = [plan.objective(k).targets["out"] for k in range(21)]
    assert targets == pytest.approx([0.2 * s + 0.3 for s in samples])
    test = [o.inputs["high"] for o in plan.test_set()]
    assert test == pytest.approx([1.0, 1.5, 2.0, 2.5, 3.0])


def test_regression_test_cost_is_summed_over_the_test_points(make_divider, tmp_path):
    spec = make_divider(train=[TrainedProperty(kind="pressure", rate=0.001)])
    spec = regression_spec(make_divider)
    # Ground and bias are distinct inputs here: a third input node.
    spec.nodes.append(spec.nodes[1].model_copy(update={"name": "bias"}))
    spec.edges.append(spec.edges[1].model_copy(update={"name": "b2", "tip": "bias"}))
    spec.task.bias_node = "bias"
    spec.training.steps = 3
    train(spec, out_dir=tmp_path, quiet=True)
    rows = history(tmp_path / "history.csv")
    assert [r["test_cost"] != "" for r in rows] == [True, False, True, True]

    # Recompute the test cost at the logged weights of step 2, point by point.
    net = Network.from_spec(spec)
    weights = weight_set(net, spec.train)
    w = np.array([float(rows[2][n]) for n in weights.names])
    total = 0.0
    for x in np.linspace(1.0, 3.0, 5):
        inputs = {"high": x, "bias": 0.5, "low": 0.0}
        v = relax(net, inputs, Simulation(), weights.parameters(w)).voltages[2]
        total += (v - (0.2 * x + 0.3)) ** 2
    assert float(rows[2]["test_cost"]) == pytest.approx(total, rel=1e-6)


def three_input_regression(make_divider, **task):
    # Ground and bias on distinct input nodes: the divider with a third input.
    spec = regression_spec(make_divider)
    spec.nodes.append(spec.nodes[1].model_copy(update={"name": "bias"}))
    spec.edges.append(spec.edges[1].model_copy(update={"name": "b2", "tip": "bias"}))
    spec.task = spec.task.model_copy(update={"bias_node": "bias", **task})
    return spec


def test_regression_batch_one_keeps_the_published_draws(make_divider):
    spec = regression_spec(make_divider)
    plan = TaskPlan(spec, steps=30)
    rng = np.random.default_rng(3)
    samples = rng.uniform(1.0, 3.0, size=8)
    drawn = samples[rng.integers(8, size=31)]
    assert [len(plan.objectives(k)) for k in range(31)] == [1] * 31
    assert [plan.objective(k).inputs["high"] for k in range(31)] == list(drawn)


def test_regression_batches_hold_distinct_training_samples(make_divider):
    spec = regression_spec(make_divider)
    spec.task.batch = 3
    plan = TaskPlan(spec, steps=10)
    for k in range(11):
        drawn = [o.inputs["high"] for o in plan.objectives(k)]
        assert len(set(drawn)) == 3
        assert set(drawn) <= set(plan.samples)
    spec.task.batch = 8
    full = TaskPlan(spec, steps=4)
    for k in range(5):
        assert sorted(o.inputs["high"] for o in full.objectives(k)) == sorted(
            full.samples
        )
    spec.task.batch = 9
    with pytest.raises(TrainingError, match="between 1 and train_samples"):
        TaskPlan(spec, steps=4)


def test_regression_batch_cost_and_step_are_sums_over_its_samples(
    make_divider, tmp_path
):
    spec = three_input_regression(make_divider, batch=3)
    spec.train = [TrainedProperty(kind="pressure", rate=0.001, members=["out"])]
    spec.simulation = Simulation(solver="newton")
    spec.training.steps = 1
    train(spec, out_dir=tmp_path, quiet=True)
    rows = history(tmp_path / "history.csv")
    plan = TaskPlan(spec, steps=1)

    # Each sample solved on its own, cost and forward difference by hand.
    net = Network.from_spec(spec)
    weights = weight_set(net, spec.train)
    w0 = weights.initial()
    dw = perturbations(w0, spec.training.fd_step)

    def cost(w, objective):
        volts = solve_steady(
            net, objective.inputs, spec.simulation, weights.parameters(w)
        )
        return (volts[2] - objective.targets["out"]) ** 2

    batch = plan.objectives(0)
    total = sum(cost(w0, o) for o in batch)
    assert float(rows[0]["cost"]) == pytest.approx(total, rel=1e-9)
    grad = (
        np.array(
            [
                sum(cost(w0 + dw[m] * np.eye(len(w0))[m], o) for o in batch) - total
                for m in range(len(w0))
            ]
        )
        / dw
    )
    w1 = np.array([float(rows[1][n]) for n in weights.names])
    # Newton solves to 1e-11 V, so the forward differences agree closely.
    assert w1 - w0 == pytest.approx(-spec.train[0].rate * grad, rel=1e-5)
    assert np.abs(w1 - w0).max() > 1e-6
