"""The `memspec` command line.

Each command is a small function on `app` that calls the Python API and
prints. Errors travel up as `MemspecError`; only `main()` catches them,
prints `render()` to stderr and exits 1 (`--debug` shows the traceback).
To add a command, define another `@app.command()` function here.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from memspec.errors import MemspecError

app = typer.Typer(
    name="memspec",
    help="Describe, simulate and train networks of conical memristors.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Long lines stay whole when output is piped, so that logs can be grepped.
console = Console(soft_wrap=True)
_state = {"debug": False}

Files = Annotated[list[Path], typer.Argument(help="One or more .mem files.")]
File = Annotated[Path, typer.Argument(help="A .mem file.")]
BackendOption = Annotated[
    str, typer.Option("--backend", "-b", help="native, ngspice or ahkab.")
]


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of errors.")
    ] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def check(files: Files) -> None:
    """Check that spec files are valid; exit 1 if any is not."""
    from memspec.parser import load

    failed = False
    for path in files:
        # Every file is checked, so one run reports all broken files.
        try:
            spec = load(path)
        except MemspecError as error:
            print(error.render(), file=sys.stderr)
            failed = True
            continue
        nodes, edges = _count(spec.nodes, "node"), _count(spec.edges, "edge")
        console.print(f"{path}: ok ({nodes}, {edges}, task {spec.task.kind})")
    if failed:
        raise typer.Exit(1)


@app.command()
def simulate(
    file: File,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    backend: BackendOption = "native",
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", "-i", help="Impose NODE=VOLTS (repeatable)."),
    ] = None,
    check_routes: Annotated[
        bool,
        typer.Option(
            "--check-routes",
            help="Also relax and solve directly; note whether they agree.",
        ),
    ] = False,
) -> None:
    """Relax a network to its steady state and print voltages and currents.

    The inputs are the task's: the mapping, the last stage of a schedule, or
    the middle of a regression's input range; --input overrides them.
    """
    from memspec.api import simulate as run_simulation
    from memspec.parser import load

    spec = load(file)
    result = run_simulation(
        spec,
        backend=backend,
        inputs=_parse_inputs(inputs),
        check_routes=check_routes,
    )
    if as_json:
        print(json.dumps(result.to_json(), indent=2))
        return
    _print_simulation(spec, result)


@app.command()
def train(
    file: File,
    weight: Annotated[
        str | None,
        typer.Option(
            "--weight",
            "-w",
            help="Train this property (pressure, concentration, length, "
            "base_radius) instead of the spec's choice.",
        ),
    ] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", "-n", help="Number of steps.", min=1)
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output directory; runs/NAME by default."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress.")] = False,
    backend: BackendOption = "native",
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the run in --out.")
    ] = False,
    plot: Annotated[
        bool, typer.Option("--plot", help="Draw the run's figures at the end.")
    ] = False,
) -> None:
    """Train a network on its task; write history.csv, result.json, trained.mem."""
    from memspec.parser import load
    from memspec.training import train as run_training

    spec = load(file)
    out = out or Path("runs") / spec.name
    try:
        result = run_training(
            spec,
            backend=backend,
            steps=steps,
            weight=weight,
            out_dir=out,
            resume=resume,
            quiet=quiet,
        )
    except KeyboardInterrupt:
        again = _command_line(file, weight, steps, out, backend)
        print(
            f"interrupted; {out / 'history.csv'} holds every finished step.\n"
            f"resume with: {again} --resume",
            file=sys.stderr,
        )
        raise typer.Exit(130) from None
    if not quiet:
        cost = f"{result.initial_cost:.4g} -> {result.final_cost:.4g}"
        console.print(
            f"trained {', '.join(result.weights)} for {result.steps} steps in "
            f"{result.seconds:.2f} s: cost {cost} "
            f"(relative {result.relative_cost:.3g})"
        )
        volts = ", ".join(f"{n} = {v:.4f} V" for n, v in result.outputs.items())
        console.print(f"outputs: {volts}")
        console.print(f"wrote {out}/history.csv, result.json, trained.mem")
    if plot:
        _plot_run(out, backend, quiet)


@app.command("plot")
def plot_(
    directory: Annotated[
        Path, typer.Argument(help="A directory written by memspec train.")
    ],
    backend: BackendOption = "native",
) -> None:
    """Draw the figures of a training run as PNG files in its directory."""
    _plot_run(directory, backend, quiet=False)


@app.command()
def compare(
    file: File,
    weights: Annotated[
        str,
        typer.Option("--weights", help="Comma-separated weight types, one run each."),
    ] = "pressure,concentration,length,base_radius",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output directory; runs/compare/NAME by default."
        ),
    ] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", "-n", help="Number of steps.", min=1)
    ] = None,
    backend: BackendOption = "native",
) -> None:
    """Train a spec once per weight type; write a cost figure and a table."""
    from memspec.compare import compare as run_comparison
    from memspec.compare import default_out_dir
    from memspec.parser import load

    spec = load(file)
    out = out or default_out_dir(spec)
    kinds = [w.strip() for w in weights.split(",") if w.strip()]
    comparison = run_comparison(spec, kinds, out, steps=steps, backend=backend)
    print(comparison.to_markdown(), end="")
    console.print(f"wrote {out}/cost.png, comparison.md, comparison.json")


@app.command("compile")
def compile_(
    file: File,
    target: Annotated[
        str, typer.Option("--target", "-t", help="ngspice or ahkab.")
    ] = "ngspice",
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(
        "netlists"
    ),
) -> None:
    """Write the spec as a netlist the simulator runs unchanged."""
    from memspec.netlist import compile_spec
    from memspec.parser import load

    path = compile_spec(load(file), target, out)
    console.print(f"wrote {path}")


@app.command()
def validate(
    file: File,
    backends: Annotated[
        str, typer.Option("--backends", help="Comma-separated backends.")
    ] = "native,ngspice,ahkab",
    tolerance: Annotated[
        str, typer.Option("--tolerance", help="Largest deviation allowed.")
    ] = "1mV",
    weights: Annotated[
        Path | None,
        typer.Option(
            "--weights", help="A train output directory of FILE: use its trained.mem."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Relax the spec on several backends; exit 1 if their voltages disagree."""
    from memspec.parser import load
    from memspec.validation import trained_on
    from memspec.validation import validate as run_validation

    spec = load(file)
    if weights is not None:
        spec = trained_on(spec, load(weights / "trained.mem"))
    names = [name.strip() for name in backends.split(",") if name.strip()]
    report = run_validation(spec, names, _volts(tolerance))
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        _print_validation(report)
    if not report.passed:
        raise typer.Exit(1)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `memspec` console script.

    Usage errors are typer's to report (exit 2); memspec's own errors are
    rendered here, without a traceback unless --debug is given.
    """
    try:
        app(args=argv, prog_name="memspec")
    except MemspecError as error:
        if _state["debug"]:
            raise
        print(error.render(), file=sys.stderr)
        sys.exit(1)


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _parse_inputs(items: list[str] | None) -> dict[str, float] | None:
    if not items:
        return None
    parsed = {}
    for item in items:
        name, sep, volts = item.partition("=")
        try:
            parsed[name.strip()] = float(volts.removesuffix("V").strip())
        except ValueError:
            sep = ""
        if not sep:
            raise MemspecError(
                f"--input needs NODE=VOLTS, as in 'high=5', not '{item}'"
            )
    return parsed


def _print_simulation(spec, result) -> None:
    if spec.simulation.solver == "newton":
        state = "steady state solved directly (newton)"
    elif result.settled:
        state = f"settled after {result.time * 1e3:.4g} ms of relaxation"
    else:
        state = f"NOT settled after {result.time * 1e3:.4g} ms of relaxation"
    console.print(f"{spec.name}: {state} ({result.backend})")
    nodes = Table("node", "role", escape("V [V]"))
    for node in spec.nodes:
        nodes.add_row(node.name, node.role, f"{result.voltage(node.name):.6f}")
    units = ("g [pS]", "g/g0", "I [pA]", "dV [V]")
    edges = Table("edge", "base -> tip", *(escape(u) for u in units))
    for k, edge in enumerate(spec.edges):
        edges.add_row(
            edge.name,
            f"{edge.base} -> {edge.tip}",
            f"{result.conductance[k] * 1e12:.5g}",
            f"{result.g_over_g0[k]:.6f}",
            f"{result.current[k] * 1e12:.5g}",
            f"{result.dV[k]:.6f}",
        )
    console.print(nodes, edges)
    for note in result.notes:
        console.print(f"note: {note}")


def _volts(text: str) -> float:
    """A voltage such as '1mV' or '0.5 mV'; a bare number is in volts."""
    from memspec.units import UnitError, convert

    number, unit = re.fullmatch(r"\s*([-+0-9.eE]*)\s*(.*?)\s*", text).groups()
    try:
        return convert(number or "1", unit or "V", "V")
    except (UnitError, ArithmeticError) as error:
        message = f"--tolerance needs a voltage such as 1mV: {error}"
        raise MemspecError(message) from None


def _print_validation(report) -> None:
    deviation, case, node = report.largest
    table = Table("case", "node", *report.backends, "deviation")
    for c in report.cases:
        for i, name in enumerate(report.node_names):
            volts = [f"{c.voltages[b][i]:.9f}" for b in report.backends]
            table.add_row(c.label, name, *volts, f"{c.deviation[i]:.3g}")
    console.print(table)
    verdict = "passed" if report.passed else "FAILED"
    console.print(
        f"{report.spec}: {verdict}: largest deviation {deviation:.3g} V "
        f"({node}, {case}); tolerance {report.tolerance:g} V"
    )


def _plot_run(directory: Path, backend: str, quiet: bool) -> None:
    from memspec.plot import plot_run

    written = plot_run(directory, backend=backend)
    if not quiet:
        console.print(f"wrote {', '.join(str(p) for p in written)}")


def _command_line(file, weight, steps, out, backend) -> str:
    parts = ["memspec train", str(file), f"--out {out}"]
    if weight:
        parts.append(f"--weight {weight}")
    if steps is not None:
        parts.append(f"--steps {steps}")
    if backend != "native":
        parts.append(f"--backend {backend}")
    return " ".join(parts)


if __name__ == "__main__":
    main()
