"""A faithful copy of the notebook's training (cell 9): oracle and baseline.

Only the tqdm progress bar and the prints are left out; the model, the
optimizer, the schedule (transformers' get_linear_schedule_with_warmup,
written out as the LambdaLR it is), the per-step parameter copy and the
per-step evaluation are the notebook's. `notebook_fit` is the baseline of
benchmarks/bench_fit.py and bench_threads.py; `notebook_run`, the same loop
from given initial parameters, is the oracle of tests/test_fusion.py.
"""

import numpy as np
import torch
import torch.nn.functional as F


class ConstrainedLR(torch.nn.Module):
    def __init__(self, n_features=4):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, 1, bias=True)

    def forward(self, X):
        return self.linear(X).squeeze(-1)


@torch.no_grad()
def evaluate_model(M, X, Y):
    M.eval()
    odds = M(X)
    predictions = odds > 0.0
    accuracy = (predictions == Y).sum() / float(len(Y))
    return accuracy


def get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps):
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        return max(
            0.0,
            float(num_training_steps - current_step)
            / float(max(1, num_training_steps - num_warmup_steps)),
        )

    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)


def run_training(X, Y, STEPS=100, on_step=None):
    model = ConstrainedLR(X.shape[1])
    if on_step is not None:  # notebook_run: start where it says
        on_step(model, None)
    model = model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    scheduler = get_linear_schedule_with_warmup(
        opt, num_warmup_steps=10, num_training_steps=STEPS
    )
    best_acc = 0
    best_r = None
    labels = Y.float()
    for i in range(STEPS):
        log_odds = model(X)
        l_list = F.binary_cross_entropy_with_logits(log_odds, labels, reduction="none")
        l = l_list.mean()  # noqa: E741 (the notebook's name)
        l.backward()
        opt.step()
        scheduler.step()
        opt.zero_grad()
        if i % 1 == 0:
            r = {k: v.tolist() for k, v in dict(model.named_parameters()).items()}
            model.eval()
            with torch.no_grad():
                acc = evaluate_model(model, X, Y)
            model.train()
            if on_step is not None:
                on_step(model, float(acc))
            if acc > best_acc:
                best_acc = acc
                best_r = r
    return best_acc, best_r


def notebook_fit(X, Y, n_restarts=20):
    """The notebook's 20 restarts; X a FloatTensor, Y a BoolTensor."""
    total_best_acc, total_best_r = 0.0, None
    for _ in range(n_restarts):
        acc, r = run_training(X, Y)
        if acc > total_best_acc:
            total_best_acc = acc
            total_best_r = r
    return float(total_best_acc), total_best_r


def notebook_run(X, Y, weight, bias, STEPS=100):
    """`run_training` from the given initial parameters, in float32.

    Returns the accuracy and the parameters (weights then bias) after every
    step, as arrays of shape ``(STEPS,)`` and ``(STEPS, n_features + 1)``.
    """
    curve, params = [], []

    def on_step(model, acc):
        if acc is None:
            with torch.no_grad():
                model.linear.weight.copy_(torch.as_tensor(weight)[None, :])
                model.linear.bias.copy_(torch.as_tensor([bias]))
            return
        curve.append(acc)
        weights, bias_ = (p.detach().numpy() for p in model.linear.parameters())
        params.append(np.r_[weights[0], bias_])

    X, Y = torch.FloatTensor(np.asarray(X)), torch.BoolTensor(np.asarray(Y))
    run_training(X, Y, STEPS=STEPS, on_step=on_step)
    return np.array(curve), np.array(params)
