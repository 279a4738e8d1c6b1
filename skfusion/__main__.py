"""Demo: cross-validated comparison of the estimators on simulated dev scores.

Run ``python -m skfusion``.
"""

from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, cross_validate

from . import MarginThresholdClassifier, TorchLogisticFusion
from .datasets import make_squad2_scores


def main() -> None:
    """Print mean and spread of out-of-fold accuracy for each estimator."""
    X, y = make_squad2_scores(random_state=0)
    print(
        f"Simulated SQuAD 2.0 dev scores: {X.shape[0]} questions, "
        f"{int(y.sum())} unanswerable; 5-fold CV repeated 3 times, same folds for all."
    )
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=3, random_state=0)
    estimators = {
        "TorchLogisticFusion (seed loop)": TorchLogisticFusion(random_state=0),
        "MarginThresholdClassifier (tuned)": MarginThresholdClassifier(),
        "MarginThresholdClassifier (t=0)": MarginThresholdClassifier(threshold=0.0),
        "sklearn LogisticRegression": LogisticRegression(),
    }
    print(f"{'estimator':<36}{'accuracy':>18}{'fit time':>12}")
    for name, estimator in estimators.items():
        result = cross_validate(estimator, X, y, cv=cv)
        scores = result["test_score"]
        print(
            f"{name:<36}{scores.mean():>10.4f} ± {scores.std():.4f}"
            f"{result['fit_time'].mean() * 1000:>9.1f} ms"
        )


if __name__ == "__main__":
    main()
