"""Figures of a training run, written as PNG files next to it.

`plot_run(directory)` reads what `memspec train` wrote and draws:

- cost.png            cost / start against step (log scale)
- weights.png         every trained weight against step, in its unit
- outputs.png         output voltages against step, with the targets
- relaxation.png      outputs relaxing in time at the trained weights
- characteristic.png  g_inf(dV) of each edge, steady state marked
- regression.png      output against V_in at start, middle, end (regression)
- graph.png           the network, edges as arrows base -> tip
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from memspec.backends import get_backend  # noqa: E402
from memspec.models import Regression  # noqa: E402
from memspec.plot.graph import graph_figure  # noqa: E402
from memspec.plot.history import (  # noqa: E402
    cost_figure,
    outputs_figure,
    weights_figure,
)
from memspec.plot.response import (  # noqa: E402
    characteristic_figure,
    regression_figure,
    relaxation_figure,
)
from memspec.plot.run import History, Run, load_run, read_history  # noqa: E402

DPI = 120


def save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=DPI)
    return path


def plot_run(directory: str | Path, backend: str = "native") -> list[Path]:
    """Draw every figure of a training output directory; returns the PNG paths."""
    run = load_run(directory)
    out = run.directory
    history, spec = run.history, run.spec
    simulator = get_backend(backend)
    regression = isinstance(spec.task, Regression)

    written = [
        save(cost_figure(history, regression), out / "cost.png"),
        save(weights_figure(history), out / "weights.png"),
        save(outputs_figure(history, spec), out / "outputs.png"),
    ]
    relaxation, results = relaxation_figure(spec, simulator)
    written.append(save(relaxation, out / "relaxation.png"))
    # The g_inf curves are drawn at the middle case of a regression.
    characteristic, _ = characteristic_figure(spec, results[len(results) // 2])
    written.append(save(characteristic, out / "characteristic.png"))
    if regression:
        figure, _ = regression_figure(spec, history, simulator)
        written.append(save(figure, out / "regression.png"))
    written.append(save(graph_figure(spec, history.weight_kinds()), out / "graph.png"))
    return written


__all__ = ["History", "Run", "load_run", "plot_run", "read_history"]
