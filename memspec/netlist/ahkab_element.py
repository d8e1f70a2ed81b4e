"""The conical memristor as an ahkab user-defined element.

ahkab's netlist parser loads this module for every line of the form

    Y<name> <base> <tip> module=memspec.netlist.ahkab_element type=memristor ...

and instantiates the class named by `type`. The netlist parser lowercases
every line, so the class and all its parameter names are lowercase.

The element carries the static characteristic of `shared/PHYSICS.md`,
`i = g_inf(dV) dV` with `dV = V_base - V_tip`, for an operating-point solve.
g_inf comes from `memspec.physics.steady_ratio`, the reference
implementation, which also gives the slope that ahkab's Newton iteration
needs: `di/ddV = g0 (ratio + dV d_ratio/d_dV)`. Currents and conductances are
multiplied by the `scale` parameter (see `memspec.netlist.ahkab`), which
leaves node voltages unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from memspec.models import Device
from memspec.physics import Channels, steady_ratio

DEVICE_FIELDS = (
    "length",
    "base_radius",
    "tip_radius",
    "viscosity",
    "permittivity",
    "diffusivity",
    "wall_potential",
    "surface_charge",
    "temperature",
)
EDGE_FIELDS = ("dp", "drho", "rho_base", "scale")


class memristor:  # noqa: N801 -- ahkab lowercases the `type=` it looks up
    """One channel, base at node `n1` and tip at node `n2`."""

    is_nonlinear = True
    is_symbolic = False
    dc_guess = None
    # A caller may set a time.monotonic() deadline; ahkab's Newton loops call
    # `i` on every iteration, so this is where a run that takes too long stops.
    deadline: float | None = None

    def __init__(
        self,
        n1: int,
        n2: int,
        param_dict: dict[str, Any],
        get_int_id_func: Callable[..., Any] | None = None,
        convert_units_func: Callable[..., Any] | None = None,
        part_id: str = "y",
    ):
        self.n1, self.n2 = n1, n2
        self.ports = ((n1, n2),)
        self.part_id = part_id
        self.params = dict(param_dict)
        self._problem = _missing(self.params)
        if self._problem:
            return
        device = Device(**{f: float(self.params[f]) for f in DEVICE_FIELDS})
        self.channels = Channels.from_device(device)
        rho = float(self.params["rho_base"])
        self.g0 = float(self.channels.ohmic_conductance(np.asarray(rho)))
        self.scale = float(self.params["scale"])
        self._stimuli = (float(self.params["dp"]), float(self.params["drho"]), rho)
        self._cache: tuple[float, float, float] | None = None

    def check(self) -> tuple[bool, str]:
        """Called by ahkab's parser; a missing parameter is a parse error."""
        return (not self._problem, self._problem)

    def steady(self, dv: float) -> tuple[float, float]:
        """g_inf/g0 and its derivative in dV, remembered for the last dV."""
        if self._cache is None or self._cache[0] != dv:
            dp, drho, rho = self._stimuli
            s = steady_ratio(self.channels, dv, dp, drho, rho)
            self._cache = (dv, float(s.ratio), float(s.d_ratio_d_dv))
        return self._cache[1], self._cache[2]

    def get_output_ports(self) -> tuple[tuple[int, int], ...]:
        return self.ports

    def get_drive_ports(self, op: int) -> tuple[tuple[int, int], ...]:
        return self.ports

    def i(self, op_index: int, ports_v: Any, time: Any = 0) -> float:
        if self.deadline is not None and _now() > self.deadline:
            raise TimeoutError(f"{self.part_id} reached its deadline")
        dv = _volts(ports_v[0])
        ratio, _ = self.steady(dv)
        return self.scale * self.g0 * ratio * dv

    def g(self, op_index: int, ports_v: Any, port_index: int, time: Any = 0) -> float:
        dv = _volts(ports_v[0])
        ratio, slope = self.steady(dv)
        return self.scale * self.g0 * (ratio + dv * slope)

    def get_op_info(self, ports_v_v: Any) -> tuple[list[str], list[Any]]:
        dv = _volts(ports_v_v[0][0])
        ratio, _ = self.steady(dv)
        keys = ["Part ID", "V(n1-n2) [V]", "g_inf/g0", "I(n1-n2) [scaled A]"]
        return keys, [self.part_id.upper(), dv, ratio, self.i(0, (dv,))]

    def get_netlist_elem_line(self, nodes_dict: dict[int, str]) -> str:
        fields = " ".join(f"{k}={v!r}" for k, v in self.params.items())
        return (
            f"{self.part_id} {nodes_dict[self.n1]} {nodes_dict[self.n2]} "
            f"module={__name__} type=memristor {fields}"
        )

    def __str__(self) -> str:
        return f"memristor g0={self.g0:.6g} S scale={self.scale:g}"


_now = time.monotonic  # `time` is also the name of ahkab's argument


def _volts(value: Any) -> float:
    """ahkab hands voltages over as floats or one-element arrays."""
    return float(np.asarray(value).reshape(-1)[0])


def _missing(params: dict[str, Any]) -> str:
    absent = [f for f in (*DEVICE_FIELDS, *EDGE_FIELDS) if f not in params]
    if absent:
        return "missing parameter(s) " + ", ".join(absent)
    unknown = sorted(set(params) - {*DEVICE_FIELDS, *EDGE_FIELDS})
    if unknown:
        return "unknown parameter(s) " + ", ".join(unknown)
    wrong = [k for k, v in params.items() if not isinstance(v, float | int)]
    if wrong:
        return "non-numeric parameter(s) " + ", ".join(wrong)
    return ""
