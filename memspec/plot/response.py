"""Figures that simulate the trained network: relaxation, g_inf(dV), regression.

Each function returns the Figure together with the numbers it drew, so tests
can check the plotted data against an independent computation.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from memspec.backends import Backend, SimulationResult
from memspec.models import Mapping, Regression, Schedule, Spec
from memspec.network import Network, Parameters
from memspec.physics import steady_ratio
from memspec.plot.history import FIGSIZE
from memspec.plot.run import History

PICO = 1e12


def task_inputs(spec: Spec) -> dict[str, float]:
    """Input voltages the trained network is shown with.

    For a schedule that is the last stage, which the final weights were
    trained for; for regression, the middle of the data range.
    """
    task = spec.task
    if isinstance(task, Mapping):
        return dict(task.inputs)
    if isinstance(task, Schedule):
        return dict(task.stages[-1].inputs)
    return regression_inputs(task, float(np.mean(task.input_range)))


def task_targets(spec: Spec, inputs: dict[str, float]) -> dict[str, float]:
    task = spec.task
    if isinstance(task, Mapping):
        return dict(task.targets)
    if isinstance(task, Schedule):
        return dict(task.stages[-1].targets)
    v_in = inputs[task.data_node]
    return {task.output_node: task.slope * v_in + task.intercept}


def regression_inputs(task: Regression, v_in: float) -> dict[str, float]:
    return {
        task.ground_node: 0.0,
        task.bias_node: task.bias_voltage,
        task.data_node: v_in,
    }


def operating_inputs(spec: Spec) -> str:
    """Words for the inputs the operating points of `task_inputs` are at."""
    inputs = task_inputs(spec)
    volts = ", ".join(f"V({node}) = {v:g} V" for node, v in inputs.items())
    task = spec.task
    if isinstance(task, Regression):
        v_in = inputs[task.data_node]
        return f"operating points at V_in = {v_in:g} V (mid-range): {volts}"
    if isinstance(task, Schedule):
        return f"operating points at the last stage's inputs: {volts}"
    return f"operating points at the task's inputs: {volts}"


def relaxation_figure(
    spec: Spec, backend: Backend
) -> tuple[Figure, list[SimulationResult]]:
    """Output voltages against time while the trained network relaxes from g0.

    A regression network is relaxed at the ends and middle of its data range.
    """
    network = Network.from_spec(spec)
    if isinstance(spec.task, Regression):
        lo, hi = spec.task.input_range
        cases = [regression_inputs(spec.task, v) for v in (lo, (lo + hi) / 2, hi)]
    else:
        cases = [task_inputs(spec)]
    outputs = [network.node_names[i] for i in network.indices("output")]

    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    # A time trace needs the relaxation itself, whatever solver trained.
    settings = spec.simulation.model_copy(update={"solver": "relax"})
    results = []
    for inputs in cases:
        result = backend.simulate(network, inputs, settings, trace=True)
        results.append(result)
        targets = task_targets(spec, inputs)
        suffix = ""
        if isinstance(spec.task, Regression):
            suffix = f", V_in = {inputs[spec.task.data_node]:g} V"
        for node in outputs:
            k = network.node_index(node)
            (line,) = ax.plot(
                result.trace.time * 1e3,
                result.trace.voltages[:, k],
                label=f"V({node}){suffix}",
            )
            if node in targets:
                ax.axhline(targets[node], color=line.get_color(), linestyle="--")
    ax.plot([], [], "k--", label="target")
    ax.set_xlabel("time [ms]")
    ax.set_ylabel("voltage [V]")
    ax.set_title("Relaxation from g = g0 at the trained weights")
    ax.grid(True, alpha=0.3)
    # Beside the axes: inside, it covers the traces as they settle.
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig, results


@dataclass(frozen=True)
class Characteristic:
    """g_inf per edge over a sweep of dV, and each edge's operating point."""

    dV: np.ndarray  # (S,) V
    conductance: np.ndarray  # (E, S) S, NaN where the model gives g_inf <= 0
    operating_dV: np.ndarray  # (E,) V
    operating_conductance: np.ndarray  # (E,) S


def characteristic(
    network: Network, result: SimulationResult, span: float
) -> Characteristic:
    """g_inf(dV) of every edge with its trained dP, drho and geometry."""
    p = network.parameters
    channels = network.channels(p)
    _, dP, drho, rho_base = network.stimuli(result.voltages, p)
    sweep = np.linspace(-span, span, 401)
    # Channel constants are per edge, so the sweep runs along the first axis.
    ratio = steady_ratio(channels, sweep[:, None], dP, drho, rho_base).ratio.T
    g0 = channels.ohmic_conductance(rho_base)
    curves = np.where(ratio > 0, ratio * np.asarray(g0)[:, None], np.nan)
    return Characteristic(sweep, curves, result.dV, result.conductance)


def characteristic_figure(
    spec: Spec, result: SimulationResult
) -> tuple[Figure, Characteristic]:
    """One panel per edge: g_inf against dV, with the steady state marked."""
    network = Network.from_spec(spec)
    voltages = task_inputs(spec).values()
    span = max(1.0, max(voltages) - min(voltages))
    data = characteristic(network, result, span)

    ncols = min(5, network.n_edges)
    nrows = -(-network.n_edges // ncols)
    # At least 7 in wide, so the title fits over a single edge's panel.
    width = max(7.0, 3.0 * ncols + 1)
    fig = Figure(figsize=(width, 2.6 * nrows + 1.3), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True).ravel()
    for k, name in enumerate(network.edge_names):
        ax = axes[k]
        ax.plot(data.dV, data.conductance[k] * PICO, label="g_inf(dV)")
        ax.plot(
            data.operating_dV[k],
            data.operating_conductance[k] * PICO,
            "o",
            color="tab:red",
            label="steady state",
        )
        ax.set_title(
            f"{name}: {network.node_names[network.base[k]]} -> "
            f"{network.node_names[network.tip[k]]}",
            fontsize="medium",
        )
        ax.grid(True, alpha=0.3)
        if k % ncols == 0:
            ax.set_ylabel("g_inf [pS]")
        # The lowest panel of each column carries the dV axis, also where
        # the last row is incomplete (sharex hides it above the last row).
        if k + ncols >= network.n_edges:
            ax.tick_params(labelbottom=True)
            ax.set_xlabel("dV = V_base - V_tip [V]")
    for ax in axes[network.n_edges :]:
        ax.set_visible(False)
    axes[0].legend(fontsize="small", loc="best")
    fig.suptitle(
        "Steady-state conductance of each edge at the trained weights\n"
        + textwrap.fill(operating_inputs(spec), width=int(width * 11))
    )
    return fig, data


@dataclass(frozen=True)
class RegressionCurves:
    v_in: np.ndarray  # (S,) V
    rows: dict[str, int]  # label -> history row
    v_out: dict[str, np.ndarray]  # label -> (S,) V


def regression_curves(
    spec: Spec, history: History, backend: Backend
) -> RegressionCurves:
    """The network's output over the test inputs at the start, middle and end."""
    task = spec.task
    network = Network.from_spec(spec)
    v_in = np.linspace(*task.input_range, task.n_test)
    last = len(history.step) - 1
    rows = {"start": 0, "middle": last // 2, "end": last}
    out = network.node_index(task.output_node)
    curves = {}
    for label, row in rows.items():
        parameters: Parameters = history.parameters(network, row)
        curves[label] = np.array(
            [
                backend.simulate(
                    network, regression_inputs(task, v), spec.simulation, parameters
                ).voltages[out]
                for v in v_in
            ]
        )
    return RegressionCurves(v_in, rows, curves)


def regression_figure(
    spec: Spec, history: History, backend: Backend
) -> tuple[Figure, RegressionCurves]:
    task = spec.task
    data = regression_curves(spec, history, backend)
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    ax.plot(
        data.v_in,
        task.slope * data.v_in + task.intercept,
        "k--",
        label=f"target {task.slope:g} V_in + {task.intercept:g} V",
    )
    for label, v_out in data.v_out.items():
        step = history.step[data.rows[label]]
        ax.plot(data.v_in, v_out, "o-", markersize=3, label=f"{label} (step {step})")
    ax.set_xlabel(f"V_in = V({task.data_node}) [V]")
    ax.set_ylabel(f"V_out = V({task.output_node}) [V]")
    ax.set_title("Regression over the test inputs")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return fig, data
