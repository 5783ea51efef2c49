#include <torch/torch.h>

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "components/adapters/adaptable_linear.h"
#include "components/freezing/freezing_policies.h"
#include "components/freezing/freezing_util.h"
#include "framework/config/diagnostics.h"
#include "framework/config/options.h"
#include "framework/registry/registry.h"

namespace higgs {

namespace {

// One part of a group: a full-match regex over module names. A required part must exist in
// the model; a group whose parts are all optional is a no-op (with an info line) when absent.
struct Part {
  std::string regex, shown;
  bool required;
};

// The released checkpoint's module names (spec 1.3/1.4). "llm" is freeze_llm(): the shared
// attention, the text FFN and its two norms in each layer, and the final norm.
std::vector<Part> group_parts(const std::string& group, bool freeze_embeddings) {
  auto layer = [](const std::string& m) {
    return Part{"layers\\.\\d+\\." + m, "layers.*." + m, true};
  };
  if (group == "llm") {
    std::vector<Part> p = {layer("self_attn"),
                           layer("mlp"),
                           layer("input_layernorm"),
                           layer("post_attention_layernorm"),
                           {"norm", "norm", true}};
    if (freeze_embeddings) p.push_back({"embed_tokens", "embed_tokens", true});
    return p;
  }
  if (group == "embeddings") return {{"embed_tokens", "embed_tokens", true}};
  if (group == "text_head")
    return {{"audio_decoder_proj\\.text_lm_head", "audio_decoder_proj.text_lm_head", true}};
  if (group == "audio_tower") return {{"audio_tower", "audio_tower", false}};
  if (group == "audio_encoder_proj") return {{"audio_encoder_proj", "audio_encoder_proj", false}};
  if (group == "audio_path")
    return {layer("audio_mlp"),
            layer("audio_input_layernorm"),
            layer("audio_post_attention_layernorm"),
            {"audio_codebook_embeddings", "audio_codebook_embeddings", true},
            {"audio_decoder_proj\\.audio_lm_head", "audio_decoder_proj.audio_lm_head", true}};
  return {};
}

}  // namespace

const std::vector<std::string>& FreezeModules::group_names() {
  static const std::vector<std::string> names = {"llm",       "audio_tower", "audio_encoder_proj",
                                                 "text_head", "embeddings",  "audio_path"};
  return names;
}

void FreezeModules::bind(Binder& b, Options& o) {
  b.req("groups", o.groups,
        "Parts to freeze: llm (per layer self_attn, mlp, input/post_attention_layernorm, and "
        "norm), audio_tower, audio_encoder_proj, text_head, embeddings, audio_path (audio_mlp, "
        "audio norms, audio_codebook_embeddings, audio_lm_head).");
  b.opt("freeze_embeddings", o.freeze_embeddings,
        "Make \"llm\" freeze embed_tokens too (freeze_llm(freeze_embed=True)).");
}

FreezeModules::FreezeModules(const Options& options) : options_(options) {
  std::string errors;
  for (const auto& g : options_.groups) {
    const auto& names = group_names();
    if (std::find(names.begin(), names.end(), g) == names.end())
      errors += (errors.empty() ? "" : "\n") + std::string("freeze_modules: unknown group \"") + g +
                "\"" + suggestion_suffix(g, names) + "; groups are llm, audio_tower, " +
                "audio_encoder_proj, text_head, embeddings, audio_path";
  }
  if (options_.groups.empty()) errors = "freeze_modules: groups is empty; name what to freeze";
  if (!errors.empty()) throw RecipeError(errors);
}

void FreezeModules::apply(Model& model) { apply(model.module()); }

void FreezeModules::apply(torch::nn::Module& root) {
  const std::set<std::string> adapter_params = adapter_parameter_names(root);
  std::vector<std::string> base;
  for (const auto& p : root.named_parameters(true))
    if (!adapter_params.count(p.key())) base.push_back(p.key());

  std::string errors;
  std::set<std::string> selected;
  for (const auto& group : options_.groups) {
    const auto parts = group_parts(group, options_.freeze_embeddings);
    size_t tensors = 0;
    bool any_required = false;
    for (const auto& part : parts) {
      any_required = any_required || part.required;
      freezing::NameMatcher m({part.regex}, /*regex=*/true, "freeze_modules");
      size_t hits = 0;
      for (const auto& name : base)
        if (m.matches(name)) selected.insert(name), ++hits;
      tensors += hits;
      if (hits == 0 && part.required)
        errors += (errors.empty() ? "" : "\n") + std::string("freeze_modules: group \"") + group +
                  "\" expects parameters under " + part.shown +
                  ", but the model has none (is it a Higgs Audio v2 model?)";
    }
    if (tensors == 0 && !any_required)
      spdlog::info(
          "freeze_modules: the model has no {} (as the released checkpoint); nothing to "
          "freeze for group \"{}\"",
          group, group);
    else
      spdlog::info("freeze_modules: group \"{}\" selects {} parameter tensors", group, tensors);
  }
  if (!errors.empty()) throw RecipeError(errors);
  freezing::set_trainable(
      root, [&](const std::string& name) { return selected.count(name) > 0; }, false);
  freezing::log_trainable_summary(root, "freeze_modules");
}

HIGGS_REGISTER(higgs::Freezing, FreezeModules, "freeze_modules",
               "Freezes named parts of the Higgs Audio model (llm, text_head, embeddings, "
               "audio_path, ...).");

}  // namespace higgs
