"""Run every experiment of docs/reproduction.md and rewrite its tables.

    python benchmarks/reproduce.py [--out DIR]

Each experiment is the `memspec` command printed next to it in the document;
this script runs the same Python API, copies the figures into docs/figures/
and rewrites each measured table of docs/reproduction.md in place, between
its `<!-- KEY:begin -->` and `<!-- KEY:end -->` markers. The runs go into a
temporary directory, removed at the end, unless `--out` names one to keep.
It takes about four minutes on one core.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from memspec.compare import compare
from memspec.models import WEIGHT_KINDS
from memspec.parser import load
from memspec.plot import plot_run
from memspec.plot.run import read_history
from memspec.training import train

ROOT = Path(__file__).parent.parent
PAPER = ROOT / "specs" / "paper"
FIGURES = ROOT / "docs" / "figures"


def divider(out: Path) -> list[str]:
    lines = [
        "| weight | steps | relative cost | V(out) [V] | overshoot [mV] | seconds |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind in WEIGHT_KINDS:
        run = out / f"divider_{kind}"
        result = train(load(PAPER / f"divider_{kind}.mem"), out_dir=run, quiet=True)
        volts = read_history(run / "history.csv").voltages["out"]
        overshoot = max(0.0, volts.max() - 4.0) * 1e3
        lines.append(
            f"| {kind} | {result.steps} | {result.relative_cost:.2e} "
            f"| {result.outputs['out']:.4f} | {overshoot:.2f} | {result.seconds:.1f} |"
        )
    plot_run(out / "divider_pressure")
    keep(out / "divider_pressure", "divider_pressure", ["outputs", "characteristic"])
    return lines


def retrain(out: Path) -> list[str]:
    run = out / "divider_retrain"
    spec = load(PAPER / "divider_retrain.mem")
    train(spec, out_dir=run, quiet=True)
    history = read_history(run / "history.csv")
    lines = ["| stage | target [V] | V(out) at end of stage [V] | error [mV] |"]
    lines.append("|---:|---:|---:|---:|")
    for k, stage in enumerate(spec.task.stages):
        wanted = stage.targets["out"]
        volts = history.voltages["out"][history.stage == str(k)][-1]
        lines.append(
            f"| {k + 1} | {wanted:g} | {volts:.4f} | {(volts - wanted) * 1e3:.2f} |"
        )
    plot_run(run)
    keep(run, "divider_retrain", ["outputs", "weights"])
    return lines


def comparison(out: Path, name: str) -> list[str]:
    result = compare(load(PAPER / f"{name}.mem"), WEIGHT_KINDS, out / name)
    shutil.copy(out / name / "cost.png", FIGURES / f"{name}_compare.png")
    best = result.best().weight
    plot_run(out / name / best)
    keep(out / name / best, f"{name}_{best}", ["graph", "characteristic", "regression"])
    (out / name / "comparison.json").write_text(json.dumps(result.to_json(), indent=2))
    table = result.to_markdown().splitlines()
    if name.startswith("regression"):
        table = regression_table(result.rows)
    return [*table, "", f"best: {best}"]


def regression_table(rows) -> list[str]:
    """The comparison with the test costs themselves, not only their ratio."""
    lines = [
        "| weight | steps | test cost at start [V^2] | at end [V^2] "
        "| relative | steps to 1e-3 | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        reached = "-" if row.steps_to_threshold is None else row.steps_to_threshold
        lines.append(
            f"| {row.weight} | {row.steps} | {row.initial_cost:.3g} "
            f"| {row.final_cost:.3g} | {row.relative_cost:.3g} | {reached} "
            f"| {row.seconds:.1f} |"
        )
    return lines


def keep(run: Path, prefix: str, names: list[str]) -> None:
    for name in names:
        if (run / f"{name}.png").exists():
            shutil.copy(run / f"{name}.png", FIGURES / f"{prefix}_{name}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="keep the runs here")
    out = parser.parse_args().out
    if out is None:
        with tempfile.TemporaryDirectory() as tmp:
            reproduce(Path(tmp))
    else:
        reproduce(out)


def reproduce(out: Path) -> None:
    """Run every experiment into `out` and rewrite the document's tables."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    tables = {
        "divider": divider(out),
        "retrain": retrain(out),
        "mapping": comparison(out, "mapping_9n15e"),
        "regression_published": comparison(out, "regression_10n17e_published"),
        "flipped_published": comparison(out, "regression_10n17e_flipped_published"),
        "regression": comparison(out, "regression_10n17e"),
        "flipped": comparison(out, "regression_10n17e_flipped"),
    }
    doc = ROOT / "docs" / "reproduction.md"
    text = doc.read_text()
    for key, lines in tables.items():
        text = replace_table(text, key, lines)
    doc.write_text(text)
    for key, lines in tables.items():
        print(f"{key}:", *lines, "", sep="\n")


def replace_table(text: str, key: str, lines: list[str]) -> str:
    """`text` with the lines between the markers of `key` replaced."""
    begin, end = f"<!-- {key}:begin -->", f"<!-- {key}:end -->"
    if begin not in text or end not in text:
        raise SystemExit(f"docs/reproduction.md has no {begin} ... {end} markers")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return head + begin + "\n" + "\n".join(lines).strip() + "\n" + end + tail


if __name__ == "__main__":
    main()
