"""Independent delay-pattern computation for tests/unit/chatml/delay_pattern_test.cpp.

Reads {"codes": (B,K,T) nested list, "bos": int, "pad": int} from argv[1] and prints
{"ids": ..., "gen": ...} computed with the triangular masks described for build_delay_pattern_mask
in the Higgs Audio reference (boson_multimodal/model/higgs_audio/utils.py): cells left of the
diagonal are bos, cells at column >= row + T are pad (or -1), the rest are the codes in row order.
"""
import json
import sys

import torch

spec = json.load(open(sys.argv[1]))
codes = torch.tensor(spec["codes"], dtype=torch.long)
b, k, t = codes.shape
ones = torch.ones((b, k, t + k - 1), dtype=torch.long)
bos_mask = torch.tril(ones, -1) > 0
eos_mask = torch.triu(ones, t) > 0
gen = ones.clone()
gen[bos_mask] = spec["bos"]
gen[(~bos_mask) & (~eos_mask)] = codes.reshape(-1)
ids = gen.clone()
ids[eos_mask] = spec["pad"]
gen[eos_mask] = -1
print(json.dumps({"ids": ids.tolist(), "gen": gen.tolist()}))
