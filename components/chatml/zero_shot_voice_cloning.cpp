// Dataset `zero_shot_voice_cloning`: ChatML voice-cloning samples (inference or compact layout)
// converted to the reference's zero-shot training layout; the reference turn is context, never a
// target. Implementation shared with `chatml` in chatml_dataset.cpp.
//
//   train_data: { type: 'zero_shot_voice_cloning', path: 'data/train.jsonl' }
#include "components/chatml/chatml_dataset.h"
#include "framework/registry/registry.h"

namespace higgs {
namespace {

class ZeroShotVoiceCloningDataset : public ChatMLDataset {
 public:
  struct Options : ChatMLDatasetOptions {};
  static void bind(Binder& b, Options& o) {
    ChatMLDatasetOptions::bind_common(b, o);
    b.opt("system_prompt", o.system_prompt,
          "System message; null builds it from `scene` as generation.py does, \"\" = none.");
    b.opt("scene", o.scene, "Scene description for the system message (e.g. a quiet room).");
  }
  ZeroShotVoiceCloningDataset(const Options& o, const DatasetArgs& args)
      : ChatMLDataset(o, args, true) {}
};

}  // namespace

HIGGS_REGISTER(Dataset, ZeroShotVoiceCloningDataset, "zero_shot_voice_cloning",
               "Voice-cloning ChatML (inference or compact layout), reference never trained.");

}  // namespace higgs
