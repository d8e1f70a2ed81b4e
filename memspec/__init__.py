"""memspec: describe, simulate and train networks of conical memristors.

spec = memspec.load("specs/voltage_divider.mem")
result = memspec.simulate(spec)            # SimulationResult
run = memspec.train(spec, weight="length", out_dir="runs/divider")
"""

from memspec.api import simulate, task_inputs
from memspec.backends import BACKEND_NAMES, Backend, SimulationResult, get_backend
from memspec.errors import MemspecError
from memspec.models import Spec
from memspec.network import Network, Parameters
from memspec.parser import load
from memspec.solve import Relaxation, relax
from memspec.training import TrainResult, train
from memspec.writer import dump

__all__ = [
    "BACKEND_NAMES",
    "Backend",
    "MemspecError",
    "Network",
    "Parameters",
    "Relaxation",
    "SimulationResult",
    "Spec",
    "TrainResult",
    "dump",
    "get_backend",
    "load",
    "relax",
    "simulate",
    "task_inputs",
    "train",
]
