"""scikit-learn's own estimator checks, run on every skfusion estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skfusion import MarginThresholdClassifier, TorchLogisticFusion

ESTIMATORS = [
    # Fewer restarts only to keep the ~60 checks quick; the algorithm is the same.
    TorchLogisticFusion(n_restarts=3, random_state=0),
    # Restarts split over threads, as with n_jobs=-1 on a multi-core machine.
    TorchLogisticFusion(n_restarts=3, random_state=0, n_jobs=2),
    # The torch engine is the GPU's; on the CPU the checks cover it too.
    TorchLogisticFusion(n_restarts=3, random_state=0, engine="torch"),
    MarginThresholdClassifier(),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
