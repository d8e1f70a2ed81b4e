"""The validated description of a memristor network and its task.

A `Spec` is what a `.mem` file parses into. Every quantity is stored as a
float in SI units (m, Pa, mol/m^3, V, s, ...). Learning rates and bounds of
trained properties are the exception: they are quoted, as in the paper, in
the *weight units* bar, mM, um and nm (see `WEIGHT_UNITS`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from memspec.errors import Span

Role = Literal["input", "output", "hidden"]
WeightKind = Literal["pressure", "concentration", "length", "base_radius"]
WEIGHT_KINDS: tuple[WeightKind, ...] = (
    "pressure",
    "concentration",
    "length",
    "base_radius",
)

# The unit each weight kind is trained in, and its size in SI.
WEIGHT_UNITS: dict[WeightKind, tuple[str, float]] = {
    "pressure": ("bar", 1e5),
    "concentration": ("mM", 1.0),
    "length": ("um", 1e-6),
    "base_radius": ("nm", 1e-9),
}
NODE_WEIGHTS: frozenset[WeightKind] = frozenset({"pressure", "concentration"})

# A span travels with each model for error messages, but it is not part of
# what the model means: it is left out of equality and of serialisation.
SpanField = Annotated[Span | None, Field(default=None, exclude=True, repr=False)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def __eq__(self, other: object) -> bool:
        # Two models are equal when they mean the same thing, wherever they
        # were written: spans and file paths are left out.
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]


class Device(Model):
    """Channel geometry and material constants shared by every edge (SI)."""

    length: float = 10e-6
    base_radius: float = 200e-9
    tip_radius: float = 50e-9
    viscosity: float = 1.01e-3
    permittivity: float = 0.71e-9
    diffusivity: float = 1.75e-9
    wall_potential: float = -10e-3
    surface_charge: float = -0.0015e18  # elementary charges per m^2
    temperature: float = 293.15
    span: SpanField


class Node(Model):
    name: str
    role: Role
    pressure: float = 1e5
    concentration: float = 0.2
    span: SpanField


class Edge(Model):
    """A memristor with its base at node `base` and its tip at node `tip`."""

    name: str
    base: str
    tip: str
    length: float | None = None
    base_radius: float | None = None
    span: SpanField


class TrainedProperty(Model):
    """One physical property that acts as a weight.

    `rate` and `bounds` are in the weight unit of `kind` (bar, mM, um, nm).
    `members` restricts training to those nodes or edges; None means all.
    """

    kind: WeightKind
    rate: float
    bounds: tuple[float | None, float | None] = (None, None)
    members: list[str] | None = None
    span: SpanField


class Mapping(Model):
    """Fixed input voltages and the output voltages wanted (V)."""

    kind: Literal["mapping"] = "mapping"
    inputs: dict[str, float]
    targets: dict[str, float]
    span: SpanField


class Schedule(Model):
    """Mappings trained one after another, each for `steps` steps."""

    kind: Literal["schedule"] = "schedule"
    stages: list[Mapping]
    steps_per_stage: int | None = None
    span: SpanField


class Regression(Model):
    """Fit `V_out = slope * V_in + intercept` with one data input."""

    kind: Literal["regression"] = "regression"
    slope: float
    intercept: float
    data_node: str
    bias_node: str
    bias_voltage: float
    ground_node: str
    output_node: str
    input_range: tuple[float, float]
    n_train: int
    n_test: int
    seed: int = 0
    test_every: int = 10
    # Training samples per step, their costs summed: 1 is the published
    # scheme; `n_train` is full-batch (deterministic) descent.
    batch: int = 1
    span: SpanField


Task = Annotated[Mapping | Schedule | Regression, Field(discriminator="kind")]

GradientMethod = Literal["forward", "central", "adjoint"]
Optimizer = Literal["steepest_descent", "momentum", "adam"]
OnInvalid = Literal["error", "clamp"]


class Simulation(Model):
    """How the forward pass relaxes the network.

    Euler steps of `dt` run until every edge satisfies
    `|g_inf - g| <= settle_tolerance * g0`, or `max_time` has passed.
    """

    # Explicit Euler at dt / tau = 0.02 keeps the relaxation trace within 0.5%
    # of its swing of the exact dynamics (tests/test_backend_ngspice.py).
    dt: float = 0.1e-3
    settle_tolerance: float = 1e-9
    max_time: float = 1.0
    solver: Literal["relax", "newton"] = "relax"
    on_invalid: OnInvalid = "error"
    conductance_floor: float = 1e-3  # of g0, used when on_invalid = "clamp"
    span: SpanField


class Training(Model):
    steps: int = 100
    fd_step: float = 1e-3  # relative to each weight's initial value
    gradient: GradientMethod = "forward"
    optimizer: Optimizer = "steepest_descent"
    momentum: float = 0.9
    # T of the rate schedule rate / (1 + step / T), in steps; None keeps the
    # published fixed rate.
    rate_decay: float | None = None
    # The kinds of `train` block trained by default; None trains them all.
    # `memspec train --weight KIND` picks another block instead.
    weights: list[WeightKind] | None = None
    span: SpanField


class Spec(Model):
    """A whole `.mem` file."""

    name: str
    device: Device = Field(default_factory=Device)
    nodes: list[Node]
    edges: list[Edge]
    train: list[TrainedProperty] = Field(default_factory=list)
    task: Task
    simulation: Simulation = Field(default_factory=Simulation)
    training: Training = Field(default_factory=Training)
    path: str | None = Field(default=None, exclude=True)
    source: str | None = Field(default=None, exclude=True, repr=False)

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def edge(self, name: str) -> Edge:
        return next(e for e in self.edges if e.name == name)
