"""Every error memspec raises on purpose.

    MemspecError
    ├── SpecError            a problem in a .mem file, with its location
    │   ├── SpecSyntaxError      the text does not parse
    │   └── SpecSemanticError    it parses but does not describe a valid network
    ├── SpecFileError        the file cannot be read at all
    ├── PhysicsError         a stimulus outside the model's validity range
    ├── BackendError         a simulator could not do its job
    │   ├── BackendUnavailable   the simulator is not installed
    │   ├── SimulationFailed     the simulator ran and failed
    │   └── ConvergenceError     the network did not reach a steady state
    └── TrainingError        training could not go on

The CLI catches `MemspecError`, prints its `render()` and exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Span:
    """Where something stands in a source file (1-based lines and columns)."""

    path: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class MemspecError(Exception):
    """The root of memspec's own errors."""

    def render(self) -> str:
        return f"error: {self}"


class SpecError(MemspecError):
    """A problem in a .mem file, located by a span."""

    def __init__(
        self,
        message: str,
        span: Span | None,
        *,
        hint: str | None = None,
        source: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.source = source

    def render(self) -> str:
        if self.span is None:
            text = f"error: {self.message}"
        else:
            text = f"{self.span}: error: {self.message}"
            excerpt = _excerpt(self.span, self.source)
            if excerpt:
                text += "\n" + excerpt
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text


class SpecSyntaxError(SpecError):
    """The text of a .mem file does not follow the grammar."""


class SpecSemanticError(SpecError):
    """A .mem file parses, but does not describe a valid network or task."""


class SpecFileError(MemspecError):
    """A spec file is missing, unreadable or not text."""


class PhysicsError(MemspecError):
    """A stimulus lies outside the validity range of the memristor model."""


class BackendError(MemspecError):
    """A simulator backend could not do its job."""

    def __init__(self, message: str, *, backend: str, netlist: Path | None = None):
        super().__init__(message)
        self.backend = backend
        self.netlist = netlist

    def render(self) -> str:
        text = f"error: [{self.backend}] {self}"
        if self.netlist is not None:
            text += f"\n  netlist: {self.netlist}"
        return text


class BackendUnavailable(BackendError):
    """The simulator behind a backend is not installed."""


class SimulationFailed(BackendError):
    """The simulator ran and reported a failure."""


class ConvergenceError(BackendError):
    """The network did not settle to a steady state in the allowed time."""


class TrainingError(MemspecError):
    """Training could not go on."""


def _excerpt(span: Span, source: str | None) -> str:
    """The source line of a span with a gutter and carets under the span."""
    if source is None:
        try:
            source = Path(span.path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ""
    lines = source.splitlines()
    if not 1 <= span.line <= len(lines):
        return ""
    line = lines[span.line - 1].expandtabs(1)
    width = 1
    if span.end_line == span.line and span.end_column is not None:
        width = max(1, span.end_column - span.column)
    width = min(width, max(1, len(line) - span.column + 1))
    gutter = f"{span.line:>5} | "
    caret = " " * (len(gutter) - 2) + "| " + " " * (span.column - 1) + "^" * width
    return f"{gutter}{line}\n{caret}"
