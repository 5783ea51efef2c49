"""Writes a Higgs audio tokenizer directory in the released format, for the C++ tests.

usage: make_released_tokenizer_dir.py CONFIG_JSON OUT_DIR SEED NUM_SAMPLES [NUM_SAMPLES ...]

OUT_DIR/config.json   the config as given
OUT_DIR/model.pth     torch.save (zip) of an OrderedDict state dict with the released tensor
                      names (weight_g/weight_v for the DAC convs, parametrizations.* for HuBERT's
                      positional conv) and a _metadata attribute, as module.state_dict() gives
OUT_DIR/expected.pth  a plain dict, for the test only: wave<N> (0.3 * randn(N)) and codes<N>, the
                      codes the independent reference (higgs_audio_tokenizer_ref.py) computes
"""
import collections
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import higgs_audio_tokenizer_ref as ref  # noqa: E402


def main():
    cfg_path, out_dir, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lengths = [int(n) for n in sys.argv[4:]]
    os.makedirs(out_dir, exist_ok=True)
    c = dict(ref.DEFAULTS)
    c.update({k: v for k, v in json.load(open(cfg_path)).items() if k in ref.DEFAULTS})
    torch.manual_seed(seed)
    model = ref.Tokenizer(c).eval()
    weights = ref.randomize(model, seed)
    state = collections.OrderedDict(weights.items())
    state._metadata = collections.OrderedDict(model.state_dict()._metadata)
    torch.save(state, os.path.join(out_dir, "model.pth"))
    shutil.copyfile(cfg_path, os.path.join(out_dir, "config.json"))

    g = torch.Generator().manual_seed(seed + 1)
    expected = {}
    with torch.no_grad():
        for n in lengths:
            w = 0.3 * torch.randn(n, generator=g)
            expected[f"wave{n}"] = w
            expected[f"codes{n}"] = model.encode(w[None, None])
    torch.save(expected, os.path.join(out_dir, "expected.pth"))


if __name__ == "__main__":
    main()
