#include <torch/torch.h>

#include "components/models/higgs_audio/higgs_audio.h"

#include <filesystem>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "components/models/higgs_audio/loss.h"
#include "components/models/higgs_audio/model.h"
#include "components/models/higgs_audio/transformers_port.h"
#include "components/models/higgs_audio/weights_io.h"
#include "framework/config/json_file.h"
#include "framework/registry/registry.h"
#include "framework/util/device.h"

namespace higgs {

void HiggsAudioModel::bind(Binder& b, Options& o) {
  b.req("path", o.path,
        "Checkpoint directory holding config.json (and the weights unless init is \"random\").");
  b.choice(
      "init", o.init, {"checkpoint", "random"},
      "\"checkpoint\": load the weights in path; \"random\": N(0, init_std) from config.json.");
  b.choice("dtype", o.dtype, {"float32", "bfloat16"}, "Parameter dtype.");
  b.choice("device", o.device, {"inherit", "cpu", "cuda", "auto"},
           "Where the model lives; \"inherit\" uses the recipe's top-level device.");
  b.opt("gradient_checkpointing", o.gradient_checkpointing,
        "Recompute each decoder layer in backward instead of keeping its activations.");
  b.opt("text_loss_weight", o.text_loss_weight, "Weight of the text cross-entropy term.").min(0.0);
  b.opt("audio_loss_weight", o.audio_loss_weight, "Multiplies every codebook weight.").min(0.0);
  b.opt("codebook_weights", o.codebook_weights,
        "Per-codebook weights of the audio cross-entropy (empty: all 1).");
  b.choice("reduction", o.reduction, {"mean", "sum"},
           "How codebook losses combine: \"mean\" divides each weight by the number of codebooks.");
  b.opt("seed", o.seed, "Seed of the random initialisation (default: the recipe's seed).");
  b.opt("audio_tower_init", o.audio_tower_init,
        "A Whisper checkpoint directory in the Hugging Face layout (e.g. openai/whisper-large-v3: "
        "model.safetensors) whose encoder initialises audio_tower (config.json needs "
        "skip_audio_tower: false). With init \"checkpoint\", tower and audio_encoder_proj "
        "weights missing from path are allowed (the projector then starts random).");
  b.choice(
      "audio_tower_padding", o.audio_tower_padding, {"masked", "reference_eager"},
      "Padded frames of a partial Whisper window: \"masked\" in attention (Boson's tower with "
      "SDPA), or \"reference_eager\": attended as Boson's default eager attention does (it adds "
      "its boolean mask to the scores; docs/fidelity.md).");
}

namespace {

std::string device_spec(const std::string& opt, const std::string& recipe_device) {
  return opt == "inherit" ? recipe_device : opt;
}

}  // namespace

std::optional<DeclaredConfig> HiggsAudioModel::declared_config(const Options& o) {
  const std::string cfg_path = (std::filesystem::path(o.path) / "config.json").string();
  if (o.path.empty() || !std::filesystem::exists(cfg_path)) return std::nullopt;
  // As the built model reports it (config()): the port's layout read as the released one.
  return DeclaredConfig{HiggsAudioConfig::from_file(cfg_path).to_json(), cfg_path};
}

HiggsAudioModel::HiggsAudioModel(const Options& o, const RunSettings& run) : opts_(o) {
  namespace fs = std::filesystem;
  const std::string cfg_path = (fs::path(o.path) / "config.json").string();
  cfg_ = std::make_shared<HiggsAudioConfig>(HiggsAudioConfig::from_file(cfg_path));
  cfg_->check_supported(cfg_path);
  const int64_t k = cfg_->audio_num_codebooks;
  if (!o.codebook_weights.empty() && static_cast<int64_t>(o.codebook_weights.size()) != k)
    throw std::runtime_error("model.codebook_weights has " +
                             std::to_string(o.codebook_weights.size()) + " entries but " +
                             cfg_path + " has audio_num_codebooks " + std::to_string(k));
  const auto dtype = o.dtype == "bfloat16" ? torch::kBFloat16 : torch::kFloat32;
  net_ = std::make_shared<higgs_audio::HiggsAudioModelImpl>(*cfg_, dtype);
  // A plain "cuda" is this process's GPU under torchrun: cuda:LOCAL_RANK.
  net_->to(
      resolve_device(device_spec(o.device, run.device), run.placement.local_rank, "model.device"));
  const bool whisper = !o.audio_tower_init.empty();
  if (whisper && cfg_->skip_audio_tower)
    throw std::runtime_error("model.audio_tower_init is set but " + cfg_path +
                             " has skip_audio_tower: true (no tower to initialise); set it to "
                             "false, or drop audio_tower_init");
  // Random first when a Whisper encoder completes a checkpoint without tower weights: the
  // projector (audio_encoder_proj) then keeps its seeded random start.
  if (o.init == "random" || whisper)
    net_->init_weights(static_cast<uint64_t>(o.seed.value_or(run.seed)),
                       cfg_->audio_encoder_config.init_std);
  if (o.init != "random") {
    // With a Whisper encoder, the checkpoint may lack the tower and its projector.
    std::function<bool(const std::string&)> may_be_missing;
    if (whisper)
      may_be_missing = [](const std::string& n) {
        return n.rfind("audio_tower.", 0) == 0 || n.rfind("audio_encoder_proj.", 0) == 0;
      };
    // The Transformers port's layout (model_type higgs_audio_v2) holds the same tensors under
    // other names (components/models/higgs_audio/transformers_port.h).
    const bool port = is_transformers_port_config(read_json_file(cfg_path));
    higgs_audio::load_checkpoint_weights(
        o.path, [&](const std::vector<std::string>& names,
                    const std::function<torch::Tensor(const std::string&)>& fetch) {
          if (!port) return net_->load_state_dict(names, fetch, o.path, may_be_missing);
          std::vector<std::string> released;
          for (const auto& n : names) released.push_back(released_tensor_name(n));
          net_->load_state_dict(
              released,
              [&](const std::string& n) { return fetch(transformers_port_tensor_name(n)); }, o.path,
              may_be_missing);
        });
  }
  if (whisper) {
    const int64_t n = net_->load_whisper_encoder(o.audio_tower_init);
    spdlog::info("audio_tower: {} tensors from the Whisper encoder in {}", n, o.audio_tower_init);
  }
  net_->gradient_checkpointing = o.gradient_checkpointing;
  if (net_->audio_tower)
    net_->audio_tower->reference_eager_padding = o.audio_tower_padding == "reference_eager";
  net_->train();
}

HiggsAudioModel::~HiggsAudioModel() = default;

torch::nn::Module& HiggsAudioModel::module() { return *net_; }

const HiggsAudioConfig& HiggsAudioModel::model_config() const { return *cfg_; }

std::vector<LossTerm> HiggsAudioModel::loss_terms(const Batch& batch) {
  higgs_audio::LossOptions lo;
  lo.text_loss_weight = opts_.text_loss_weight;
  lo.audio_loss_weight = opts_.audio_loss_weight;
  lo.codebook_weights = opts_.codebook_weights;
  lo.reduction = opts_.reduction;
  return higgs_audio::compute_loss_terms(*net_, batch, lo);
}

std::map<std::string, int64_t> HiggsAudioModel::target_counts(const Batch& batch) const {
  return higgs_audio::count_targets(*net_, batch);
}

void HiggsAudioModel::save(const std::string& dir) const {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  cfg_->save((fs::path(dir) / "config.json").string());
  higgs_audio::save_checkpoint_weights(dir, net_->state_dict());
}

Json HiggsAudioModel::config() const { return cfg_->to_json(); }

HIGGS_REGISTER(Model, HiggsAudioModel, "higgs_audio",
               "Higgs Audio v2 (Llama + DualFFN audio adapter) with text and per-codebook audio "
               "loss.");

}  // namespace higgs
