"""Fixtures shared by the tests."""

import pickle

import numpy as np
import pytest

from skfusion.datasets import make_squad2_scores
from tests._builders import GOLDS, NBEST, squad_dev, write_json, write_run


@pytest.fixture
def squad_files(tmp_path):
    """A three-question dev set with a BERT run_squad output folder."""
    paths = write_run(tmp_path, NBEST)
    paths["dev"] = write_json(tmp_path / "dev-v2.0.json", squad_dev(GOLDS))
    return paths


@pytest.fixture
def notebook_pickle(tmp_path):
    """The research notebook's pickle format, for 600 simulated questions."""
    X, y = make_squad2_scores(n_questions=600, random_state=0)
    content = {
        "scores": {f"q{i}": list(r) for i, r in enumerate(X)},
        "labels": {f"q{i}": bool(v) for i, v in enumerate(y)},
    }
    path = tmp_path / "scores.pkl"
    path.write_bytes(pickle.dumps(content))
    return path


@pytest.fixture
def rng():
    return np.random.RandomState(0)
