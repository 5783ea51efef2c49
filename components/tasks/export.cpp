#include <torch/torch.h>

#include "components/tasks/export.h"

#include <cctype>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "components/models/higgs_audio/config.h"
#include "components/models/higgs_audio/higgs_audio.h"
#include "components/models/higgs_audio/model.h"
#include "components/models/higgs_audio/transformers_port.h"
#include "components/tasks/recipe_parts.h"
#include "framework/config/diagnostics.h"
#include "framework/config/options.h"
#include "framework/registry/registry.h"
#include "framework/run/task.h"
#include "framework/tensor_io/sharded_checkpoint.h"
#include "framework/train/checkpointer.h"
#include "framework/train/trainable.h"
#include "framework/train/trainer.h"
#include "framework/util/fs.h"
#include "framework/util/progress_bar.h"

namespace fs = std::filesystem;

namespace higgs {

uint64_t parse_byte_size(const std::string& text, const std::string& what) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  std::string unit = text.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double n = 0;
  try {
    n = i ? std::stod(text.substr(0, i)) : -1;
  } catch (const std::exception&) {
    n = -1;
  }
  static const std::map<std::string, double> units{
      {"", 1},      {"B", 1},        {"KB", 1e3},        {"MB", 1e6},          {"GB", 1e9},
      {"TB", 1e12}, {"KIB", 1024.0}, {"MIB", 1048576.0}, {"GIB", 1073741824.0}};
  auto it = units.find(unit);
  if (n <= 0 || it == units.end())
    throw RecipeError(what + " \"" + text +
                      "\" is not a size: write e.g. \"5GB\", \"500MB\" or \"2GiB\"");
  return static_cast<uint64_t>(n * it->second);
}

namespace {

class ExportTask : public Task {
 public:
  struct Options {
    std::string from;
    std::string checkpoint = "newest";
    std::string out;
    bool adapter_only = false;
    std::string max_shard_size = "5GB";
    std::string dtype = "model";
    std::string layout = "released";
    bool progress_bar = true;
  };
  static void bind(Binder& b, Options& o) {
    b.opt("from", o.from,
          "Run directory or checkpoint directory to export; empty: the recipe's output_dir.");
    b.choice("checkpoint", o.checkpoint, {"newest", "best"},
             "Which checkpoint of a run directory: the newest, or the one `best` links to.");
    b.req("out", o.out, "Directory to write (created; must be empty or absent).");
    b.opt("adapter_only", o.adapter_only,
          "Write the adapter alone in PEFT's layout instead of the merged full model.");
    b.opt("max_shard_size", o.max_shard_size,
          "Largest safetensors shard of the full model (\"5GB\", \"500MB\", \"2GiB\").");
    b.choice("dtype", o.dtype, {"model", "float32", "bfloat16"},
             "dtype of the written weights; \"model\" keeps the model's parameter dtype.");
    b.choice("layout", o.layout, {"released", "transformers"},
             "Full model layout: \"released\" (Boson's checkpoint, boson_multimodal), or "
             "\"transformers\": the Transformers higgs_audio_v2 port "
             "(HiggsAudioV2ForConditionalGeneration, "
             "load with use_text_head=True; every layer must be DualFFN).");
    b.opt("progress_bar", o.progress_bar,
          "Show progress (tensors converted, bytes written): a bar on a terminal, a line every "
          "30 s otherwise.");
  }
  explicit ExportTask(const Options& o) : o_(o) {
    parse_byte_size(o_.max_shard_size, "task.max_shard_size");
  }
  std::vector<std::string> required_keys() const override { return {"model"}; }

  int run(TaskContext& ctx) override {
    const std::string from = o_.from.empty() ? ctx.plan.settings.output_dir : o_.from;
    if (from.empty()) throw RecipeError("export: set task.from to a run or checkpoint directory");
    const std::string ckpt = Checkpointer::resolve(from, o_.checkpoint, "export task.from");
    if (fs::exists(o_.out) && !fs::is_empty(o_.out))
      throw RecipeError("export: " + o_.out + " is not empty; choose a new --out directory");

    RecipeParts parts(ctx);
    auto model = parts.model();
    auto adapters = parts.adapters();
    if (o_.adapter_only && adapters.empty())
      throw RecipeError(
          "export: the run has no adapter to export alone; drop adapter_only to "
          "write the full model");
    for (auto& a : adapters) a->attach(*model);
    const ParameterList restored = Checkpointer::restore_trainables(ckpt, *model, adapters);
    spdlog::info("export: restored {} trained tensors from {}", restored.size(), ckpt);

    fs::create_directories(o_.out);
    if (o_.adapter_only) {
      // Tensors the run trained (in the checkpoint) that the adapter file will not hold.
      const std::string warning = adapter_coverage_warning(outside_adapters(restored, adapters));
      if (!warning.empty()) spdlog::warn("{}", warning);
      save_adapters(o_.out, adapters, /*at_root=*/true);
      spdlog::info("exported the adapter of {} to {} (PEFT layout)", ckpt, o_.out);
      return 0;
    }
    for (auto& a : adapters) a->merge();
    auto* higgs = dynamic_cast<HiggsAudioModel*>(model.get());
    if (!higgs) {
      model->save(o_.out);
    } else {
      const bool port = o_.layout == "transformers";
      if (port) {
        write_file_atomic((fs::path(o_.out) / "config.json").string(),
                          transformers_port_config(higgs->model_config()).dump(2) + "\n");
      } else {
        higgs->model_config().save((fs::path(o_.out) / "config.json").string());
      }
      std::map<std::string, at::Tensor> tensors;
      const auto state = higgs->net().state_dict();
      ProgressBar convert(
          {"export: tensors", static_cast<int64_t>(state.size()), "tensor", 0, o_.progress_bar});
      for (const auto& [name, t] : state) {
        at::Tensor v = t.detach().cpu();
        if (o_.dtype == "float32") v = v.to(at::kFloat);
        if (o_.dtype == "bfloat16") v = v.to(at::kBFloat16);
        tensors[port ? transformers_port_tensor_name(name) : name] = v.contiguous();
        convert.advance();
      }
      convert.finish();
      tensor_io::ShardOptions so;
      so.max_shard_bytes = parse_byte_size(o_.max_shard_size, "task.max_shard_size");
      so.always_index = true;
      // The bar over the bytes written, in MiB (KiB for a model under 1 MiB: the tests' tiny ones).
      uint64_t total_bytes = 0;
      for (const auto& kv : tensors) total_bytes += kv.second.nbytes();
      const bool mib = total_bytes >= (1u << 20);
      const uint64_t unit_bytes = mib ? (1u << 20) : (1u << 10);
      ProgressBar written({"export: write", static_cast<int64_t>(total_bytes / unit_bytes),
                           mib ? "MiB" : "KiB", 0, o_.progress_bar});
      uint64_t written_bytes = 0;
      so.on_file_written = [&](const std::string&, uint64_t bytes) {
        written_bytes += bytes;
        written.update(static_cast<int64_t>(written_bytes / unit_bytes));
      };
      auto res = tensor_io::save_sharded_safetensors(o_.out, tensors, so);
      written.finish();
      spdlog::info("wrote {} tensors ({} bytes) in {} shards + {}", tensors.size(), res.total_size,
                   res.shard_files.size(), res.index_file);
      copy_tokenizer_files(higgs->checkpoint_dir());
    }
    spdlog::info("exported {} with {} adapter(s) merged to {}", ckpt, adapters.size(), o_.out);
    return 0;
  }

 private:
  // The released layout keeps the text tokenizer beside the weights: copy its files from the base
  // checkpoint so the export can be used as model.path (and text_tokenizer path) as it is.
  void copy_tokenizer_files(const fs::path& base) const {
    for (const char* f : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                          "generation_config.json"})
      if (fs::exists(base / f)) fs::copy_file(base / f, fs::path(o_.out) / f);
  }

  Options o_;
};

}  // namespace

HIGGS_REGISTER(Task, ExportTask, "export",
               "Merge LoRA into the base and write a full checkpoint (sharded safetensors + "
               "config.json), or the adapter alone (PEFT layout).");

}  // namespace higgs
