"""The ngspice backend: each simulation is one `ngspice -b` subprocess.

A batch subprocess, not the shared library, because training runs thousands
of simulations in one Python process: a process per run cannot leak memory
into ours, cannot be left in a broken state by a failed run, and can be
killed on a timeout. Starting ngspice costs about 15 ms, the same order as
the solve itself (docs/spice.md).

The steady state is ngspice's `.op` on the static characteristic, which
`shared/PHYSICS.md` says is where the relaxation ends; with `trace=True` a
`.tran` from g = g0 adds the relaxation in time. Results are read from
ASCII raw files, which keep every digit.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from memspec.backends.base import Backend, SimulationResult, Trace, _broadcast_flat
from memspec.errors import PhysicsError, SimulationFailed
from memspec.models import Simulation
from memspec.netlist.ngspice import NgspiceWriter
from memspec.network import Network, Parameters
from memspec.physics import steady_ratio
from memspec.solve.relax import input_voltages

_NOISE = ("Note: No compatibility mode selected!", 'Note: No ".plot"')


class NgspiceBackend(Backend):
    """Runs each network through ngspice in batch mode.

    Args:
        timeout: seconds one ngspice run may take before it is killed.
        workdir: where run directories go; a temporary one by default. A
            run's directory is removed on success and kept on failure.
    """

    name = "ngspice"

    def __init__(self, timeout: float = 60.0, workdir: Path | None = None):
        self.timeout = timeout
        self.workdir = workdir

    def available(self) -> bool:
        return shutil.which("ngspice") is not None

    def simulate(
        self,
        network: Network,
        inputs: Mapping[str, float],
        settings: Simulation,
        parameters: Parameters | None = None,
        *,
        trace: bool = False,
    ) -> SimulationResult:
        p = parameters or network.parameters
        input_voltages(network, inputs)
        writer = NgspiceWriter(network, inputs, settings, p)
        vectors = writer.node_vectors() + writer.state_vectors()
        control = ["set filetype=ascii", "op", "write op.raw"]
        if trace:
            # Let ngspice take long steps once settled; `linearize` puts the
            # trace back on the dt grid.
            longest = f" 0 {settings.dt * 10:.12g}"
            control += [
                writer.tran_command(settings.max_time) + longest,
                "linearize",
                "write tran.raw",
            ]
        tables = self._solve(writer, control, trace)
        steady = _columns(tables["op.raw"], vectors)[0]
        history = _columns(tables["tran.raw"], ["time", *vectors]) if trace else None
        return self._result(network, p, settings, writer, steady, history)

    def solve_batch(
        self,
        network: Network,
        inputs: Mapping[str, float],
        settings: Simulation,
        parameters: Parameters,
    ) -> np.ndarray:
        """Steady node voltages of a batch, all copies in one netlist and run."""
        batch = parameters.batch_shape
        if not batch or any(np.ndim(v) for v in inputs.values()):
            return super().solve_batch(network, inputs, settings, parameters)
        input_voltages(network, inputs)
        members = _broadcast_flat(parameters, int(np.prod(batch)))
        writer = NgspiceWriter(network, inputs, settings, copies=members)
        raw = self._solve(writer, ["set filetype=ascii", "op", "write op.raw"])
        voltages = []
        for k, member in enumerate(members):
            steady = _columns(raw["op.raw"], writer.node_vectors(k))[0]
            states = _columns(raw["op.raw"], writer.state_vectors(k))[0]
            where = f" (member {k} of a batch of {len(members)})"
            _check_validity(network, member, settings, steady, states, where)
            voltages.append(steady)
        return np.reshape(voltages, (*batch, network.n_nodes))

    def _solve(
        self, writer: NgspiceWriter, control: list[str], trace: bool = False
    ) -> dict[str, dict[str, np.ndarray]]:
        """Run a netlist in a fresh directory; its raw files, by name.

        The directory is removed on success and kept on failure.
        """
        run = Path(tempfile.mkdtemp(prefix="memspec-ngspice-", dir=self.workdir))
        netlist = run / f"{writer.network.name}.cir"
        with netlist.open("w", encoding="utf-8") as stream:
            writer.write(stream, control)
        messages = self._run(netlist)
        names = ["op.raw", "tran.raw"] if trace else ["op.raw"]
        try:
            # A missing vector is a failure too: after a failed `linearize`,
            # ngspice writes the operating point into tran.raw.
            tables = {name: read_raw(run / name) for name in names}
            if trace and "time" not in tables["tran.raw"]:
                raise KeyError("time")
        except (OSError, ValueError, KeyError) as error:
            raise SimulationFailed(
                f"ngspice produced no usable result: {messages}",
                backend=self.name,
                netlist=netlist,
            ) from error
        shutil.rmtree(run, ignore_errors=True)
        return tables

    def _run(self, netlist: Path) -> str:
        """Run ngspice on `netlist`: what it reported, or SimulationFailed."""
        process = subprocess.Popen(
            ["ngspice", "-b", netlist.name],
            cwd=netlist.parent,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            output, errors = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise SimulationFailed(
                f"ngspice did not finish within {self.timeout:g} s and was stopped",
                backend=self.name,
                netlist=netlist,
            ) from None
        if process.returncode != 0:
            raise SimulationFailed(
                f"ngspice exited with status {process.returncode}: "
                f"{_messages(output, errors)}",
                backend=self.name,
                netlist=netlist,
            )
        return _messages(output, errors)

    def _result(
        self,
        network: Network,
        p: Parameters,
        settings: Simulation,
        writer: NgspiceWriter,
        steady: np.ndarray,
        history: np.ndarray | None,
    ) -> SimulationResult:
        n = network.n_nodes
        volts, ratio = steady[:n], steady[n:]
        g0 = writer.constants.g0
        notes = ["steady state from ngspice .op on the static characteristic"]
        notes += _check_validity(network, p, settings, volts, ratio)
        dv = volts[network.base] - volts[network.tip]

        trace, settled, time = None, True, 0.0
        if history is not None:
            times, values = history[:, 0], history[:, 1:]
            states = values[:, n:]
            if states.min() <= 0 and settings.on_invalid == "error":
                e = int(np.argmin(states.min(axis=0)))
                raise PhysicsError(
                    f"edge '{network.edge_names[e]}' reached g/g0 = "
                    f"{states[:, e].min():.3g} during the relaxation; a negative "
                    "conductance is not physical"
                )
            # Settled, as for the native backend, once every g is within the
            # settle tolerance (of g0) of its steady value.
            near = np.max(np.abs(states - ratio), axis=1) <= settings.settle_tolerance
            settled = bool(near.any())
            end = int(np.argmax(near)) if settled else len(times) - 1
            time = float(times[end])
            trace = Trace(
                time=times[: end + 1],
                voltages=values[: end + 1, :n],
                conductance=states[: end + 1] * g0,
            )
        return SimulationResult(
            backend=self.name,
            settled=settled,
            time=time,
            node_names=network.node_names,
            edge_names=network.edge_names,
            voltages=volts,
            conductance=ratio * g0,
            g_over_g0=ratio,
            current=ratio * g0 * dv,
            dV=dv,
            trace=trace,
            notes=notes,
        )


def _check_validity(
    network: Network,
    p: Parameters,
    settings: Simulation,
    volts: np.ndarray,
    ratio: np.ndarray,
    where: str = "",
) -> list[str]:
    """Refuse, or note, a steady state with g_inf <= 0 (PHYSICS.md, validity).

    g_inf is evaluated independently of the netlist, by `memspec.physics`,
    at the voltages ngspice found.
    """
    dv, dp, drho, rho_base = network.stimuli(volts, p)
    exact = steady_ratio(network.channels(p), dv, dp, drho, rho_base).ratio
    bad = np.nonzero((exact <= 0) | (ratio <= 0))[0]
    if not len(bad):
        return []
    if settings.on_invalid == "clamp":
        return [
            f"g_inf of edge '{network.edge_names[e]}' fell to or below zero and was "
            f"clamped at {settings.conductance_floor:g} g0"
            for e in bad
        ]
    e = int(bad[0])
    raise PhysicsError(
        f"edge '{network.edge_names[e]}' leaves the model's validity range{where}: "
        f"g_inf/g0 = {exact[e]:.3g} at dV = {dv[e]:.4g} V, dP = {dp[e] / 1e5:.4g} "
        f"bar, drho = {drho[e]:.4g} mM; a negative conductance is not physical. "
        "Set on_invalid = clamp in the simulation settings to floor it instead"
    )


def read_raw(path: Path) -> dict[str, np.ndarray]:
    """The vectors of an ngspice ASCII raw file, by lower-case name.

    ngspice puts a scale first (time, or a copy of the first vector at an
    operating point), so vectors are looked up by name, not by position.
    """
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("Values:\n")
    fields = dict(line.split(":", 1) for line in head.splitlines() if ":" in line)
    points = int(fields["No. Points"])
    names = [
        line.split()[1].lower()
        for line in head.partition("Variables:\n")[2].splitlines()
        if line.strip()
    ]
    # Each point is its index followed by one value per variable.
    table = np.array(body.split(), dtype=float).reshape(points, len(names) + 1)
    return {name: table[:, k + 1] for k, name in enumerate(names)}


def _columns(vectors: dict[str, np.ndarray], names: list[str]) -> np.ndarray:
    return np.stack([vectors[name.lower()] for name in names], axis=1)


def _messages(output: str, errors: str) -> str:
    """What ngspice said went wrong: its last few error lines, in order."""
    lines = [
        line.strip()
        for line in errors.splitlines()
        if line.strip() and not line.startswith(_NOISE)
    ]
    if not lines:
        lines = [line.strip() for line in output.splitlines() if line.strip()]
    return "; ".join(lines[-4:]) if lines else "no output"
