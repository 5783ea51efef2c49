"""PEFT's LoRA forward, computed in float64 from the saved adapter alone.

Usage: peft_lora_reference.py ADAPTER_DIR FIXTURE MODULE
FIXTURE (safetensors) holds "weight" (the base W of MODULE), "x" and "y" (the C++ output).
Reads scale the way PEFT does (lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora) and the
tensors under PEFT's names, then prints JSON {"scale", "max_abs_diff", "max_abs_y"}."""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from read_safetensors import load  # noqa: E402

adapter_dir, fixture, module = sys.argv[1:4]
config = json.load(open(os.path.join(adapter_dir, "adapter_config.json")))
r, alpha = config["r"], config["lora_alpha"]
scale = alpha / math.sqrt(r) if config.get("use_rslora") else alpha / r
_, lora = load(os.path.join(adapter_dir, "adapter_model.safetensors"))
a = lora["base_model.model." + module + ".lora_A.weight"][1].astype(np.float64)
b = lora["base_model.model." + module + ".lora_B.weight"][1].astype(np.float64)
_, fx = load(fixture)
w, x, y = (fx[k][1].astype(np.float64) for k in ("weight", "x", "y"))
ref = x @ w.T + scale * ((x @ a.T) @ b.T)
print(json.dumps({"scale": scale, "max_abs_diff": float(np.abs(ref - y).max()),
                  "max_abs_y": float(np.abs(y).max())}))
