"""Time the main job: train the divider once per weight type, as the README does.

    python benchmarks/main_job.py [SPEC]

Each run uses the spec's step count and its `train` block of that kind, on
the native backend, and writes into a temporary directory.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

import memspec
from memspec.models import WEIGHT_KINDS

DIVIDER = Path(__file__).resolve().parents[1] / "specs" / "voltage_divider.mem"


def main() -> None:
    spec = memspec.load(sys.argv[1] if len(sys.argv) > 1 else DIVIDER)
    table = Table(
        "weight", "M", "steps", "seconds", "ms/step", "relative cost", "V_out"
    )
    total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for kind in WEIGHT_KINDS:
            started = time.perf_counter()
            run = memspec.train(spec, weight=kind, out_dir=Path(tmp) / kind, quiet=True)
            seconds = time.perf_counter() - started
            total += seconds
            outputs = ", ".join(f"{v:.4f}" for v in run.outputs.values())
            table.add_row(
                kind,
                str(len(run.weights)),
                str(run.steps),
                f"{seconds:.2f}",
                f"{1e3 * seconds / max(run.steps, 1):.1f}",
                f"{run.relative_cost:.2e}",
                outputs,
            )
    table.add_row("all four", "", "", f"{total:.2f}", "", "", "")
    Console().print(table)


if __name__ == "__main__":
    main()
