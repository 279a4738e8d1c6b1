"""SQuAD 2.0 metrics: answer normalisation, EM and F1, and official-style reports.

Everything here follows the official SQuAD 2.0 evaluation script
(``evaluate-v2.0.py``; Rajpurkar, Jia and Liang, "Know What You Don't Know:
Unanswerable Questions for SQuAD", ACL 2018), so that scores computed here
are the leaderboard's.
"""

from ._scorer import make_squad2_scorer, squad2_score
from ._squad import (
    answer_credit,
    exact_match,
    f1_overlap,
    normalize_answer,
    squad2_credit,
    squad2_report,
    squad2_sample_weight,
)
from ._tuning import no_answer_report, tuning_sample_weight

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
