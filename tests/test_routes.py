"""The relaxation and the direct solve, compared at run time on request."""

import json

from memspec.models import Simulation
from memspec.network import Network
from memspec.solve.routes import check_routes

INPUTS = {"high": 5.0, "low": 0.0}


def test_routes_agree_on_a_pressured_divider(make_divider):
    network = Network.from_spec(make_divider(out={"pressure": 1.05e5}))
    notes = check_routes(network, INPUTS, Simulation())
    assert notes[0].startswith("relaxation and Newton agree to")
    assert len(notes) == 1


def test_routes_warn_where_the_relaxation_could_leave_the_validity_range(
    make_divider,
):
    # 0.3 bar against 5 V drives g_inf of the bottom edge through zero for
    # some dV within the span of the inputs (PHYSICS.md, validity range).
    spec = make_divider(out={"pressure": 0.7e5})
    settings = Simulation(on_invalid="clamp")
    notes = check_routes(Network.from_spec(spec), INPUTS, settings)
    assert any("g_inf <= 0" in note and "'bottom'" in note for note in notes)


def test_simulate_cli_prints_the_route_check(run_cli, tmp_path):
    spec = tmp_path / "divider.mem"
    spec.write_text(
        "network d\nnodes { high: input, low: input, out: output }\n"
        "edges { top: high -> out, bottom: out -> low }\n"
        "task mapping { inputs { high = 5 V, low = 0 V } targets { out = 4 V } }\n"
    )
    run = run_cli("simulate", spec, "--json", "--check-routes")
    assert run.code == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["nodes"]["out"] == 2.5
    assert result["notes"][0].startswith("relaxation and Newton agree")
