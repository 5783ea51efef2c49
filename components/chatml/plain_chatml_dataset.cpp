// Dataset `chatml`: ChatML samples used as written (start_index honoured). Implementation shared
// with `zero_shot_voice_cloning` in chatml_dataset.cpp.
//
//   train_data: { type: 'chatml', path: 'data/train.jsonl' }
#include "components/chatml/chatml_dataset.h"
#include "framework/registry/registry.h"

namespace higgs {
namespace {

class PlainChatMLDataset : public ChatMLDataset {
 public:
  struct Options : ChatMLDatasetOptions {};
  static void bind(Binder& b, Options& o) { ChatMLDatasetOptions::bind_common(b, o); }
  PlainChatMLDataset(const Options& o, const DatasetArgs& args) : ChatMLDataset(o, args, false) {}
};

}  // namespace

HIGGS_REGISTER(Dataset, PlainChatMLDataset, "chatml",
               "ChatML samples used as written (start_index honoured).");

}  // namespace higgs
