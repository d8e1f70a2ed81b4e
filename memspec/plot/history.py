"""Figures drawn from `history.csv` alone: cost, weights and outputs by step."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from memspec.models import WEIGHT_UNITS, Mapping, Regression, Schedule, Spec
from memspec.plot.run import History

FIGSIZE = (8.0, 5.0)


def relative_cost(history: History) -> np.ndarray:
    """Training cost divided by the cost at the start of its stage."""
    relative = np.empty_like(history.cost)
    starts = [*history.stage_starts(), len(history.cost)]
    for begin, end in zip(starts[:-1], starts[1:], strict=True):
        relative[begin:end] = history.cost[begin:end] / history.cost[begin]
    return relative


def cost_curves(
    history: History, regression: bool = False
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(label, steps, cost / start) of each curve the cost figure draws.

    The first curve is the one that measures learning: the test cost at the
    steps where it was evaluated for regression, the training cost otherwise.
    """
    if not regression:
        return [("cost / start", history.step, relative_cost(history))]
    evaluated = ~np.isnan(history.test_cost)
    test = history.test_cost[evaluated]
    return [
        ("test cost / start", history.step[evaluated], test / test[0]),
        ("sample cost / start", history.step, relative_cost(history)),
    ]


def cost_figure(history: History, regression: bool = False) -> Figure:
    """Cost normalised to its start against step, on a log scale."""
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    curves = cost_curves(history, regression)
    for k, (label, steps, values) in enumerate(curves):
        style = {"marker": "o", "markersize": 3} if regression and k == 0 else {}
        ax.plot(steps, values, label=label, alpha=1.0 if k == 0 else 0.4, **style)
    for start in history.stage_starts()[1:]:
        ax.axvline(history.step[start], color="grey", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("relative cost C / C(start) [1]")
    ax.set_title("Cost during training")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig


def weights_figure(history: History) -> Figure:
    """Every trained weight against step, one panel per weight kind."""
    kinds = history.weight_kinds()
    fig = Figure(
        figsize=(FIGSIZE[0], 3.2 * max(1, len(kinds)) + 0.8), layout="constrained"
    )
    axes = fig.subplots(max(1, len(kinds)), 1, sharex=True, squeeze=False)[:, 0]
    for ax, kind in zip(axes, kinds, strict=False):
        for member in history.members(kind):
            ax.plot(history.step, history.weights[f"{kind}:{member}"], label=member)
        ax.set_ylabel(f"{kind.replace('_', ' ')} [{WEIGHT_UNITS[kind][0]}]")
        ax.grid(True, alpha=0.3)
        # Beside the axes: with many edges a legend inside hides the lines.
        ax.legend(
            fontsize="small",
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            ncols=1 + len(history.members(kind)) // 12,
        )
    axes[-1].set_xlabel("training step")
    fig.suptitle("Trained weights")
    return fig


def stage_targets(spec: Spec) -> list[dict[str, float]]:
    """The target output voltages of each stage of the task."""
    task = spec.task
    if isinstance(task, Mapping):
        return [task.targets]
    if isinstance(task, Schedule):
        return [stage.targets for stage in task.stages]
    return []


def sample_targets(spec: Spec, history: History) -> np.ndarray:
    """Regression: the target of the sample each history row's voltage is of.

    The plan's draws are seeded, so rebuilding it for the run's length gives
    the same samples; a batch's recorded voltage is that of its first sample.
    """
    from memspec.training.task import TaskPlan

    plan = TaskPlan(spec, int(history.step[-1]))
    output = spec.task.output_node
    return np.array([plan.objective(int(k)).targets[output] for k in history.step])


def outputs_figure(history: History, spec: Spec) -> Figure:
    """Output voltages against step, with each stage's (or sample's) target."""
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    starts = [*history.stage_starts(), len(history.step)]
    targets = stage_targets(spec)
    task = spec.task
    for node, volts in history.voltages.items():
        (line,) = ax.plot(history.step, volts, label=f"V({node})")
        for k, wanted in enumerate(targets):
            if node not in wanted or k + 1 >= len(starts):
                continue
            span = history.step[[starts[k], starts[k + 1] - 1]]
            ax.plot(span, [wanted[node]] * 2, "--", color=line.get_color())
        if isinstance(task, Regression) and node == task.output_node:
            ax.plot(
                history.step,
                sample_targets(spec, history),
                "x",
                color=line.get_color(),
                label="target of that sample",
            )
    if targets:
        ax.plot([], [], "k--", label="target")
    if isinstance(task, Regression):
        which = (
            "its training sample"
            if task.batch == 1
            else f"the first of its {task.batch} training samples"
        )
        ax.set_title(f"Output at each step, for {which}")
    else:
        ax.set_title("Outputs during training")
    ax.set_xlabel("training step")
    ax.set_ylabel("voltage [V]")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    return fig
