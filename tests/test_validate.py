"""The cross-simulator check and the compile command, on real simulators."""

import json
from pathlib import Path

import pytest

from memspec.models import Regression, Schedule
from memspec.validation import task_cases, validate
from memspec.writer import dump

BAR = 1e5
DIVIDER = Path(__file__).resolve().parents[1] / "specs" / "voltage_divider.mem"


@pytest.fixture
def divider_path() -> Path:
    return DIVIDER


@pytest.mark.ngspice
def test_validate_native_and_ngspice_agree_on_a_pressured_divider(make_divider):
    # A pressure at the output node drives the two channels differently,
    # so the output leaves 2.5 V and the backends have something to disagree on.
    spec = make_divider(out={"pressure": 1.05 * BAR})
    report = validate(spec, ["native", "ngspice"], tolerance=1e-3)
    out = report.cases[0].voltages
    assert abs(out["native"][2] - 2.5) > 0.1
    assert report.passed
    assert report.largest[0] < 1e-6
    assert report.largest[2] == "out"


@pytest.mark.ngspice
@pytest.mark.ahkab
def test_validate_cli_passes_on_the_divider_with_all_backends(run_cli, divider_path):
    run = run_cli("validate", divider_path, "--json")
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["backends"] == ["native", "ngspice", "ahkab"]
    assert report["passed"] and report["largest_deviation"]["volts"] < 1e-6
    nodes = report["cases"][0]["nodes"]
    assert nodes["ngspice"]["out"] == pytest.approx(2.5, abs=1e-9)


@pytest.mark.ngspice
def test_validate_cli_exits_1_beyond_the_tolerance(run_cli, make_divider, tmp_path):
    spec = make_divider(out={"pressure": 1.05 * BAR})
    path = tmp_path / "divider.mem"
    path.write_text(dump(spec))
    # The two backends agree to far better than 1 mV, but not to 1e-15 V.
    run = run_cli(
        "validate", path, "--backends", "native,ngspice", "--tolerance", "1e-15 V"
    )
    assert run.code == 1
    assert "FAILED" in run.stdout and "largest deviation" in run.stdout


@pytest.mark.ngspice
def test_validate_cli_reads_trained_weights(run_cli, make_divider, tmp_path):
    trained = make_divider(out={"pressure": 0.9 * BAR})
    (tmp_path / "trained.mem").write_text(dump(trained))
    (tmp_path / "divider.mem").write_text(dump(make_divider()))
    run = run_cli(
        "validate",
        tmp_path / "divider.mem",
        "--weights",
        tmp_path,
        "--backends",
        "native,ngspice",
        "--json",
    )
    assert run.code == 0, run.stderr
    nodes = json.loads(run.stdout)["cases"][0]["nodes"]
    assert nodes["ngspice"]["out"] == pytest.approx(nodes["native"]["out"], abs=1e-6)
    assert nodes["ngspice"]["out"] > 2.6


def test_validate_cli_rejects_a_tolerance_that_is_not_a_voltage(run_cli, divider_path):
    run = run_cli("validate", divider_path, "--tolerance", "3 bar")
    assert run.code == 1
    assert "--tolerance needs a voltage" in run.stderr


def test_validate_cases_cover_each_stage_and_the_regression_range(make_divider):
    spec = make_divider()
    first = spec.task
    second = first.model_copy(update={"inputs": {"high": 3.0, "low": 0.0}})
    spec.task = Schedule(stages=[first, second])
    assert [inputs["high"] for _, inputs in task_cases(spec)] == [5.0, 3.0]

    spec.task = Regression(
        slope=0.2,
        intercept=0.3,
        data_node="high",
        bias_node="low",
        bias_voltage=1.0,
        ground_node="low",
        output_node="out",
        input_range=(0.0, 2.0),
        n_train=10,
        n_test=11,
    )
    cases = task_cases(spec)
    assert [inputs["high"] for _, inputs in cases] == [0.0, 0.5, 1.0, 1.5, 2.0]


@pytest.mark.ngspice
def test_compile_cli_writes_a_netlist_ngspice_runs(run_cli, divider_path, tmp_path):
    run = run_cli("compile", divider_path, "--target", "ngspice", "-o", tmp_path)
    assert run.code == 0, run.stderr
    text = (tmp_path / "voltage_divider.cir").read_text()
    assert text.startswith("* memspec netlist of 'voltage_divider'")
    assert "Xm_top n_high n_out g_top memristor" in text


def test_compile_cli_rejects_an_unknown_target(run_cli, divider_path, tmp_path):
    run = run_cli("compile", divider_path, "--target", "xyce", "-o", tmp_path)
    assert run.code == 1
    assert "unknown netlist target 'xyce'" in run.stderr


def test_validate_cli_refuses_weights_trained_on_another_network(
    run_cli, make_divider, tmp_path
):
    (tmp_path / "trained.mem").write_text(dump(make_divider()))
    other = make_divider()
    other.edges[1].base, other.edges[1].tip = "low", "out"
    (tmp_path / "other.mem").write_text(dump(other))
    run = run_cli("validate", tmp_path / "other.mem", "--weights", tmp_path)
    assert run.code == 1
    assert "nodes and edges differ" in run.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--backends", "native"], "at least two different backends"),
        (["--backends", "native,native"], "at least two different backends"),
        (["--tolerance=-1mV"], "the tolerance must be positive"),
    ],
)
def test_validate_cli_refuses_a_check_that_compares_nothing(
    run_cli, divider_path, options, message
):
    run = run_cli("validate", divider_path, *options)
    assert run.code == 1
    assert message in run.stderr


@pytest.mark.ngspice
def test_validate_names_the_backend_that_meets_a_negative_conductance(
    run_cli, make_divider, tmp_path
):
    path = tmp_path / "invalid.mem"
    path.write_text(dump(make_divider(out={"pressure": 0.7 * BAR})))
    run = run_cli("validate", path, "--backends", "ngspice,native")
    assert run.code == 1
    assert run.stderr.startswith("error: [ngspice] edge 'bottom' leaves the model")
    assert "(mapping)" in run.stderr
