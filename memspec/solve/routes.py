"""The two routes to the steady state, side by side.

PHYSICS.md asks that the relaxation (the paper's forward pass) and the direct
solve of Kirchhoff's law with i = g_inf(dV) dV reach the same state. They
can part ways only if the static problem has several solutions or the
relaxation passes through g_inf <= 0; `newton.steady_notes` says when that
could happen, and this module measures whether it did.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from memspec.models import Simulation
from memspec.network import Network, Parameters
from memspec.solve.newton import solve_steady, steady_notes
from memspec.solve.relax import relax

AGREEMENT = 1e-6  # V: routes closer than this are taken to agree


def check_routes(
    network: Network,
    inputs: Mapping[str, float],
    settings: Simulation,
    parameters: Parameters | None = None,
) -> list[str]:
    """Relax and solve directly; return notes on how far the two states differ."""
    relaxed = relax(network, inputs, settings, parameters)
    direct = solve_steady(network, inputs, settings, parameters)
    deviation = float(np.max(np.abs(relaxed.voltages - direct), initial=0.0))
    if deviation <= AGREEMENT:
        notes = [f"relaxation and Newton agree to {deviation:.2g} V"]
    else:
        notes = [
            f"relaxation and Newton differ by {deviation:.3g} V: the network may "
            "have several steady states; the relaxation's is the physical one"
        ]
    if not relaxed.settled:
        notes.append(
            f"the relaxation had not settled after {relaxed.time:g} s (max_time)"
        )
    return notes + steady_notes(network, inputs, settings, parameters)
