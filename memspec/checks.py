"""Semantic checks: does a parsed spec describe a network that can run?

`check` collects every problem it finds and raises them together, sorted by
position: the first one is the exception's message and span, and `render()`
prints them all. It works on any `Spec`; when the spec came from a file,
`Locations` lets each error point at the exact word rather than at the
whole declaration.
"""

from __future__ import annotations

import difflib

import networkx as nx

from memspec.errors import Span, SpecSemanticError
from memspec.models import (
    NODE_WEIGHTS,
    WEIGHT_UNITS,
    Mapping,
    Regression,
    Schedule,
    Spec,
    TrainedProperty,
)


class SpecErrors(SpecSemanticError):
    """Several problems in one spec; the first one names the exception."""

    def __init__(self, errors: list[SpecSemanticError]):
        first = errors[0]
        super().__init__(
            first.message, first.span, hint=first.hint, source=first.source
        )
        self.errors = errors

    def render(self) -> str:
        return "\n".join(SpecSemanticError.render(e) for e in self.errors)


class Locations:
    """Where each field (and each key of a dict field) of a model was written."""

    def __init__(self) -> None:
        self._spans: dict[tuple[int, str, str | None], Span] = {}
        self._keep: list[object] = []  # keeps ids unique while the map lives

    def put(self, model: object, field: str, span: Span, key: str | None = None):
        self._keep.append(model)
        self._spans[(id(model), field, key)] = span

    def get(
        self, model: object, field: str = "", key: str | None = None
    ) -> Span | None:
        span = self._spans.get((id(model), field, key))
        if span is None and key is not None:
            span = self._spans.get((id(model), field, None))
        return span or getattr(model, "span", None)


class Diagnostics:
    """Collects errors and raises them together."""

    def __init__(self, source: str | None = None):
        self.source = source
        self.errors: list[SpecSemanticError] = []

    def error(self, message: str, span: Span | None, hint: str | None = None):
        self.errors.append(
            SpecSemanticError(message, span, hint=hint, source=self.source)
        )

    def add(self, error: SpecSemanticError):
        if error.source is None:
            error.source = self.source
        self.errors.append(error)

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        far = (10**9, 10**9)
        self.errors.sort(key=lambda e: (e.span.line, e.span.column) if e.span else far)
        if len(self.errors) == 1:
            raise self.errors[0]
        raise SpecErrors(self.errors)


def did_you_mean(word: str, options: list[str] | tuple[str, ...]) -> str:
    """'; did you mean 'x'?' when a close option exists, else ''."""
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def check(spec: Spec, where: Locations | None = None, source: str | None = None):
    """Raise SpecSemanticError (or SpecErrors) if `spec` cannot be run."""
    where = where or Locations()
    diag = Diagnostics(source if source is not None else spec.source)
    _check_values(spec, where, diag)
    _check_names(spec, where, diag)
    _check_graph(spec, where, diag)
    _check_task(spec, where, diag)
    _check_training(spec, where, diag)
    diag.raise_if_any()


# Units in which messages quote values, with their size in SI.
UM, NM, MS, MM = ("um", 1e-6), ("nm", 1e-9), ("ms", 1e-3), ("mM", 1.0)
BAR = ("bar", 1e5)


def _positive(diag, where, model, field: str, what: str, shown=("", 1.0)):
    value = getattr(model, field)
    if value is not None and not value > 0:
        unit, scale = shown
        diag.error(
            f"{what} must be positive, but it is {value / scale:g} {unit}".rstrip(),
            where.get(model, field),
        )


def _check_values(spec: Spec, where: Locations, diag: Diagnostics):
    device = spec.device
    for field, shown in [
        ("length", UM),
        ("base_radius", NM),
        ("tip_radius", NM),
        ("viscosity", ("mPa*s", 1e-3)),
        ("permittivity", ("nF/m", 1e-9)),
        ("diffusivity", ("um^2/ms", 1e-9)),
        ("temperature", ("K", 1.0)),
    ]:
        _positive(diag, where, device, field, f"the device {field}", shown)
    if 0 < device.base_radius <= device.tip_radius:
        diag.error(
            f"the tip radius ({device.tip_radius * 1e9:g} nm) must be smaller "
            f"than the base radius ({device.base_radius * 1e9:g} nm)",
            where.get(device, "tip_radius"),
            hint="a conical channel narrows from its base to its tip",
        )

    for node in spec.nodes:
        what = f"the concentration of '{node.name}'"
        _positive(diag, where, node, "concentration", what, MM)
        # Node pressures are absolute (1 bar at rest), so they too are positive.
        what = f"the pressure of '{node.name}'"
        _positive(diag, where, node, "pressure", what, BAR)
    for edge in spec.edges:
        _positive(diag, where, edge, "length", f"the length of '{edge.name}'", UM)
        what = f"the base radius of '{edge.name}'"
        _positive(diag, where, edge, "base_radius", what, NM)
        if edge.base_radius is not None and 0 < edge.base_radius <= device.tip_radius:
            diag.error(
                f"the base radius of '{edge.name}' ({edge.base_radius * 1e9:g} nm) "
                f"must be larger than the tip radius ({device.tip_radius * 1e9:g} nm)",
                where.get(edge, "base_radius"),
                hint="a conical channel narrows from its base to its tip",
            )

    sim = spec.simulation
    _positive(diag, where, sim, "dt", "the time step dt", MS)
    _positive(diag, where, sim, "settle_tolerance", "the settle tolerance")
    _positive(diag, where, sim, "max_time", "max_time", ("s", 1.0))
    _positive(diag, where, sim, "conductance_floor", "the conductance floor")
    if sim.dt > 0 and sim.max_time > 0 and sim.dt > sim.max_time:
        diag.error(
            f"the time step dt ({sim.dt:g} s) is longer than max_time "
            f"({sim.max_time:g} s)",
            where.get(sim, "dt"),
        )
    _positive(diag, where, spec.training, "steps", "the number of training steps")
    _positive(diag, where, spec.training, "fd_step", "the finite-difference step")
    _positive(diag, where, spec.training, "rate_decay", "rate_decay")


def _duplicates(diag, where, items, what: str):
    seen: dict[str, object] = {}
    for item in items:
        if item.name in seen:
            first = where.get(seen[item.name], "name")
            diag.error(
                f"{what} '{item.name}' is declared twice",
                where.get(item, "name"),
                hint=f"the first '{item.name}' is at line {first.line}"
                if first
                else None,
            )
        else:
            seen[item.name] = item


def _check_names(spec: Spec, where: Locations, diag: Diagnostics):
    _duplicates(diag, where, spec.nodes, "node")
    _duplicates(diag, where, spec.edges, "edge")
    names = [n.name for n in spec.nodes]
    for edge in spec.edges:
        for end in ("base", "tip"):
            node = getattr(edge, end)
            if node not in names:
                diag.error(
                    f"unknown node '{node}' in edge '{edge.name}'"
                    + did_you_mean(node, names),
                    where.get(edge, end),
                    hint=f"declared nodes are {', '.join(names)}" if names else None,
                )
        if edge.base == edge.tip:
            diag.error(
                f"edge '{edge.name}' joins node '{edge.base}' to itself",
                where.get(edge, "tip"),
                hint="an edge needs two different nodes, base -> tip",
            )


def _check_graph(spec: Spec, where: Locations, diag: Diagnostics):
    inputs = [n.name for n in spec.nodes if n.role == "input"]
    if not inputs:
        diag.error(
            "the network has no input node, so no voltage is defined",
            where.get(spec, "nodes"),
            hint="give at least one node the role 'input'",
        )
        return
    graph = nx.Graph()
    graph.add_nodes_from(n.name for n in spec.nodes)
    graph.add_edges_from(
        (e.base, e.tip) for e in spec.edges if e.base in graph and e.tip in graph
    )
    reached = set(inputs)
    for name in inputs:
        reached |= nx.node_connected_component(graph, name)
    for node in spec.nodes:
        if node.name not in reached:
            diag.error(
                f"node '{node.name}' is not connected to any input node, "
                "so its voltage is undefined",
                where.get(node, "name"),
                hint="connect it by an edge, or remove it",
            )


def _roles(spec: Spec) -> dict[str, str]:
    """Each node's role; a duplicate name keeps its first declaration."""
    roles: dict[str, str] = {}
    for node in spec.nodes:
        roles.setdefault(node.name, node.role)
    return roles


def _check_mapping(spec: Spec, task: Mapping, where: Locations, diag: Diagnostics):
    roles = _roles(spec)
    for field, role in (("inputs", "input"), ("targets", "output")):
        for name in getattr(task, field):
            if name not in roles:
                diag.error(
                    f"unknown node '{name}' in the task {field}"
                    f"{did_you_mean(name, list(roles))}",
                    where.get(task, field, name),
                )
            elif roles[name] != role:
                verb = "sets a voltage on" if role == "input" else "sets a target on"
                diag.error(
                    f"the task {verb} '{name}', which is {_a(roles[name])} node",
                    where.get(task, field, name),
                    hint=f"only {role} nodes can appear in '{field}'",
                )
    for name, role in roles.items():
        if role == "input" and name not in task.inputs:
            diag.error(
                f"the task gives no voltage to the input node '{name}'",
                where.get(task, "inputs"),
                hint=f"add '{name} = ... V' to its inputs",
            )
    if not task.targets:
        diag.error("the task has no target", where.get(task, "targets"))


def _a(role: str) -> str:
    return f"a {role}" if role == "hidden" else f"an {role}"


def _check_regression(spec: Spec, task: Regression, where: Locations, diag):
    roles = _roles(spec)
    wanted = {
        "data_node": "input",
        "bias_node": "input",
        "ground_node": "input",
        "output_node": "output",
    }
    for field, role in wanted.items():
        name = getattr(task, field)
        word = field.removesuffix("_node")
        if name not in roles:
            diag.error(
                f"unknown node '{name}' as the regression {word} node"
                f"{did_you_mean(name, list(roles))}",
                where.get(task, field),
            )
        elif roles[name] != role:
            diag.error(
                f"the regression {word} node '{name}' must be an {role} node, "
                f"but it is {_a(roles[name])} node",
                where.get(task, field),
            )
    ends = [task.data_node, task.bias_node, task.ground_node]
    if len(set(ends)) < 3:
        diag.error(
            "the regression data, bias and ground nodes must be three different nodes",
            where.get(task, "ground_node"),
        )
    for name, role in roles.items():
        if role == "input" and name not in ends:
            diag.error(
                f"the input node '{name}' gets no voltage in the regression task",
                where.get(task),
                hint="make it the data, bias or ground node",
            )
    low, high = task.input_range
    if not low < high:
        diag.error(
            f"the input range {low:g} V .. {high:g} V is empty",
            where.get(task, "input_range"),
        )
    for field, what in [
        ("n_train", "train_samples"),
        ("n_test", "test_points"),
        ("test_every", "test_every"),
        ("batch", "batch"),
    ]:
        _positive(diag, where, task, field, what)
    if task.batch > task.n_train > 0:
        diag.error(
            f"batch ({task.batch}) is larger than train_samples ({task.n_train})",
            where.get(task, "batch"),
            hint="a step sums at most every training sample once",
        )


def _check_task(spec: Spec, where: Locations, diag: Diagnostics):
    task = spec.task
    if isinstance(task, Mapping):
        _check_mapping(spec, task, where, diag)
    elif isinstance(task, Schedule):
        if not task.stages:
            diag.error("the schedule has no stage", where.get(task))
        for stage in task.stages:
            _check_mapping(spec, stage, where, diag)
        _positive(diag, where, task, "steps_per_stage", "steps_per_stage")
    else:
        _check_regression(spec, task, where, diag)


def initial_weight(spec: Spec, kind: str, name: str) -> float:
    """The untrained value of weight `kind` of node or edge `name`, in weight units."""
    scale = WEIGHT_UNITS[kind][1]
    if kind in NODE_WEIGHTS:
        return getattr(spec.node(name), kind) / scale
    value = getattr(spec.edge(name), kind)
    return (value if value is not None else getattr(spec.device, kind)) / scale


def _check_trained(spec: Spec, prop: TrainedProperty, where: Locations, diag):
    on_nodes = prop.kind in NODE_WEIGHTS
    names = [n.name for n in (spec.nodes if on_nodes else spec.edges)]
    others = [n.name for n in (spec.edges if on_nodes else spec.nodes)]
    what, other = ("node", "edge") if on_nodes else ("edge", "node")
    valid = []
    for name in prop.members or []:
        if name in names:
            valid.append(name)
        elif name in others:
            diag.error(
                f"'{name}' is {'an' if other == 'edge' else 'a'} {other}, "
                f"but {prop.kind} is trained on {what}s",
                where.get(prop, "members", name),
            )
        else:
            diag.error(
                f"unknown {what} '{name}' in 'train {prop.kind}'"
                f"{did_you_mean(name, names)}",
                where.get(prop, "members", name),
            )
    _positive(diag, where, prop, "rate", f"the learning rate of {prop.kind}")

    unit = WEIGHT_UNITS[prop.kind][0]
    low, high = prop.bounds
    if low is not None and high is not None and not low < high:
        diag.error(
            f"the bounds {low:g} {unit} .. {high:g} {unit} are empty",
            where.get(prop, "bounds"),
        )
        return
    members = valid if prop.members is not None else names
    outside = []
    for name in dict.fromkeys(members):
        value = initial_weight(spec, prop.kind, name)
        if (low is not None and value < low) or (high is not None and value > high):
            outside.append(f"'{name}' ({value:g} {unit})")
    if outside:
        diag.error(
            f"the bounds exclude the initial {prop.kind} of {', '.join(outside)}",
            where.get(prop, "bounds"),
            hint="widen the bounds or change the initial values",
        )


def _check_training(spec: Spec, where: Locations, diag: Diagnostics):
    seen: set[str] = set()
    for prop in spec.train:
        if prop.kind in seen:
            diag.error(f"{prop.kind} is trained twice", where.get(prop, "kind"))
        seen.add(prop.kind)
        _check_trained(spec, prop, where, diag)
    for kind in spec.training.weights or []:
        if kind not in seen:
            diag.error(
                f"training weights lists {kind}, but no 'train {kind}' block "
                "sets its rate",
                where.get(spec.training, "weights"),
                hint=f"add 'train {kind} {{ rate = ... }}'",
            )
