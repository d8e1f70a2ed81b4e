"""The ahkab backend: memristor networks solved by the ahkab circuit simulator.

ahkab has no element that holds a conductance as a state, so the relaxation
of `shared/PHYSICS.md` ("Dynamics") is stepped here: each explicit Euler step
is an ahkab operating point (`.op`) of the network with linear conductances
g, then `g += dt (g_inf - g) / tau` with g_inf from `memspec.physics`, from
g = g0 until `|g_inf - g| <= settle_tolerance * g0` on every edge, or until
`max_time` (then `settled` is False). This is what `simulate` runs, and what
`trace=True` records.

The steady state can also be found directly, as the `.op` of the static
characteristic `i = g_inf(dV) dV`, with memspec's memristor element inside
ahkab's Newton iteration (`steady_state`, or `simulate` when the settings ask
for solver = newton). Both routes read a netlist written by
`memspec.netlist.ahkab` through ahkab's own parser.

Each run writes its netlist into a fresh temporary directory. The directory
is deleted after a successful run and kept when the run fails, and the error
names it. Failures are translated in one place, `_translated`.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from memspec.backends._ahkab_compat import load_ahkab
from memspec.backends.base import Backend, SimulationResult, Trace
from memspec.errors import (
    ConvergenceError,
    MemspecError,
    PhysicsError,
    SimulationFailed,
)
from memspec.models import Simulation
from memspec.netlist.ahkab import SCALE, labels, write_netlist
from memspec.network import Network, Parameters
from memspec.physics import steady_ratio
from memspec.solve.relax import check_step

NAME = "ahkab"


class AhkabBackend(Backend):
    """Runs every Kirchhoff solve through ahkab's operating-point analysis.

    Args:
        timeout: wall-clock seconds a single `simulate` may take.
        workdir: where run directories are made; the system's temporary
            directory by default.
    """

    name = NAME

    def __init__(self, timeout: float = 120.0, workdir: str | Path | None = None):
        self.timeout = timeout
        self.workdir = workdir

    def available(self) -> bool:
        try:
            load_ahkab()
        except Exception:  # any failure to import means "not here"
            return False
        return True

    def simulate(
        self,
        network: Network,
        inputs: Mapping[str, float],
        settings: Simulation,
        parameters: Parameters | None = None,
        *,
        trace: bool = False,
    ) -> SimulationResult:
        if settings.solver == "newton" and not trace:
            return self.steady_state(network, inputs, settings, parameters)
        return self.relax(network, inputs, settings, parameters, trace=trace)

    def relax(
        self,
        network: Network,
        inputs: Mapping[str, float],
        settings: Simulation,
        parameters: Parameters | None = None,
        *,
        trace: bool = False,
    ) -> SimulationResult:
        """Euler relaxation from g = g0, one ahkab `.op` per step."""
        p = _single(parameters or network.parameters)
        _check_network(network, inputs)
        model = _Model(network, inputs, p)
        check_step(network, model.channels, settings, backend=NAME)

        with _Run(self.timeout, self.workdir) as run:
            g = model.g0.copy()
            netlist = run.write(
                "relax.ckt", write_netlist(network, inputs, p, conductance=g)
            )
            circuit = run.parse(netlist)
            resistors = [circuit.get_elem_by_name("r" + e[1:]) for e in model.edges]
            max_steps = int(round(settings.max_time / settings.dt))
            rate = settings.dt / model.tau
            records: list[tuple[float, np.ndarray, np.ndarray]] = []
            clamped: set[int] = set()
            step, settled = 0, False
            while True:
                for resistor, value in zip(resistors, g, strict=True):
                    resistor.g = value * SCALE
                # On failure the run keeps this step's netlist for the user.
                keep = partial(write_netlist, network, inputs, p, conductance=g)
                volts = model.pin(run.op(circuit, model.nodes, keep))
                dv = volts[network.base] - volts[network.tip]
                ratio = _checked(network, settings, model.ratio(dv), dv, p, clamped)
                g_inf = ratio * model.g0
                if trace:
                    records.append((step * settings.dt, volts, g.copy()))
                if np.max(np.abs(g_inf - g) / model.g0) <= settings.settle_tolerance:
                    settled = True
                    break
                if step == max_steps:
                    break
                g = g + rate * (g_inf - g)
                step += 1

        notes = [
            f"g_inf of edge '{network.edge_names[e]}' fell to or below zero and was "
            f"clamped at {settings.conductance_floor:g} g0"
            for e in sorted(clamped)
        ]
        return _result(
            network,
            model,
            volts,
            g,
            dv,
            settled,
            step * settings.dt,
            _trace(records),
            notes,
        )

    def steady_state(
        self,
        network: Network,
        inputs: Mapping[str, float],
        settings: Simulation,
        parameters: Parameters | None = None,
    ) -> SimulationResult:
        """The `.op` of the static characteristic i = g_inf(dV) dV."""
        p = _single(parameters or network.parameters)
        _check_network(network, inputs)
        model = _Model(network, inputs, p)
        with _Run(self.timeout, self.workdir) as run:
            text = write_netlist(network, inputs, p)
            netlist = run.write("steady.ckt", text)
            circuit = run.parse(netlist)
            for label in model.edges:
                circuit.get_elem_by_name(label).deadline = run.deadline
            volts = model.pin(run.op(circuit, model.nodes))
            dv = volts[network.base] - volts[network.tip]
            ratio = _checked(network, settings, model.ratio(dv), dv, p, None)
        g = ratio * model.g0
        return _result(network, model, volts, g, dv, True, 0.0, None, [])


class _Model:
    """The per-edge constants of one network, and g_inf/g0 from the physics."""

    def __init__(self, network: Network, inputs: Mapping[str, float], p: Parameters):
        self.inputs = network.inputs
        self.imposed = np.array([inputs[network.node_names[i]] for i in self.inputs])
        names = labels(network)
        self.nodes, self.edges = names.nodes, names.edges
        self.channels = network.channels(p)
        _, self.dp, self.drho, self.rho_base = network.stimuli(
            np.zeros(network.n_nodes), p
        )
        self.g0 = self.channels.ohmic_conductance(self.rho_base)
        self.tau = np.broadcast_to(self.channels.time_constant, self.g0.shape)

    def pin(self, volts: np.ndarray) -> np.ndarray:
        """ahkab's node voltages with the inputs at exactly their imposed value.

        ahkab solves for the source nodes too and leaves rounding noise there
        (1e-28 V at a 0 V input); the model defines them as imposed.
        """
        volts[self.inputs] = self.imposed
        return volts

    def ratio(self, dv: np.ndarray) -> np.ndarray:
        return steady_ratio(self.channels, dv, self.dp, self.drho, self.rho_base).ratio


class _Run:
    """One simulation: a run directory, a deadline and ahkab's captured output."""

    def __init__(self, timeout: float, workdir: str | Path | None):
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.directory = Path(tempfile.mkdtemp(prefix="memspec-ahkab-", dir=workdir))
        self.output = io.StringIO()
        self.netlist: Path | None = None
        self.ahkab: ModuleType = load_ahkab()

    def __enter__(self) -> _Run:
        return self

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if error is None:
            shutil.rmtree(self.directory, ignore_errors=True)
            return
        if not isinstance(error, MemspecError):
            raise _translate(error, self) from error
        if isinstance(error, SimulationFailed | ConvergenceError):
            return  # already names the kept netlist
        shutil.rmtree(self.directory, ignore_errors=True)

    def write(self, name: str, text: str) -> Path:
        path = self.directory / name
        path.write_text(text, encoding="utf-8")
        self.netlist = path
        return path

    def parse(self, path: Path) -> Any:
        with self._quiet():
            circuit, _, _ = self.ahkab.netlist_parser.parse_circuit(str(path))
        return circuit

    def op(
        self,
        circuit: Any,
        nodes: tuple[str, ...],
        failed: Callable[[], str] | None = None,
    ) -> np.ndarray:
        """Node voltages (N,) of one `.op`.

        `failed()` gives the netlist to keep if this `.op` fails, when it is
        not the one last written (a relaxation step changes conductances).
        """
        try:
            if time.monotonic() > self.deadline:
                raise TimeoutError
            with self._quiet():
                solution = self.ahkab.dc_analysis.op_analysis(circuit, verbose=0)
        except BaseException:
            self._keep(failed)
            raise
        if solution is None:
            self._keep(failed)
            raise ConvergenceError(
                "ahkab's operating-point analysis did not converge"
                + _last_words(self.output),
                backend=NAME,
                netlist=self.netlist,
            )
        index = [circuit.ext_node_to_int(n) - 1 for n in nodes]
        return np.array([float(solution.x[i, 0]) for i in index])

    def _keep(self, failed: Callable[[], str] | None) -> None:
        if failed is not None:
            self.write("failed.ckt", failed())

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        # ahkab prints progress and errors; keep them for error messages.
        with (
            contextlib.redirect_stdout(self.output),
            contextlib.redirect_stderr(self.output),
        ):
            yield


def _translate(error: BaseException, run: _Run) -> MemspecError:
    """The memspec error for anything ahkab raised: the one place for this."""
    parse_error = run.ahkab.netlist_parser.NetlistParseError
    if isinstance(error, TimeoutError):
        return SimulationFailed(
            f"ahkab did not finish within the timeout of {run.timeout:g} s",
            backend=NAME,
            netlist=run.netlist,
        )
    if isinstance(error, parse_error):
        what = "ahkab could not parse the netlist"
    elif isinstance(error, np.linalg.LinAlgError):
        what = "ahkab met a singular circuit matrix"
    else:
        what = f"ahkab failed with {type(error).__name__}"
    detail = str(error).strip()
    message = what + (f": {detail}" if detail else "") + _last_words(run.output)
    return SimulationFailed(message, backend=NAME, netlist=run.netlist)


def _last_words(output: io.StringIO) -> str:
    lines = [line.strip() for line in output.getvalue().splitlines() if line.strip()]
    return f"; its last message was: {lines[-1]}" if lines else ""


def _single(p: Parameters) -> Parameters:
    if p.batch_shape:
        raise MemspecError(
            "the ahkab backend simulates one network at a time; "
            "solve_batch runs batches member by member"
        )
    return p


def _check_network(network: Network, inputs: Mapping[str, float]) -> None:
    """Every input has a voltage, and every node is connected to an input.

    ahkab would not notice a floating node: its gmin conductances pin it at
    0 V, a voltage the model does not define.
    """
    inputs_named = {network.node_names[i] for i in network.inputs}
    unknown = sorted(set(inputs) - inputs_named)
    if unknown:
        raise MemspecError(
            f"cannot impose a voltage on {', '.join(unknown)}: not an input node"
        )
    missing = sorted(inputs_named - set(inputs))
    if missing:
        raise MemspecError(f"no voltage given for input node(s) {', '.join(missing)}")

    graph = coo_matrix(
        (np.ones(network.n_edges), (network.base, network.tip)),
        shape=(network.n_nodes, network.n_nodes),
    )
    _, component = connected_components(graph, directed=False)
    driven = np.isin(component, component[network.inputs])
    floating = [network.node_names[i] for i in np.nonzero(~driven)[0]]
    if floating:
        raise MemspecError(
            f"node(s) {', '.join(floating)} are not connected to any input, so "
            "their voltage is undefined"
        )


def _checked(
    network: Network,
    settings: Simulation,
    ratio: np.ndarray,
    dv: np.ndarray,
    p: Parameters,
    clamped: set[int] | None,
) -> np.ndarray:
    """Stop at, or clamp, a non-positive g_inf (PHYSICS.md, "Validity range").

    `clamped` collects the clamped edges; None means the caller cannot clamp
    (the static `.op` has already solved with the unclamped characteristic).
    """
    bad = np.nonzero(ratio <= 0)[0]
    if not len(bad):
        return ratio
    if clamped is not None and settings.on_invalid == "clamp":
        clamped.update(bad.tolist())
        return np.maximum(ratio, settings.conductance_floor)
    e = int(bad[0])
    b, t = network.base[e], network.tip[e]
    dp = p.pressure[b] - p.pressure[t]
    drho = p.concentration[b] - p.concentration[t]
    fix = (
        "Set on_invalid = clamp in the simulation settings to floor it instead"
        if clamped is not None
        else "The static .op cannot floor it; use solver = relax with "
        "on_invalid = clamp for that"
    )
    raise PhysicsError(
        f"edge '{network.edge_names[e]}' leaves the model's validity range on "
        f"ahkab: g_inf/g0 = {ratio[e]:.3g} at dV = {dv[e]:.4g} V, "
        f"dP = {dp / 1e5:.4g} bar, drho = {drho:.4g} mM; a negative conductance "
        f"is not physical. {fix}"
    )


def _trace(records: list[tuple[float, np.ndarray, np.ndarray]]) -> Trace | None:
    if not records:
        return None
    times, volts, g = zip(*records, strict=True)
    return Trace(np.array(times), np.array(volts), np.array(g))


def _result(
    network: Network,
    model: _Model,
    volts: np.ndarray,
    g: np.ndarray,
    dv: np.ndarray,
    settled: bool,
    elapsed: float,
    trace: Trace | None,
    notes: list[str],
) -> SimulationResult:
    return SimulationResult(
        backend=NAME,
        settled=settled,
        time=elapsed,
        node_names=network.node_names,
        edge_names=network.edge_names,
        voltages=volts,
        conductance=g,
        g_over_g0=g / model.g0,
        current=g * dv,
        dV=dv,
        trace=trace,
        notes=notes,
    )


def run_netlist(path: str | Path, verbose: int = 3) -> dict[str, Any]:
    """Run a netlist file through ahkab's own entry point, shims loaded.

    This is how a user runs a netlist from `memspec compile --target ahkab`
    by hand: `python -m memspec.backends.ahkab FILE` prints ahkab's report.
    """
    return load_ahkab().main(str(path), outfile="stdout", verbose=verbose)


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: python -m memspec.backends.ahkab NETLIST")
    for solution in run_netlist(sys.argv[1]).values():
        print(solution)
