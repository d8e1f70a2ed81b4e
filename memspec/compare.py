"""Train one spec once per weight type and compare how each one learns.

`compare` writes, into its output directory, one training run per weight
type (a subdirectory each, as `memspec train --out` would), a combined cost
figure `cost.png`, and the table as `comparison.md` and `comparison.json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from memspec.models import WEIGHT_KINDS, Regression, Spec
from memspec.plot import save
from memspec.plot.history import FIGSIZE, cost_curves
from memspec.plot.run import read_history

THRESHOLD = 1e-3


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


def compare(
    spec: Spec,
    weights: Sequence[str] = WEIGHT_KINDS,
    out_dir: str | Path = "compare",
    *,
    steps: int | None = None,
    backend: str = "native",
    quiet: bool = True,
) -> Comparison:
    """Train `spec` once per weight type and write the comparison."""
    from memspec.training import train

    out_dir = Path(out_dir)
    regression = isinstance(spec.task, Regression)
    rows, curves = [], {}
    for weight in weights:
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
    save(_cost_figure(spec, curves), out_dir / "cost.png")
    (out_dir / "comparison.md").write_text(comparison.to_markdown())
    (out_dir / "comparison.json").write_text(
        json.dumps(comparison.to_json(), indent=2) + "\n"
    )
    return comparison


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
