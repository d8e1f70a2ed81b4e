"""The memspec command line, run in-process through main()."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import InterruptingReporter

import memspec
from memspec.models import WEIGHT_KINDS

ROOT = Path(__file__).resolve().parents[1]
DIVIDER = ROOT / "specs" / "voltage_divider.mem"


def test_cli_check_accepts_the_divider(run_cli):
    run = run_cli("check", DIVIDER)
    assert run.code == 0
    assert "ok (3 nodes, 2 edges, task mapping)" in run.stdout


def test_cli_check_reports_every_broken_file_with_its_location(run_cli, tmp_path):
    bad = tmp_path / "bad.mem"
    bad.write_text(
        DIVIDER.read_text().replace("bottom: out -> low", "bottom: out -> lo")
    )
    run = run_cli("check", bad, DIVIDER, tmp_path / "missing.mem")
    assert run.code == 1
    assert re.search(r"bad\.mem:\d+:\d+: error: .*'lo'", run.stderr)
    assert "missing.mem" in run.stderr
    assert "ok (3 nodes" in run.stdout
    assert "Traceback" not in run.stderr


def test_cli_simulate_json_has_the_documented_shape(run_cli):
    run = run_cli("simulate", DIVIDER, "--json")
    assert run.code == 0
    data = json.loads(run.stdout)
    assert set(data) == {"backend", "settled", "time", "nodes", "edges"}
    assert data["backend"] == "native" and data["settled"] is True
    assert data["nodes"] == pytest.approx({"high": 5.0, "low": 0.0, "out": 2.5})
    top = data["edges"]["top"]
    assert set(top) == {"conductance", "g_over_g0", "current", "dV"}
    assert top["dV"] == pytest.approx(2.5)
    assert top["current"] == pytest.approx(top["conductance"] * 2.5)


def test_cli_simulate_prints_a_table_and_takes_inputs(run_cli):
    run = run_cli("simulate", DIVIDER, "--input", "high=3")
    assert run.code == 0
    assert "1.500000" in run.stdout and "settled" in run.stdout
    bad = run_cli("simulate", DIVIDER, "--input", "high:3")
    assert bad.code == 1 and "NODE=VOLTS" in bad.stderr


def test_cli_errors_are_one_rendered_line_without_traceback(run_cli, tmp_path):
    run = run_cli("simulate", tmp_path / "nope.mem")
    assert run.code == 1
    assert run.stderr.startswith("error: ") and "nope.mem" in run.stderr
    assert "Traceback" not in run.stderr
    with pytest.raises(memspec.MemspecError):
        run_cli("--debug", "simulate", tmp_path / "nope.mem")


def test_cli_train_unknown_weight_is_an_error(run_cli, tmp_path):
    run = run_cli("train", DIVIDER, "--weight", "volume", "--out", tmp_path)
    assert run.code == 1
    assert "unknown weight type 'volume'" in run.stderr


@pytest.mark.parametrize("kind", WEIGHT_KINDS)
def test_cli_train_divider_reaches_four_volts(run_cli, tmp_path, kind):
    out = tmp_path / kind
    run = run_cli("train", DIVIDER, "--weight", kind, "--out", out, "--quiet")
    assert run.code == 0, run.stderr
    assert run.stdout == ""
    result = json.loads((out / "result.json").read_text())
    assert result["relative_cost"] <= 1e-5
    assert all(name.startswith(f"{kind}:") for name in result["weights"])

    # The trained spec relaxes straight to the target, independently of the
    # trainer's own last evaluation.
    again = run_cli("simulate", out / "trained.mem", "--json")
    assert json.loads(again.stdout)["nodes"]["out"] == pytest.approx(4.0, abs=0.01)


def test_cli_train_interrupt_says_how_to_resume(run_cli, tmp_path, monkeypatch):
    import memspec.training.loop as loop

    monkeypatch.setattr(loop, "default_reporter", lambda quiet: InterruptingReporter())
    run = run_cli("train", DIVIDER, "--out", tmp_path, "--steps", "4")
    assert run.code == 130
    assert f"memspec train {DIVIDER} --out {tmp_path} --steps 4 --resume" in run.stderr
    monkeypatch.undo()
    resumed = run_cli("train", DIVIDER, "--out", tmp_path, "--steps", "4", "--resume")
    assert resumed.code == 0
    rows = (tmp_path / "history.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["0", "1", "2", "3", "4"]


def test_public_api_exports_are_complete_and_sorted():
    assert memspec.__all__ == sorted(memspec.__all__)
    for name in memspec.__all__:
        assert getattr(memspec, name) is not None
    for name in ("load", "dump", "simulate", "train", "get_backend", "Spec"):
        assert name in memspec.__all__


def test_readme_second_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:sh|bash)\n(.*?)```", readme, re.S)
    first, second = (b.strip() for b in blocks[:2])
    assert "memspec train specs/voltage_divider.mem" in first
    assert second.endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert second in ci
    assert "set -euo pipefail" in ci


@pytest.mark.parametrize(
    "args", [("train",), ("simulate", "--nope", "x.mem"), ("frobnicate",)]
)
def test_cli_usage_errors_exit_2_without_a_traceback(run_cli, args):
    run = run_cli(*args)
    assert run.code == 2
    assert "Traceback" not in run.stderr
    assert "Usage: memspec" in run.stderr
