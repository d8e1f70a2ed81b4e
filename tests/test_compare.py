"""`memspec compare`: one run per weight type, a figure and a table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from memspec.cli import main
from memspec.compare import THRESHOLD, steps_to_threshold
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
