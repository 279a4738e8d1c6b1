"""Score columns from a reader's raw per-window start and end logits."""

from ._logits import features_from_logits

__all__ = ["features_from_logits"]
