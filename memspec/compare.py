"""Train one spec once per weight type and compare how each one learns.

`compare` writes, into its output directory (`runs/compare/NAME` unless
given), one training run per weight type (a subdirectory each, as
`memspec train --out` would), a combined cost figure `cost.png`, and the
table as `comparison.md` and `comparison.json`.

Every requested weight type is checked before any is trained, and the
figure and tables are written only once every run has finished: a failed
rerun leaves no comparison behind that claims older results.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from memspec.errors import TrainingError
from memspec.models import WEIGHT_KINDS, Regression, Spec
from memspec.plot import save
from memspec.plot.history import FIGSIZE, cost_curves
from memspec.plot.run import read_history

THRESHOLD = 1e-3
OUTPUTS = ("cost.png", "comparison.md", "comparison.json")


@dataclass(frozen=True)
class Row:
    weight: str
    steps: int
    initial_cost: float
    final_cost: float
    relative_cost: float
    steps_to_threshold: int | None  # first step with cost / start <= 1e-3
    seconds: float


@dataclass(frozen=True)
class Comparison:
    spec: str
    rows: list[Row]
    out_dir: Path

    def best(self) -> Row:
        return min(self.rows, key=lambda row: row.relative_cost)

    def to_json(self) -> dict:
        return {
            "spec": self.spec,
            "threshold": THRESHOLD,
            "rows": [asdict(row) for row in self.rows],
        }

    def to_markdown(self) -> str:
        lines = [
            "| weight | steps | final relative cost | steps to 1e-3 | seconds |",
            "|---|---:|---:|---:|---:|",
        ]
        for row in self.rows:
            reached = "-" if row.steps_to_threshold is None else row.steps_to_threshold
            lines.append(
                f"| {row.weight} | {row.steps} | {row.relative_cost:.3g} "
                f"| {reached} | {row.seconds:.1f} |"
            )
        return "\n".join(lines) + "\n"


def steps_to_threshold(steps: np.ndarray, relative: np.ndarray) -> int | None:
    below = np.flatnonzero(relative <= THRESHOLD)
    return int(steps[below[0]]) if below.size else None


def default_out_dir(spec: Spec) -> Path:
    """Where a comparison goes by default, next to train's `runs/NAME`."""
    return Path("runs") / "compare" / spec.name


def check_weights(spec: Spec, weights: Sequence[str]) -> list[str]:
    """The weight types to compare, each known, distinct and with a train block.

    Raises:
        TrainingError: naming the first weight type that cannot be trained.
    """
    from memspec.training.loop import trained_properties

    kinds = list(weights)
    if not kinds:
        raise TrainingError(
            f"no weight types to compare; give some of {', '.join(WEIGHT_KINDS)}"
        )
    repeated = sorted({kind for kind in kinds if kinds.count(kind) > 1})
    if repeated:
        raise TrainingError(
            f"weight type '{repeated[0]}' is asked for twice; each is trained once"
        )
    for kind in kinds:
        trained_properties(spec, kind)  # raises for an unknown kind or no block
    return kinds


def compare(
    spec: Spec,
    weights: Sequence[str] = WEIGHT_KINDS,
    out_dir: str | Path | None = None,
    *,
    steps: int | None = None,
    backend: str = "native",
    quiet: bool = True,
) -> Comparison:
    """Train `spec` once per weight type and write the comparison.

    Raises:
        TrainingError: a weight type is unknown, repeated or has no train
            block (checked before training), or a run fails.
    """
    from memspec.training import train

    kinds = check_weights(spec, weights)
    out_dir = default_out_dir(spec) if out_dir is None else Path(out_dir)
    for name in OUTPUTS:
        (out_dir / name).unlink(missing_ok=True)
    regression = isinstance(spec.task, Regression)
    rows, curves = [], {}
    for weight in kinds:
        run_dir = out_dir / weight
        result = train(
            spec,
            backend=backend,
            steps=steps,
            weight=weight,
            out_dir=run_dir,
            quiet=quiet,
        )
        _, curve_steps, relative = cost_curves(
            read_history(run_dir / "history.csv"), regression
        )[0]
        curves[weight] = (curve_steps, relative)
        rows.append(
            Row(
                weight=weight,
                steps=result.steps,
                initial_cost=result.initial_cost,
                final_cost=result.final_cost,
                relative_cost=result.relative_cost,
                steps_to_threshold=steps_to_threshold(curve_steps, relative),
                seconds=result.seconds,
            )
        )

    comparison = Comparison(spec.name, rows, out_dir)
    figure = out_dir / "cost.tmp.png"
    save(_cost_figure(spec, curves), figure)
    _write_atomic(
        out_dir / "comparison.json", json.dumps(comparison.to_json(), indent=2) + "\n"
    )
    _write_atomic(out_dir / "comparison.md", comparison.to_markdown())
    os.replace(figure, out_dir / "cost.png")
    return comparison


def _write_atomic(path: Path, text: str) -> None:
    partial = path.with_suffix(path.suffix + ".tmp")
    partial.write_text(text)
    os.replace(partial, path)


def _cost_figure(spec: Spec, curves: dict[str, tuple]):
    from matplotlib.figure import Figure

    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    for weight, (steps, relative) in curves.items():
        ax.plot(steps, relative, label=weight)
    ax.axhline(THRESHOLD, color="grey", linestyle=":", label=f"{THRESHOLD:g}")
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    what = "test cost" if isinstance(spec.task, Regression) else "cost"
    ax.set_ylabel(f"relative {what} C / C(start) [1]")
    ax.set_title(f"{spec.name}: one run per weight type")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="weight")
    return fig
