"""A `memspec train` output directory, read back for plotting.

The directory holds `history.csv` (one row per step: step, stage, cost,
test_cost, then every weight as `<kind>:<member>` in its weight unit, then
output voltages as `V:<node>`), `result.json` and `trained.mem`.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from memspec.errors import MemspecError
from memspec.models import NODE_WEIGHTS, WEIGHT_KINDS, WEIGHT_UNITS, Spec
from memspec.network import Network, Parameters


@dataclass(frozen=True)
class History:
    """The columns of `history.csv` as arrays, one entry per row."""

    step: np.ndarray
    stage: np.ndarray
    cost: np.ndarray
    test_cost: np.ndarray  # NaN where the test cost was not evaluated
    weights: dict[str, np.ndarray]  # "<kind>:<member>" -> weight units
    voltages: dict[str, np.ndarray]  # node -> V

    def weight_kinds(self) -> list[str]:
        kinds = {column.split(":", 1)[0] for column in self.weights}
        return [kind for kind in WEIGHT_KINDS if kind in kinds]

    def members(self, kind: str) -> list[str]:
        prefix = f"{kind}:"
        return [c[len(prefix) :] for c in self.weights if c.startswith(prefix)]

    def stage_starts(self) -> list[int]:
        """Row indices where a new stage begins (always including row 0)."""
        changes = np.flatnonzero(self.stage[1:] != self.stage[:-1]) + 1
        return [0, *changes.tolist()]

    def parameters(self, network: Network, row: int) -> Parameters:
        """The network's parameters with the trained weights of one row, in SI."""
        p = network.parameters
        changes: dict[str, np.ndarray] = {}
        for kind in self.weight_kinds():
            nodes = kind in NODE_WEIGHTS
            names = network.node_names if nodes else network.edge_names
            values = getattr(p, kind).copy()
            scale = WEIGHT_UNITS[kind][1]
            for member in self.members(kind):
                values[names.index(member)] = (
                    self.weights[f"{kind}:{member}"][row] * scale
                )
            changes[kind] = values
        return p.replace(**changes)


def read_history(path: Path) -> History:
    """Parse `history.csv`; blank cells (test cost not evaluated) become NaN.

    Raises:
        MemspecError: the file is empty or is not a history memspec wrote.
    """
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise MemspecError(f"{path} has no training steps to plot")

    def column(name: str) -> np.ndarray:
        return np.array([float(r[name]) if r[name] != "" else np.nan for r in rows])

    names = list(rows[0])
    try:
        return History(
            step=column("step").astype(int),
            stage=np.array([r.get("stage", "") or "0" for r in rows]),
            cost=column("cost"),
            test_cost=column("test_cost")
            if "test_cost" in names
            else column("cost") * np.nan,
            weights={c: column(c) for c in names if c.split(":", 1)[0] in WEIGHT_KINDS},
            voltages={c[2:]: column(c) for c in names if c.startswith("V:")},
        )
    except (KeyError, TypeError, ValueError) as error:
        # KeyError: a column is missing; TypeError: a row is short;
        # ValueError: a cell is not a number.
        raise MemspecError(
            f"{path} is not a training history memspec can read ({error!r})"
        ) from None


@dataclass(frozen=True)
class Run:
    directory: Path
    history: History
    result: dict[str, Any]
    spec: Spec  # the trained spec

    @property
    def network(self) -> Network:
        return Network.from_spec(self.spec)


def load_run(directory: str | Path) -> Run:
    """Read a training output directory written by `memspec train`.

    Raises:
        MemspecError: the directory is not a finished run (missing files,
            an interrupted run) or one of its files cannot be read.
    """
    from memspec.parser import load

    directory = Path(directory)
    history = directory / "history.csv"
    if not history.is_file():
        raise MemspecError(
            f"{directory} is not a training output directory: it has no history.csv"
        )
    missing = [
        name
        for name in ("result.json", "trained.mem")
        if not (directory / name).is_file()
    ]
    if missing:
        # `train` writes these two only after its last step.
        raise MemspecError(
            f"{directory} looks like an interrupted run: it has history.csv but "
            f"no {' or '.join(missing)}; finish it with `memspec train SPEC "
            f"--out {directory} --resume` (the spec and options it was started "
            "with), then plot it"
        )
    return Run(
        directory=directory,
        history=read_history(history),
        result=_read_result(directory / "result.json"),
        spec=load(directory / "trained.mem"),
    )


def _read_result(path: Path) -> dict[str, Any]:
    try:
        result = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise MemspecError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(result, dict):
        raise MemspecError(f"{path} does not hold a training result object")
    return result
