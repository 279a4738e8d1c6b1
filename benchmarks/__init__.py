"""Benchmarks of skfusion against the notebook and scikit-learn."""
