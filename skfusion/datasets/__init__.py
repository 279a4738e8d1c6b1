"""Reader scores: a simulator, and loaders for real readers' output files."""

from ._example import write_squad_example
from ._loaders import load_csv, load_seed_pickle, load_squad_outputs
from ._simulate import FEATURE_NAMES, PER_HEAD_FEATURE_NAMES, make_squad2_scores
from ._squad import exact_match, f1_overlap, normalize_answer

__all__ = [
    "FEATURE_NAMES",
    "PER_HEAD_FEATURE_NAMES",
    "exact_match",
    "f1_overlap",
    "load_csv",
    "load_seed_pickle",
    "load_squad_outputs",
    "make_squad2_scores",
    "normalize_answer",
    "write_squad_example",
]
