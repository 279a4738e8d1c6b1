"""SQuAD 2.0 metrics: answer normalisation, EM and F1, official-style reports.

They follow the official evaluation script ``evaluate-v2.0.py`` (Rajpurkar,
Jia and Liang, ACL 2018): scores here are the leaderboard's.
"""

from ._scorer import make_squad2_scorer, squad2_score
from ._squad import (
    answer_credit,
    exact_match,
    f1_overlap,
    no_answer_report,
    normalize_answer,
    squad2_credit,
    squad2_report,
    squad2_sample_weight,
    tuning_sample_weight,
)

__all__ = [
    "answer_credit",
    "exact_match",
    "f1_overlap",
    "make_squad2_scorer",
    "no_answer_report",
    "normalize_answer",
    "squad2_credit",
    "squad2_report",
    "squad2_sample_weight",
    "squad2_score",
    "tuning_sample_weight",
]
