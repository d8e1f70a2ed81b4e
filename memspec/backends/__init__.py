"""Simulator backends, looked up by name.

Each entry names the module and class that implement it, so that asking for
one backend never imports another simulator's Python bindings.
"""

from __future__ import annotations

from importlib import import_module

from memspec.backends.base import Backend, SimulationResult, Trace
from memspec.errors import BackendUnavailable, MemspecError

_REGISTRY: dict[str, str] = {
    "native": "memspec.backends.native:NativeBackend",
    "ngspice": "memspec.backends.ngspice:NgspiceBackend",
    "ahkab": "memspec.backends.ahkab:AhkabBackend",
}

BACKEND_NAMES: tuple[str, ...] = tuple(_REGISTRY)


def get_backend(name: str) -> Backend:
    """The backend called `name`, ready to run; raises if it cannot run here."""
    if name not in _REGISTRY:
        known = ", ".join(BACKEND_NAMES)
        raise MemspecError(f"unknown backend '{name}'; choose one of {known}")
    module, cls = _REGISTRY[name].split(":")
    backend: Backend = getattr(import_module(module), cls)()
    if not backend.available():
        raise BackendUnavailable(
            f"the {name} simulator is not installed here", backend=name
        )
    return backend


__all__ = ["BACKEND_NAMES", "Backend", "SimulationResult", "Trace", "get_backend"]
