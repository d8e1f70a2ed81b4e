"""Ways to find the steady state of a network: Euler relaxation (and Newton)."""

from memspec.solve.relax import Relaxation, input_voltages, relax, steady_state

__all__ = ["Relaxation", "input_voltages", "relax", "steady_state"]
