"""How a fit is set up: which engine, on which device, with which row weights."""

import numpy as np
from sklearn.model_selection import train_test_split

from .._compat import _import_torch


def _resolve_engine(engine, device):
    """Return ``("numba", None)`` or ``("torch", torch.device)``."""
    # A CPU fit with the fused kernel never imports torch.
    if engine != "torch" and device == "cpu":
        return "numba", None
    torch = _import_torch(f"engine={engine!r} with device={device!r}")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device: {exc}") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available "
            "(torch.cuda.is_available() is False); use device='cpu'."
        )
    if resolved.type != "cpu" and engine == "numba":
        raise ValueError(
            f"engine='numba' runs on the CPU only, but device={device!r}; "
            "use engine='torch' or 'auto' to train on that device."
        )
    if engine == "torch" or resolved.type != "cpu":
        return "torch", resolved
    return "numba", None


def _fit_and_eval_weights(y, sample_weight, validation_fraction, rng):
    """Split the sample weights into the loss's and the accuracy's (stratified)."""
    if validation_fraction is None:
        return sample_weight, sample_weight
    try:
        _, held_out = train_test_split(
            np.arange(y.shape[0]),
            test_size=validation_fraction,
            stratify=y,
            random_state=rng,
        )
    except ValueError as exc:
        raise ValueError(
            f"validation_fraction={validation_fraction} cannot give a stratified "
            f"split of {y.shape[0]} samples: {exc}"
        ) from exc
    eval_weight = np.zeros_like(sample_weight)
    eval_weight[held_out] = sample_weight[held_out]
    fit_weight = sample_weight - eval_weight
    if fit_weight.sum() <= 0 or eval_weight.sum() <= 0:
        raise ValueError(
            "The sample weights of the training or the validation part are all "
            "zero; change validation_fraction or random_state."
        )
    return fit_weight, eval_weight
