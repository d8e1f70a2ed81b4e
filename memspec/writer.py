"""Write a Spec back as .mem text.

`dump(spec)` parses back to an equal Spec, float for float: each value is
written in a familiar unit (bar, mM, um, nm, ...) with as many digits as it
needs, and checked against the parser's own conversion before it is used.
This is how `trained.mem` keeps the trained weights exactly.
"""

from __future__ import annotations

from decimal import Decimal

from memspec.models import (
    WEIGHT_UNITS,
    Device,
    Edge,
    Mapping,
    Node,
    Regression,
    Schedule,
    Simulation,
    Spec,
    TrainedProperty,
    Training,
)
from memspec.units import convert, decimal_factor

_INDENT = "    "

# Each device setting, the SI unit it is stored in and the unit it is written in.
_DEVICE_UNITS = {
    "length": ("m", "um"),
    "base_radius": ("m", "nm"),
    "tip_radius": ("m", "nm"),
    "viscosity": ("Pa*s", "mPa*s"),
    "permittivity": ("F/m", "nF/m"),
    "diffusivity": ("m^2/s", "um^2/ms"),
    "wall_potential": ("V", "mV"),
    "surface_charge": ("1/m^2", "/nm^2"),
    "temperature": ("K", "K"),
}


def _decimal_text(value: Decimal) -> str:
    value = value.normalize()
    if value == 0:
        return "0"
    if -5 <= value.adjusted() < 15:
        return format(value, "f")
    return format(value, "e").replace("e+", "e")


def quantity_text(value: float, si: str, unit: str) -> str:
    """`value` (in `si` units) written in `unit`, reading back exactly."""
    if unit:
        try:
            text = _decimal_text(Decimal(repr(value)) / decimal_factor(unit, si))
        except ValueError:
            text = None
        if text is not None and convert(text, unit, si) == value:
            return f"{text} {unit}"
    # The SI unit itself always reads back exactly: its factor is 1.
    text = _decimal_text(Decimal(repr(value)))
    if not si:
        return text
    return f"{text} {si.replace('1/', '/')}"


def number_text(value: float) -> str:
    return _decimal_text(Decimal(repr(float(value))))


def _settings(lines: list[str], pairs: list[tuple[str, str]], depth: int = 1):
    width = max((len(key) for key, _ in pairs), default=0)
    for key, text in pairs:
        lines.append(f"{_INDENT * depth}{key.ljust(width)} = {text}")


def _device(device: Device) -> list[str]:
    pairs = [
        (key, quantity_text(getattr(device, key), si, unit))
        for key, (si, unit) in _DEVICE_UNITS.items()
    ]
    lines = ["device {"]
    _settings(lines, pairs)
    return lines + ["}"]


def _node(node: Node, width: int) -> str:
    text = f"{_INDENT}{(node.name + ':').ljust(width + 1)} {node.role}"
    extra = []
    if node.pressure != Node.model_fields["pressure"].default:
        extra.append(f"pressure = {quantity_text(node.pressure, 'Pa', 'bar')}")
    if node.concentration != Node.model_fields["concentration"].default:
        concentration = quantity_text(node.concentration, "mol/m^3", "mM")
        extra.append(f"concentration = {concentration}")
    return text + (" { " + ", ".join(extra) + " }" if extra else "")


def _edge(edge: Edge, width: int) -> str:
    text = f"{_INDENT}{(edge.name + ':').ljust(width + 1)} {edge.base} -> {edge.tip}"
    extra = []
    if edge.length is not None:
        extra.append(f"length = {quantity_text(edge.length, 'm', 'um')}")
    if edge.base_radius is not None:
        extra.append(f"base_radius = {quantity_text(edge.base_radius, 'm', 'nm')}")
    return text + (" { " + ", ".join(extra) + " }" if extra else "")


def _train(prop: TrainedProperty) -> list[str]:
    unit = WEIGHT_UNITS[prop.kind][0]
    pairs = [("rate", number_text(prop.rate))]
    low, high = prop.bounds
    if low is not None or high is not None:
        ends = [
            "" if end is None else quantity_text(end, unit, unit) for end in (low, high)
        ]
        pairs.append(("bounds", " .. ".join(ends).strip()))
    if prop.members is not None:
        pairs.append(("on", "[" + ", ".join(prop.members) + "]"))
    lines = [f"train {prop.kind} {{"]
    _settings(lines, pairs)
    return lines + ["}"]


def _voltages(voltages: dict[str, float]) -> str:
    return ", ".join(
        f"{name} = {quantity_text(v, 'V', 'V')}" for name, v in voltages.items()
    )


def _mapping(mapping: Mapping, head: str, depth: int) -> list[str]:
    pad = _INDENT * depth
    return [
        f"{pad}{head} {{",
        f"{pad}{_INDENT}inputs  {{ {_voltages(mapping.inputs)} }}",
        f"{pad}{_INDENT}targets {{ {_voltages(mapping.targets)} }}",
        f"{pad}}}",
    ]


def _schedule(schedule: Schedule) -> list[str]:
    lines = ["task schedule {"]
    if schedule.steps_per_stage is not None:
        lines.append(f"{_INDENT}steps_per_stage = {schedule.steps_per_stage}")
    for stage in schedule.stages:
        lines += _mapping(stage, "stage", 1)
    return lines + ["}"]


def _regression(task: Regression) -> list[str]:
    low, high = task.input_range
    pairs = [
        ("slope", number_text(task.slope)),
        ("intercept", quantity_text(task.intercept, "V", "V")),
        ("data", task.data_node),
        ("bias", f"{task.bias_node} at {quantity_text(task.bias_voltage, 'V', 'V')}"),
        ("ground", task.ground_node),
        ("output", task.output_node),
        ("range", f"{quantity_text(low, 'V', 'V')} .. {quantity_text(high, 'V', 'V')}"),
        ("train_samples", str(task.n_train)),
        ("test_points", str(task.n_test)),
        ("seed", str(task.seed)),
        ("test_every", str(task.test_every)),
        ("batch", str(task.batch)),
    ]
    lines = ["task regression {"]
    _settings(lines, pairs)
    return lines + ["}"]


def _simulation(sim: Simulation) -> list[str]:
    pairs = [
        ("dt", quantity_text(sim.dt, "s", "ms")),
        ("settle", number_text(sim.settle_tolerance)),
        ("max_time", quantity_text(sim.max_time, "s", "s")),
        ("solver", sim.solver),
        ("on_invalid", sim.on_invalid),
        ("conductance_floor", number_text(sim.conductance_floor)),
    ]
    lines = ["simulation {"]
    _settings(lines, pairs)
    return lines + ["}"]


def _training(training: Training) -> list[str]:
    pairs = [
        ("steps", str(training.steps)),
        ("fd_step", number_text(training.fd_step)),
        ("gradient", training.gradient),
        ("optimizer", training.optimizer),
        ("momentum", number_text(training.momentum)),
    ]
    if training.rate_decay is not None:
        pairs.append(("rate_decay", number_text(training.rate_decay)))
    if training.weights is not None:
        pairs.append(("weights", "[" + ", ".join(training.weights) + "]"))
    lines = ["training {"]
    _settings(lines, pairs)
    return lines + ["}"]


def dump(spec: Spec) -> str:
    """The .mem text of `spec`; `memspec.parser.parse` reads it back equal."""
    node_width = max((len(n.name) for n in spec.nodes), default=0)
    edge_width = max((len(e.name) for e in spec.edges), default=0)
    blocks = [
        [f"network {spec.name}"],
        _device(spec.device),
        ["nodes {"] + [_node(n, node_width) for n in spec.nodes] + ["}"],
        ["edges {"] + [_edge(e, edge_width) for e in spec.edges] + ["}"],
        *(_train(prop) for prop in spec.train),
    ]
    task = spec.task
    if isinstance(task, Mapping):
        blocks.append(_mapping(task, "task mapping", 0))
    elif isinstance(task, Schedule):
        blocks.append(_schedule(task))
    else:
        blocks.append(_regression(task))
    blocks += [_simulation(spec.simulation), _training(spec.training)]
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"
