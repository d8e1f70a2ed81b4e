"""What each block of a .mem file may contain, and how its values are read.

Each block has a schema: a dict from the key written in the file to a `Key`,
which names the model field it fills and the reader that turns the syntax
value into a Python value (a quantity converted by pint, a whole number, a
choice, node names...). A reader raises `BadValue` for a value of the wrong
form; `memspec.parser` turns that into a located diagnostic.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args

from memspec.checks import did_you_mean
from memspec.errors import Span
from memspec.models import WEIGHT_KINDS, WEIGHT_UNITS, Node, Simulation, Training
from memspec.syntax import Anchored, ListValue, Name, Quantity, Range, Value
from memspec.units import quantity


class BadValue(Exception):
    """A value of the wrong form for its key."""

    def __init__(self, message: str, span: Span, hint: str | None = None):
        super().__init__(message)
        self.message, self.span, self.hint = message, span, hint


Reader = Callable[[Value, str], Any]


@dataclass(frozen=True)
class Key:
    """One setting of a block: the model field it fills and how to read it."""

    field: str
    read: Reader


def _number(unit: str | tuple[str, ...]) -> Reader:
    def read(value: Value, key: str) -> float:
        if not isinstance(value, Quantity):
            raise BadValue(f"'{key}' needs a number", value.span)
        return quantity(value.number, value.unit, unit, value.span)

    return read


def _rate(kind: str) -> Reader:
    def read(value: Value, key: str) -> float:
        if isinstance(value, Quantity) and value.unit:
            unit = WEIGHT_UNITS[kind][0]
            raise BadValue(
                f"the learning rate is a plain number, but it has the unit "
                f"'{value.unit}'",
                value.span,
                hint=f"write it without a unit; it is read in {unit}, "
                f"the weight unit of {kind}",
            )
        return _number("")(value, key)

    return read


def _integer(value: Value, key: str) -> int:
    if not (isinstance(value, Quantity) and re.fullmatch(r"[+-]?\d+", value.number)):
        raise BadValue(f"'{key}' needs a whole number", value.span)
    if value.unit:
        raise BadValue(f"'{key}' is a plain count and takes no unit", value.span)
    return int(value.number)


def _choice(options: tuple[str, ...]) -> Reader:
    def read(value: Value, key: str) -> str:
        listed = " or ".join(f"'{o}'" for o in options)
        if not isinstance(value, Name):
            raise BadValue(f"'{key}' needs one of {listed}", value.span)
        if value.text not in options:
            raise BadValue(
                f"unknown {key} '{value.text}'{did_you_mean(value.text, options)}",
                value.span,
                hint=f"choose {listed}",
            )
        return value.text

    return read


def _name(value: Value, key: str) -> str:
    if not isinstance(value, Name):
        raise BadValue(f"'{key}' needs a node name", value.span)
    return value.text


def _names(value: Value, key: str) -> list[str]:
    items = as_list(value)
    for item in items:
        if not isinstance(item, Name):
            raise BadValue(f"'{key}' needs names, as in '[out, high]'", item.span)
    return [item.text for item in items]


def _kinds(value: Value, key: str) -> list[str]:
    names = _names(value, key)
    for item in as_list(value):
        if item.text not in WEIGHT_KINDS:
            raise BadValue(
                f"unknown weight kind '{item.text}'"
                + did_you_mean(item.text, WEIGHT_KINDS),
                item.span,
                hint=f"the weight kinds are {', '.join(WEIGHT_KINDS)}",
            )
    return names


def as_list(value: Value) -> list[Value]:
    return value.items if isinstance(value, ListValue) else [value]


def _range(unit: str, optional: bool = False) -> Reader:
    def read(value: Value, key: str) -> tuple[float | None, float | None]:
        example = f"'1 {unit} .. 4 {unit}'"
        if not isinstance(value, Range):
            raise BadValue(f"'{key}' needs a range, as in {example}", value.span)
        ends = []
        for end in (value.low, value.high):
            if end is None and not optional:
                raise BadValue(f"'{key}' needs both ends, as in {example}", value.span)
            ends.append(None if end is None else _number(unit)(end, key))
        return tuple(ends)

    return read


def _anchored(value: Value, key: str) -> tuple[str, float]:
    if not isinstance(value, Anchored):
        raise BadValue(
            f"'{key}' needs a node and its voltage, as in 'b at 1 V'", value.span
        )
    return value.name.text, quantity(
        value.quantity.number, value.quantity.unit, "V", value.quantity.span
    )


def _choices(model, field: str) -> tuple[str, ...]:
    return get_args(model.model_fields[field].annotation)


voltage = _number("V")

DEVICE = {
    "length": Key("length", _number("m")),
    "base_radius": Key("base_radius", _number("m")),
    "tip_radius": Key("tip_radius", _number("m")),
    "viscosity": Key("viscosity", _number("Pa*s")),
    "permittivity": Key("permittivity", _number("F/m")),
    "diffusivity": Key("diffusivity", _number("m^2/s")),
    "wall_potential": Key("wall_potential", _number("V")),
    # A number per area; a charge per area counts elementary charges.
    "surface_charge": Key("surface_charge", _number(("1/m^2", "e/m^2"))),
    "temperature": Key("temperature", _number("K")),
}
NODE = {
    "pressure": Key("pressure", _number("Pa")),
    "concentration": Key("concentration", _number("mol/m^3")),
}
EDGE = {
    "length": Key("length", _number("m")),
    "base_radius": Key("base_radius", _number("m")),
}
SIMULATION = {
    "dt": Key("dt", _number("s")),
    "settle": Key("settle_tolerance", _number("")),
    "max_time": Key("max_time", _number("s")),
    "solver": Key("solver", _choice(_choices(Simulation, "solver"))),
    "on_invalid": Key("on_invalid", _choice(_choices(Simulation, "on_invalid"))),
    "conductance_floor": Key("conductance_floor", _number("")),
}
TRAINING = {
    "steps": Key("steps", _integer),
    "fd_step": Key("fd_step", _number("")),
    "gradient": Key("gradient", _choice(_choices(Training, "gradient"))),
    "optimizer": Key("optimizer", _choice(_choices(Training, "optimizer"))),
    "momentum": Key("momentum", _number("")),
    "rate_decay": Key("rate_decay", _number("")),
    "weights": Key("weights", _kinds),
}
REGRESSION = {
    "slope": Key("slope", _number("")),
    "intercept": Key("intercept", _number("V")),
    "data": Key("data_node", _name),
    "bias": Key("bias", _anchored),
    "ground": Key("ground_node", _name),
    "output": Key("output_node", _name),
    "range": Key("input_range", _range("V")),
    "train_samples": Key("n_train", _integer),
    "test_points": Key("n_test", _integer),
    "seed": Key("seed", _integer),
    "test_every": Key("test_every", _integer),
    "batch": Key("batch", _integer),
}
SCHEDULE = {"steps_per_stage": Key("steps_per_stage", _integer)}


def train_schema(kind: str) -> dict[str, Key]:
    return {
        "rate": Key("rate", _rate(kind)),
        "bounds": Key("bounds", _range(WEIGHT_UNITS[kind][0], optional=True)),
        "on": Key("members", _names),
    }


# The top level, in the order the writer uses.
TOP_BLOCKS = (
    "network",
    "device",
    "nodes",
    "edges",
    "train",
    "task",
    "simulation",
    "training",
)
TASK_KINDS = ("mapping", "schedule", "regression")
ROLES = _choices(Node, "role")
REQUIRED = {
    "train": ("rate",),
    "regression": tuple(
        k for k in REGRESSION if k not in ("seed", "test_every", "batch")
    ),
}
