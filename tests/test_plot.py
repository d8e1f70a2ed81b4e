"""Figures of a training run: valid PNGs whose data match the run's files."""

from __future__ import annotations

import csv
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from memspec.backends import get_backend
from memspec.cli import main
from memspec.network import Network
from memspec.parser import load
from memspec.plot import load_run, plot_run
from memspec.plot.graph import graph_figure
from memspec.plot.history import cost_figure, outputs_figure, weights_figure
from memspec.plot.response import (
    characteristic_figure,
    regression_figure,
    regression_inputs,
    relaxation_figure,
)
from memspec.training import train

PAPER = Path(__file__).parent.parent / "specs" / "paper"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COMMON = ["cost", "weights", "outputs", "relaxation", "characteristic", "graph"]


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must follow the signature."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def csv_columns(path: Path) -> dict[str, np.ndarray]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        name: np.array([float(r[name]) if r[name] else np.nan for r in rows])
        for name in rows[0]
    }


@pytest.fixture(scope="module")
def mapping_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mapping")
    train(load(PAPER / "mapping_9n15e.mem"), steps=6, out_dir=out, quiet=True)
    plot_run(out)
    return out


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory) -> Path:
    spec = load(PAPER / "regression_10n17e.mem")
    spec.task.test_every = 2
    out = tmp_path_factory.mktemp("regression")
    train(spec, steps=4, out_dir=out, quiet=True)
    plot_run(out)
    return out


@pytest.mark.parametrize("name", COMMON)
def test_plot_mapping_writes_readable_png(mapping_run, name):
    width, height = png_size(mapping_run / f"{name}.png")
    assert 600 <= width <= 3000 and 400 <= height <= 3000


@pytest.mark.parametrize("name", [*COMMON, "regression"])
def test_plot_regression_writes_readable_png(regression_run, name):
    width, height = png_size(regression_run / f"{name}.png")
    assert 600 <= width <= 3000 and 400 <= height <= 3000


def test_plot_cost_curve_is_history_cost_over_its_start(mapping_run):
    columns = csv_columns(mapping_run / "history.csv")
    line = cost_figure(load_run(mapping_run).history).axes[0].lines[0]
    np.testing.assert_array_equal(line.get_xdata(), columns["step"])
    np.testing.assert_allclose(line.get_ydata(), columns["cost"] / columns["cost"][0])


def test_plot_regression_cost_is_test_cost_where_evaluated(regression_run):
    columns = csv_columns(regression_run / "history.csv")
    evaluated = ~np.isnan(columns["test_cost"])
    line = cost_figure(load_run(regression_run).history, True).axes[0].lines[0]
    np.testing.assert_array_equal(line.get_xdata(), columns["step"][evaluated])
    test = columns["test_cost"][evaluated]
    np.testing.assert_allclose(line.get_ydata(), test / test[0])
    assert len(line.get_xdata()) == 3  # steps 0, 2 and 4


def test_plot_weight_lines_match_every_history_column(mapping_run):
    columns = csv_columns(mapping_run / "history.csv")
    fig = weights_figure(load_run(mapping_run).history)
    drawn = {line.get_label(): line.get_ydata() for line in fig.axes[0].lines}
    edges = [c for c in columns if c.startswith("length:")]
    assert sorted(drawn) == sorted(c.split(":")[1] for c in edges)
    for column in edges:
        np.testing.assert_array_equal(drawn[column.split(":")[1]], columns[column])
    assert fig.axes[0].get_ylabel() == "length [um]"


def test_plot_operating_points_lie_on_their_g_inf_curves(mapping_run):
    run = load_run(mapping_run)
    network_spec = run.spec
    result = get_backend("native").simulate(
        run.network, dict(network_spec.task.inputs), network_spec.simulation
    )
    _, data = characteristic_figure(network_spec, result)
    for k in range(len(network_spec.edges)):
        on_curve = np.interp(data.operating_dV[k], data.dV, data.conductance[k])
        # The sweep is a fine grid, so linear interpolation is good to ~1e-4.
        assert on_curve == pytest.approx(data.operating_conductance[k], rel=2e-4)


def test_plot_relaxation_ends_at_the_trained_outputs(mapping_run):
    run = load_run(mapping_run)
    from memspec.plot.response import relaxation_figure

    fig, (result,) = relaxation_figure(run.spec, get_backend("native"))
    for node, volts in run.result["outputs"].items():
        k = run.network.node_index(node)
        assert result.trace.voltages[-1, k] == pytest.approx(volts, abs=1e-6)
    targets = sorted(line.get_ydata()[0] for line in fig.axes[0].lines[1::2])
    assert targets == [3.0, 4.0]


def test_plot_regression_curves_reproduce_the_trained_test_costs(regression_run):
    run = load_run(regression_run)
    task = run.spec.task
    _, data = regression_figure(run.spec, run.history, get_backend("native"))
    wanted = task.slope * data.v_in + task.intercept
    result = json.loads((regression_run / "result.json").read_text())
    start = np.sum((data.v_out["start"] - wanted) ** 2)
    end = np.sum((data.v_out["end"] - wanted) ** 2)
    assert start == pytest.approx(result["initial_cost"], rel=1e-6)
    assert end == pytest.approx(result["final_cost"], rel=1e-6)


@pytest.fixture(scope="module")
def schedule_run(tmp_path_factory) -> Path:
    """The retraining schedule, trained and drawn by `memspec train --plot`."""
    out = tmp_path_factory.mktemp("schedule") / "run"
    args = ["train", str(PAPER / "divider_retrain.mem"), "-n", "6", "-q"]
    with pytest.raises(SystemExit) as stop:
        main([*args, "--out", str(out), "--plot"])
    assert stop.value.code == 0
    return out


@pytest.mark.parametrize("name", COMMON)
def test_train_plot_option_writes_every_figure(schedule_run, name):
    width, height = png_size(schedule_run / f"{name}.png")
    assert 600 <= width <= 3000 and 400 <= height <= 3000


def test_plot_cli_redraws_a_schedule_run(schedule_run, tmp_path, run_cli):
    copy = tmp_path / "run"
    copy.mkdir()
    for name in ("history.csv", "result.json", "trained.mem"):
        (copy / name).write_bytes((schedule_run / name).read_bytes())
    run = run_cli("plot", copy)
    assert run.code == 0, run.stderr
    for name in COMMON:
        png_size(copy / f"{name}.png")
    # The schedule's three targets, each drawn over its own stage.
    run_ = load_run(copy)
    fig = outputs_figure(run_.history, run_.spec)
    dashed = [line for line in fig.axes[0].lines if line.get_linestyle() == "--"]
    assert sorted(line.get_ydata()[0] for line in dashed[:3]) == [1.0, 3.0, 4.0]


def test_plot_cli_names_a_corrupt_result_file(schedule_run, tmp_path, run_cli):
    copy = tmp_path / "run"
    copy.mkdir()
    for name in ("history.csv", "trained.mem"):
        (copy / name).write_bytes((schedule_run / name).read_bytes())
    (copy / "result.json").write_text("garbage\n")
    run = run_cli("plot", copy)
    assert run.code == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert str(copy / "result.json") in lines[0]


def test_plot_cli_says_an_interrupted_run_needs_resuming(
    schedule_run, tmp_path, run_cli
):
    copy = tmp_path / "run"
    copy.mkdir()
    (copy / "history.csv").write_bytes((schedule_run / "history.csv").read_bytes())
    run = run_cli("plot", copy)
    assert run.code == 1
    assert "looks like an interrupted run" in run.stderr
    assert f"--out {copy} --resume" in run.stderr
    assert not list(copy.glob("*.png"))


def overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def legend_and_axes(fig):
    fig.draw_without_rendering()
    ax = next(ax for ax in fig.axes if ax.get_legend() is not None)
    return ax.get_legend().get_window_extent(), ax.get_window_extent()


def test_plot_weight_and_relaxation_legends_stand_beside_the_data(regression_run):
    run = load_run(regression_run)
    figures = [
        weights_figure(run.history),
        relaxation_figure(run.spec, get_backend("native"))[0],
    ]
    for fig in figures:
        legend, axes = legend_and_axes(fig)
        assert not overlaps(legend, axes)


def test_plot_characteristic_labels_dv_under_every_column(regression_run):
    run = load_run(regression_run)  # 17 edges: 5 columns, the last row has 2
    results = relaxation_figure(run.spec, get_backend("native"))[1]
    fig, _ = characteristic_figure(run.spec, results[1])
    fig.draw_without_rendering()
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 17
    lowest = {}
    for ax in visible:
        column = round(ax.get_position().x0, 3)
        if (
            column not in lowest
            or ax.get_position().y0 < lowest[column].get_position().y0
        ):
            lowest[column] = ax
    assert len(lowest) == 5
    for ax in lowest.values():
        assert ax.get_xlabel() == "dV = V_base - V_tip [V]"
        assert any(t.get_visible() and t.get_text() for t in ax.get_xticklabels())
    # The operating points are those of the middle of the data range.
    assert "V_in = 2.5 V (mid-range)" in fig.get_suptitle()
    assert results[1].voltages[run.network.node_index(run.spec.task.data_node)] == 2.5


def test_plot_characteristic_title_fits_a_single_edge(tmp_path):
    text = (PAPER / "divider_retrain.mem").read_text()
    for drop in ("    low:  input\n", "    bottom: out -> low\n", ", low = 0 V"):
        text = text.replace(drop, "")
    path = tmp_path / "single.mem"
    path.write_text(text)
    spec = load(path)
    result = get_backend("native").simulate(
        Network.from_spec(spec), {"high": 5.0}, spec.simulation
    )
    fig, _ = characteristic_figure(spec, result)
    fig.draw_without_rendering()
    title = fig._suptitle.get_window_extent()
    page = fig.bbox
    assert page.x0 <= title.x0 and title.x1 <= page.x1
    assert "V(high) = 5 V" in fig.get_suptitle()


def test_plot_regression_outputs_show_the_target_of_the_recorded_sample(
    regression_run,
):
    run = load_run(regression_run)
    task = run.spec.task
    fig = outputs_figure(run.history, run.spec)
    assert f"the first of its {task.batch} training samples" in fig.axes[0].get_title()
    (marks,) = [
        line
        for line in fig.axes[0].lines
        if line.get_label() == "target of that sample"
    ]
    targets = marks.get_ydata()
    # Independent check: the network at each row's weights, fed the data input
    # that target belongs to, gives the voltage history.csv recorded.
    network = run.network
    out = network.node_index(task.output_node)
    for row in (0, len(targets) - 1):
        v_in = (targets[row] - task.intercept) / task.slope
        assert task.input_range[0] <= v_in <= task.input_range[1]
        volts = get_backend("native").simulate(
            network,
            regression_inputs(task, v_in),
            run.spec.simulation,
            run.history.parameters(network, row),
        )
        assert volts.voltages[out] == pytest.approx(
            run.history.voltages[task.output_node][row], abs=1e-9
        )


def test_plot_graph_puts_values_beside_nodes_and_the_legend_outside():
    spec = load(PAPER / "divider_pressure.mem")
    fig = graph_figure(spec, ["pressure"])
    legend, axes = legend_and_axes(fig)
    assert not overlaps(legend, axes)
    ax = fig.axes[0]
    values = [t for t in ax.texts if " bar" in t.get_text()]
    assert len(values) == len(spec.nodes)
    for label in values:
        anchor = ax.transData.transform(label.xy)
        box = label.get_window_extent()
        assert not box.contains(*anchor), "a value label sits on its node"
        assert box.y1 < anchor[1]
