"""The training engines of `TorchLogisticFusion` (private).

The interface every engine implements is written down in `_reference`, whose
numpy solver is every engine's oracle; `_fused` is the numba kernel,
`_torch` the torch engine, `_common` what they share and `_setup` which
engine a fit runs on.
"""
