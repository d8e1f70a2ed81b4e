"""Netlists that take a memristor network to other simulators."""

from __future__ import annotations

from pathlib import Path

from memspec.errors import MemspecError
from memspec.models import Spec
from memspec.network import Network

TARGETS = {"ngspice": ".cir", "ahkab": ".ckt"}


def compile_spec(spec: Spec, target: str, directory: Path = Path("netlists")) -> Path:
    """Write the netlist of `spec` for `target` into `directory`; its path.

    The inputs are the task's (`memspec.api.task_inputs`). An ngspice netlist
    runs as it is with `ngspice -b`; an ahkab one with
    `python -m memspec.backends.ahkab`.
    """
    from memspec.api import task_inputs

    if target not in TARGETS:
        raise MemspecError(
            f"unknown netlist target '{target}'; choose one of {', '.join(TARGETS)}"
        )
    network = Network.from_spec(spec)
    inputs = task_inputs(spec)
    path = directory / f"{spec.name}{TARGETS[target]}"
    if target == "ngspice":
        from memspec.netlist.ngspice import write_netlist

        return write_netlist(network, inputs, path, spec.simulation, source=spec.path)

    from memspec.netlist.ahkab import write_netlist as write_ahkab

    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(write_ahkab(network, inputs), encoding="utf-8")
    return path
