"""Reader scores: a simulator, and loaders for real readers' output files."""

from ..metrics import exact_match, f1_overlap, normalize_answer
from ._base import PER_HEAD_FEATURE_NAMES
from ._csv import load_csv
from ._dev import load_articles
from ._example import write_squad_example
from ._pickle import load_notebook_pickle, load_seed_pickle
from ._readers import load_reader_outputs, load_squad_outputs
from ._simulate import FEATURE_NAMES, make_squad2_ensemble, make_squad2_scores

__all__ = [
    "FEATURE_NAMES",
    "PER_HEAD_FEATURE_NAMES",
    "exact_match",
    "f1_overlap",
    "load_articles",
    "load_csv",
    "load_notebook_pickle",
    "load_reader_outputs",
    "load_seed_pickle",
    "load_squad_outputs",
    "make_squad2_ensemble",
    "make_squad2_scores",
    "normalize_answer",
    "write_squad_example",
]
