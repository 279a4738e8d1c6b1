"""Benchmarks of skfusion against the seed notebook and scikit-learn."""
