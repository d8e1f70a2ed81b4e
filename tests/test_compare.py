"""`memspec compare`: one run per weight type, a figure and a table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from memspec.cli import main
from memspec.compare import OUTPUTS, THRESHOLD, compare, steps_to_threshold
from memspec.errors import TrainingError
from memspec.parser import load
from memspec.plot.history import relative_cost
from memspec.plot.run import read_history

DIVIDER = Path(__file__).parent.parent / "specs" / "voltage_divider.mem"


def test_compare_steps_to_threshold_is_the_first_step_at_or_below_it():
    steps = np.arange(5) * 10
    relative = np.array([1.0, 0.1, 1e-3, 1e-4, 2e-3])
    assert steps_to_threshold(steps, relative) == 20
    assert steps_to_threshold(steps, relative * 100) is None


def test_compare_cli_writes_runs_figure_and_matching_tables(tmp_path):
    out = tmp_path / "cmp"
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "compare",
                str(DIVIDER),
                "--weights",
                "concentration,length",
                "--steps",
                "12",
                "--out",
                str(out),
            ]
        )
    assert exit_.value.code == 0
    assert (out / "cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = json.loads((out / "comparison.json").read_text())
    assert [row["weight"] for row in table["rows"]] == ["concentration", "length"]
    markdown = (out / "comparison.md").read_text()
    for row in table["rows"]:
        run = json.loads((out / row["weight"] / "result.json").read_text())
        assert row["relative_cost"] == pytest.approx(run["relative_cost"])
        assert f"| {row['weight']} | 12 |" in markdown
        history = read_history(out / row["weight"] / "history.csv")
        relative = relative_cost(history)
        reached = row["steps_to_threshold"]
        if reached is None:
            assert relative.min() > THRESHOLD
        else:
            k = list(history.step).index(reached)
            assert relative[k] <= THRESHOLD < relative[:k].min()


RETRAIN = Path(__file__).parent.parent / "specs" / "paper" / "divider_retrain.mem"


@pytest.mark.parametrize("weights", ["", ",", " , "])
def test_compare_cli_without_weight_types_is_one_clean_error(
    run_cli, tmp_path, weights
):
    run = run_cli("compare", DIVIDER, "--weights", weights, "--out", tmp_path / "c")
    assert run.code == 1
    assert run.stderr.startswith("error: no weight types to compare")
    assert len(run.stderr.strip().splitlines()) == 1


def test_compare_checks_every_weight_type_before_training_any(tmp_path):
    spec = load(RETRAIN)  # it has a `train pressure` block only
    with pytest.raises(TrainingError, match="no `train length` block"):
        compare(spec, ["pressure", "length"], tmp_path)
    assert not (tmp_path / "pressure").exists()
    with pytest.raises(TrainingError, match="unknown weight type 'volume'"):
        compare(spec, ["pressure", "volume"], tmp_path)
    with pytest.raises(TrainingError, match="'pressure' is asked for twice"):
        compare(spec, ["pressure", "pressure"], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_compare_failed_rerun_leaves_no_stale_comparison(tmp_path, monkeypatch):
    for name in OUTPUTS:
        (tmp_path / name).write_text("an earlier comparison")

    def failing_train(*args, **kwargs):
        raise TrainingError("the run failed")

    monkeypatch.setattr("memspec.training.train", failing_train)
    with pytest.raises(TrainingError, match="the run failed"):
        compare(load(DIVIDER), ["concentration"], tmp_path)
    assert [name for name in OUTPUTS if (tmp_path / name).exists()] == []


def test_compare_cli_writes_under_runs_compare_by_default(
    run_cli, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    run = run_cli("compare", DIVIDER, "--weights", "concentration", "--steps", "2")
    assert run.code == 0, run.stderr
    out = tmp_path / "runs" / "compare" / load(DIVIDER).name
    table = json.loads((out / "comparison.json").read_text())
    assert [row["weight"] for row in table["rows"]] == ["concentration"]
    assert (out / "concentration" / "history.csv").is_file()
    assert not list(out.glob("*.tmp*"))


def test_compare_cli_help_names_the_default_directory(run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    run = run_cli("compare", "--help")
    assert "Output directory; runs/compare/NAME by default." in run.stdout
