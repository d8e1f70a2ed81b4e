"""Figures of a training run: valid PNGs whose data match the run's files."""

from __future__ import annotations

import csv
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from memspec.backends import get_backend
from memspec.parser import load
from memspec.plot import load_run, plot_run
from memspec.plot.history import cost_figure, weights_figure
from memspec.plot.response import characteristic_figure, regression_figure
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
