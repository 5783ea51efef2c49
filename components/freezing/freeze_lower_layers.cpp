// Freezing `freeze_lower_layers`: freezes whole decoder layers from the bottom, the usual way to
// fine-tune on little data (the lower layers keep the base model's text and acoustics; the
// upper layers adapt to the new voices). Layers are `layers.N.*` in the model's module tree.
//
//   freezing: [{ type: 'freeze_lower_layers', count: 20 }]   # of the 28 layers of Higgs v2
//
// The worked example of docs/architecture.md ("Adding a component"): this file and its test are
// all a new freezing policy needs.
#include <torch/torch.h>

#include <string>

#include "components/freezing/freezing_util.h"
#include "framework/config/diagnostics.h"
#include "framework/config/options.h"
#include "framework/registry/registry.h"
#include "framework/train/freezing.h"

namespace higgs {
namespace {

class FreezeLowerLayers : public Freezing {
 public:
  struct Options {
    int64_t count = 0;
    bool freeze_embeddings = false;
  };
  static void bind(Binder& b, Options& o) {
    b.req("count", o.count, "Decoder layers to freeze, from layer 0 up.").min(0);
    b.opt("freeze_embeddings", o.freeze_embeddings, "Freeze embed_tokens as well.");
  }
  explicit FreezeLowerLayers(const Options& o) : o_(o) {}

  void apply(Model& model) override {
    const int64_t layers = count_layers(model.module());
    if (o_.count > layers)
      throw RecipeError("freeze_lower_layers: count " + std::to_string(o_.count) +
                        " but the model has " + std::to_string(layers) +
                        " decoder layers (layers.N); use count <= " + std::to_string(layers));
    for (auto& p : model.module().named_parameters(true))
      if (frozen(p.key())) p.value().requires_grad_(false);
    freezing::log_trainable_summary(model.module(), "freeze_lower_layers");
  }

 private:
  // "layers.N.rest" -> N; -1 for any other name.
  static int64_t layer_of(const std::string& name) {
    if (name.rfind("layers.", 0) != 0) return -1;
    const auto dot = name.find('.', 7);
    const std::string n = name.substr(7, dot == std::string::npos ? std::string::npos : dot - 7);
    if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos) return -1;
    return std::stoll(n);
  }
  static int64_t count_layers(torch::nn::Module& root) {
    int64_t most = 0;
    for (const auto& p : root.named_parameters(true)) most = std::max(most, layer_of(p.key()) + 1);
    return most;
  }
  bool frozen(const std::string& name) const {
    const int64_t layer = layer_of(name);
    if (layer >= 0) return layer < o_.count && name.find("lora_") == std::string::npos;
    return o_.freeze_embeddings && name.rfind("embed_tokens.", 0) == 0;
  }

  Options o_;
};

}  // namespace

HIGGS_REGISTER(higgs::Freezing, FreezeLowerLayers, "freeze_lower_layers",
               "Freezes the lowest `count` decoder layers (and optionally the embeddings).");

}  // namespace higgs
