"""Reference values for tests/unit/optim: PyTorch's own optimizers and schedulers.

Prints one JSON object. Optimizer cases hold the initial parameters, the gradient of every step
(null = no gradient that step), the lr used at each step and the parameters and optimizer state
after the last step, all from torch.optim.{AdamW,SGD} driven by LambdaLR. Schedule cases hold the
HF transformers lambdas (copied from transformers/optimization.py, which is not installed here)
and, independently, torch.optim.lr_scheduler's LinearLR / CosineAnnealingLR pieced together.
Floats are printed with repr, so float32 values survive the trip exactly.
Run: /usr/bin/python3 tests/python/optim_reference.py
"""
import json
import math

import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, LinearLR


# --- HF transformers lambdas (optimization.py), min-lr variants as in get_cosine_with_min_lr ---
def hf_constant(step, warmup):
    if step < warmup:
        return float(step) / float(max(1.0, warmup))
    return 1.0


def hf_linear(step, warmup, total):
    if step < warmup:
        return float(step) / float(max(1, warmup))
    return max(0.0, float(total - step) / float(max(1, total - warmup)))


def hf_cosine(step, warmup, total, num_cycles=0.5):
    if step < warmup:
        return float(step) / float(max(1, warmup))
    progress = float(step - warmup) / float(max(1, total - warmup))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))


def hf_cosine_min(step, warmup, total, num_cycles, min_lr_rate):
    if step < warmup:
        return float(step) / float(max(1, warmup))
    progress = float(step - warmup) / float(max(1, total - warmup))
    factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    factor = factor * (1 - min_lr_rate) + min_lr_rate
    return max(0, factor)


def linear_min(step, warmup, total, min_lr_rate):
    # HF has no min-lr linear schedule; this is the documented extension.
    if step < warmup:
        return float(step) / float(max(1, warmup))
    decay = max(0.0, float(total - step) / float(max(1, total - warmup)))
    return decay * (1 - min_lr_rate) + min_lr_rate


def lambda_lr_values(fn, total):
    """The lr LambdaLR gives the optimizer at each step, with base lr 1."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    sched = LambdaLR(opt, fn)
    out = []
    for _ in range(total):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def torch_builtin_values(kind, warmup, total, min_lr=0.0):
    """Warmup from LinearLR (shifted: step s>=1 is LinearLR's s-1), then LinearLR / Cosine."""
    out = [0.0] if warmup > 0 else []
    if warmup > 1:
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=1.0)
        s = LinearLR(opt, start_factor=1.0 / warmup, end_factor=1.0, total_iters=warmup - 1)
        for _ in range(1, warmup):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            s.step()
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    if kind == "linear":
        s = LinearLR(opt, start_factor=1.0, end_factor=min_lr,
                     total_iters=total - warmup)
    elif kind == "cosine":
        s = CosineAnnealingLR(opt, T_max=total - warmup, eta_min=min_lr)
    else:
        s = None
    for _ in range(warmup, total):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if s is not None:
            s.step()
    return out


def schedules():
    T, W = 100, 10
    ratio_warmup = math.ceil(T * 0.033)  # HF TrainingArguments.get_warmup_steps
    cases = {
        "constant_w10": ([hf_constant(s, W) for s in range(T)],
                         lambda_lr_values(lambda s: hf_constant(s, W), T),
                         torch_builtin_values("constant", W, T)),
        "linear_w10": ([hf_linear(s, W, T) for s in range(T)],
                       lambda_lr_values(lambda s: hf_linear(s, W, T), T),
                       torch_builtin_values("linear", W, T)),
        "cosine_w10": ([hf_cosine(s, W, T) for s in range(T)],
                       lambda_lr_values(lambda s: hf_cosine(s, W, T), T),
                       torch_builtin_values("cosine", W, T)),
        "linear_w10_min0.1": ([linear_min(s, W, T, 0.1) for s in range(T)],
                              lambda_lr_values(lambda s: linear_min(s, W, T, 0.1), T),
                              torch_builtin_values("linear", W, T, 0.1)),
        "cosine_w10_min0.1": ([hf_cosine_min(s, W, T, 0.5, 0.1) for s in range(T)],
                              lambda_lr_values(lambda s: hf_cosine_min(s, W, T, 0.5, 0.1), T),
                              torch_builtin_values("cosine", W, T, 0.1)),
        "cosine_w10_cycles1": ([hf_cosine(s, W, T, 1.0) for s in range(T)],
                               lambda_lr_values(lambda s: hf_cosine(s, W, T, 1.0), T), None),
        "cosine_ratio0.033": ([hf_cosine(s, ratio_warmup, T) for s in range(T)],
                              lambda_lr_values(lambda s: hf_cosine(s, ratio_warmup, T), T),
                              torch_builtin_values("cosine", ratio_warmup, T)),
        "constant_w0": ([hf_constant(s, 0) for s in range(T)],
                        lambda_lr_values(lambda s: hf_constant(s, 0), T), None),
    }
    return {k: {"hf": v[0], "lambda_lr": v[1], "torch": v[2]} for k, v in cases.items()}


# --- optimizers ---
SPECS = [
    ("layers.0.input_layernorm.weight", (4,)),
    ("embed_tokens.weight", (6, 3)),
    ("layers.0.mlp.up_proj.weight", (3, 4)),
    ("layers.0.mlp.up_proj.bias", (3,)),
    ("layers.0.self_attn.q_proj.lora_A.weight", (2, 4)),
    ("norm.weight", (4,)),
]
DECAY = ["layers.0.mlp.up_proj.weight", "layers.0.self_attn.q_proj.lora_A.weight"]
STEPS = 10
SKIP = (4, "layers.0.self_attn.q_proj.lora_A.weight")  # no gradient at step 4


def flat(t):
    return {"shape": list(t.shape), "values": t.reshape(-1).tolist()}


def run_optimizer(make_opt, lr_lambda, seed):
    torch.manual_seed(seed)
    init = {n: torch.randn(s) for n, s in SPECS}
    grads = [{n: torch.randn(s) for n, s in SPECS} for _ in range(STEPS)]
    params = {n: torch.nn.Parameter(init[n].clone()) for n, _ in SPECS}
    opt = make_opt(params)
    sched = LambdaLR(opt, lr_lambda)
    lrs = []
    for k in range(STEPS):
        for n, _ in SPECS:
            params[n].grad = None if (k, n) == SKIP else grads[k][n].clone()
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    state = {}
    for n, _ in SPECS:
        for key, value in opt.state[params[n]].items():
            if value is not None:  # SGD without momentum keeps momentum_buffer None
                state[n + "." + key] = flat(value.detach().float())
    return {
        "init": {n: flat(init[n]) for n, _ in SPECS},
        "grads": [{n: (None if (k, n) == SKIP else flat(g[n])) for n, _ in SPECS}
                  for k, g in enumerate(grads)],
        "decay": DECAY,
        "lrs": lrs,
        "final": {n: flat(params[n].detach()) for n, _ in SPECS},
        "state": state,
    }


NO_DECAY = [n for n, _ in SPECS if n not in DECAY]


def two_groups(params, wd):
    return [{"params": [params[n] for n in DECAY], "weight_decay": wd},
            {"params": [params[n] for n in NO_DECAY], "weight_decay": 0.0}]


def optimizers():
    def adamw(lr, betas, eps, wd):
        return lambda params: torch.optim.AdamW(two_groups(params, wd), lr=lr, betas=betas,
                                                eps=eps)

    def sgd(lr, momentum, dampening, nesterov, wd):
        return lambda params: torch.optim.SGD(two_groups(params, wd), lr=lr, momentum=momentum,
                                              dampening=dampening, nesterov=nesterov)

    def adamw_lora_plus(params):
        # lr_multipliers {"*lora_A*": 4.0, "*up_proj*": 0.5}: per-group lr = lr * multiplier.
        lr, wd = 2e-3, 0.05
        up_w, up_b = "layers.0.mlp.up_proj.weight", "layers.0.mlp.up_proj.bias"
        lora = "layers.0.self_attn.q_proj.lora_A.weight"
        plain = [n for n in NO_DECAY if n != up_b]
        return torch.optim.AdamW([
            {"params": [params[n] for n in plain], "weight_decay": 0.0},
            {"params": [params[lora]], "weight_decay": wd, "lr": lr * 4.0},
            {"params": [params[up_w]], "weight_decay": wd, "lr": lr * 0.5},
            {"params": [params[up_b]], "weight_decay": 0.0, "lr": lr * 0.5},
        ], lr=lr, betas=(0.9, 0.999), eps=1e-8)

    return {
        "adamw_cosine": run_optimizer(adamw(1e-2, (0.9, 0.95), 1e-8, 0.1),
                                      lambda s: hf_cosine(s, 3, STEPS), 1),
        "adamw_linear_min": run_optimizer(adamw(3e-3, (0.9, 0.999), 1e-6, 0.01),
                                          lambda s: linear_min(s, 2, STEPS, 0.1), 2),
        "adamw_lora_plus": run_optimizer(adamw_lora_plus, lambda s: hf_cosine(s, 3, STEPS), 6),
        "sgd_momentum": run_optimizer(sgd(0.1, 0.9, 0.1, False, 0.01),
                                      lambda s: hf_constant(s, 2), 3),
        "sgd_nesterov": run_optimizer(sgd(0.05, 0.9, 0.0, True, 0.01),
                                      lambda s: hf_linear(s, 0, STEPS), 4),
        "sgd_plain": run_optimizer(sgd(0.1, 0.0, 0.0, False, 0.0),
                                   lambda s: hf_cosine(s, 2, STEPS), 5),
    }


if __name__ == "__main__":
    print(json.dumps({"torch": torch.__version__, "schedules": schedules(),
                      "optimizers": optimizers()}))
