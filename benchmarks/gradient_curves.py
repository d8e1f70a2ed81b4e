"""Cost curves of one task trained with forward, central and adjoint gradients.

    python benchmarks/gradient_curves.py [SPEC] [--steps N] [--out PNG]

Trains the spec (default: the divider, on its own weights and learning rate)
once per gradient method, all on the native Newton solver so that every
forward pass is exact to rounding, and plots cost against step on a log
scale into docs/gradient_curves.png. It prints the final cost of each run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import memspec  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
METHODS = [
    ("forward", "forward differences, dw = w0/1000 (published)", "-"),
    ("central", "central differences, dw = w0/1000", "--"),
    ("adjoint", "adjoint (exact)", ":"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", default=ROOT / "specs/voltage_divider.mem")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/gradient_curves.png")
    args = parser.parse_args()

    spec = memspec.load(args.spec)
    settings = spec.simulation.model_copy(update={"solver": "newton"})
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for method, label, style in METHODS:
        training = spec.training.model_copy(update={"gradient": method})
        variant = spec.model_copy(update={"training": training, "simulation": settings})
        run = memspec.train(variant, steps=args.steps, quiet=True)
        # Exact zeros cannot go on a log axis; they sit at the rounding floor.
        costs = [max(c, 1e-32) for c in run.costs]
        ax.semilogy(costs, style, label=label)
        print(
            f"{method:8s} final cost {run.final_cost:.3e}  "
            f"relative {run.relative_cost:.3e}  {run.seconds:.2f} s"
        )
    ax.set_xlabel("training step")
    ax.set_ylabel("cost C = sum (V - V_target)^2  [V^2]")
    ax.set_title(f"{spec.name}: gradient methods, native Newton forward pass")
    ax.legend()
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
