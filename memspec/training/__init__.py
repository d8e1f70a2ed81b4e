"""Training a network by the hybrid scheme of PHYSICS.md, "Training, as published"."""

from memspec.training.gradient import Evaluation, Problem, gradient
from memspec.training.loop import TrainResult, train, trained_properties
from memspec.training.weights import Weight, WeightSet, trained_spec, weight_set

__all__ = [
    "Evaluation",
    "Problem",
    "TrainResult",
    "Weight",
    "WeightSet",
    "gradient",
    "train",
    "trained_properties",
    "trained_spec",
    "weight_set",
]
