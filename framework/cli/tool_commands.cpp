#include "framework/cli/tool_commands.h"

#include "framework/cli/generate_command.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "components/audio_tokenizers/higgs_audio/config.h"
#include "components/audio_tokenizers/higgs_audio/reconstruct_command.h"
#include "components/audio_tokenizers/higgs_audio/tokenizer.h"
#include "components/data/show_sample.h"
#include "components/models/higgs_audio/config.h"
#include "components/models/higgs_audio/higgs_audio.h"
#include "framework/cli/commands.h"
#include "framework/train/loss_metrics.h"
#include <torch/torch.h>
#include "components/text/tokenize_command.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/run/runner.h"
#include "framework/util/fs.h"

namespace higgs::cli {
namespace {

// The recipe flags of tool commands that read a recipe (main.cpp has the same for `run`).
struct RecipeFlagStrings {
  std::vector<std::string> ext_str, tla_str;
};

void add_recipe_load_flags(CLI::App* cmd, LoadOptions& load, RecipeFlagStrings& f) {
  cmd->add_option("--set", load.sets, "Override a recipe key: a.b.c=VALUE (VALUE as JSON, else string)");
  cmd->add_option("--ext-str", f.ext_str, "Jsonnet external variable NAME=STRING");
  cmd->add_option("--tla-str", f.tla_str, "Jsonnet top-level argument NAME=STRING");
  cmd->add_option("--jpath,-J", load.jpath, "Extra Jsonnet import directory");
}

void finish_load(LoadOptions& load, const RecipeFlagStrings& f) {
  for (const auto& s : f.ext_str) load.ext_str.push_back(split_kv(s, "--ext-str"));
  for (const auto& s : f.tla_str) load.tla_str.push_back(split_kv(s, "--tla-str"));
}

}  // namespace

std::vector<ToolCommand> add_tool_commands(CLI::App& app) {
  std::vector<ToolCommand> out;

  auto tok = std::make_shared<TokenizeCommandArgs>();
  auto tok_flags = std::make_shared<RecipeFlagStrings>();
  auto* tokenize = app.add_subcommand("tokenize", "Show the ids and pieces a text tokenizer gives");
  tokenize->add_option("--tokenizer", tok->tokenizer,
                       "tokenizer.json, a directory holding one, a sentencepiece .model, or a "
                       "recipe (its text_tokenizer)")
      ->required();
  add_recipe_load_flags(tokenize, tok->load, *tok_flags);
  auto* text = tokenize->add_option("--text", tok->text, "Text to tokenize");
  auto* file = tokenize->add_option("--file", tok->file, "File: each line is one input");
  text->excludes(file);
  tokenize->add_option("--format", tok->format, "text (ids and pieces) or json (one id array per line)")
      ->check(CLI::IsMember({"text", "json"}));
  out.push_back({tokenize, [tok, tok_flags] {
                   finish_load(tok->load, *tok_flags);
                   return run_tokenize_command(*tok);
                 }});

  // show-sample: one sample of a recipe's dataset as the model sees it.
  auto ss = std::make_shared<ShowSampleArgs>();
  auto ss_flags = std::make_shared<RecipeFlagStrings>();
  auto* show = app.add_subcommand(
      "show-sample", "Show one sample as the model sees it: segments, token ids, labels, audio");
  show->add_option("recipe", ss->recipe, "Recipe file (.jsonnet, .json, .yaml)")->required();
  show->add_option("--split", ss->split, "train (train_data) or eval (eval_data)")
      ->check(CLI::IsMember({"train", "eval"}));
  show->add_option("--index", ss->index, "Sample index (0-based)");
  show->add_option("--format", ss->format, "text (coloured on a terminal) or json")
      ->check(CLI::IsMember({"text", "json"}));
  add_recipe_load_flags(show, ss->load, *ss_flags);
  out.push_back({show, [ss, ss_flags] {
                   finish_load(ss->load, *ss_flags);
                   ss->color = isatty(STDOUT_FILENO) != 0;
                   return run_show_sample_command(*ss, std::cout, std::cerr);
                 }});

  // init-audio-tokenizer: a randomly initialised Higgs audio tokenizer of any size (the demo's).
  struct InitArgs {
    std::string config, out;
    int64_t seed = 0;
  };
  auto ia = std::make_shared<InitArgs>();
  auto* init = app.add_subcommand("init-audio-tokenizer",
                                  "Write a randomly initialised Higgs audio tokenizer (config.json + model.safetensors)");
  init->add_option("--config", ia->config, "Tokenizer config.json (any size)")->required();
  init->add_option("--out", ia->out, "Directory to write")->required();
  init->add_option("--seed", ia->seed, "Seed of the weights");
  out.push_back({init, [ia] {
                   auto cfg = higgs_audio::TokenizerConfig::from_file(ia->config);
                   std::filesystem::create_directories(ia->out);
                   write_file_atomic(ia->out + "/config.json", cfg.to_json() + "\n");
                   tensor_io::save_safetensors(ia->out + "/model.safetensors",
                                               higgs_audio::random_weights(cfg, static_cast<uint64_t>(ia->seed)));
                   std::cout << "wrote a random Higgs audio tokenizer to " << ia->out << "\n";
                   return 0;
                 }});

  // reconstruct: encode and decode one file with an audio tokenizer, to listen to what it keeps.
  auto rc = std::make_shared<ReconstructArgs>();
  auto* recon = app.add_subcommand("reconstruct",
                                   "Encode and decode one audio file with a Higgs audio tokenizer (24 kHz out)");
  recon->add_option("--audio-tokenizer", rc->audio_tokenizer,
                    "Tokenizer directory (config.json + model.safetensors or model.pth)")
      ->required();
  recon->add_option("--in", rc->in, "Audio file to encode (any rate, any channels)")->required();
  recon->add_option("--out", rc->out, "Decoded audio, 24 kHz mono (.wav: 16-bit PCM, .flac, .ogg)")->required();
  recon->add_option("--codes-out", rc->codes_out, "Also write the codes: safetensors, \"codes\" int64 (8, T)");
  recon->add_option("--device", rc->device, "cpu, cuda, cuda:N or auto");
  recon->add_option("--dtype", rc->dtype, "float32 or bfloat16")->check(CLI::IsMember({"float32", "bfloat16"}));
  out.push_back({recon, [rc] { return run_reconstruct_command(*rc, std::cout, std::cerr); }});

  // model-info: every parameter of a Higgs Audio config without allocating it.
  struct InfoArgs {
    std::string config, format = "text";
  };
  auto mi = std::make_shared<InfoArgs>();
  auto* info = app.add_subcommand("model-info", "List every parameter of a model config without allocating it");
  info->add_option("--config", mi->config, "config.json of a Higgs Audio checkpoint (or its directory)")->required();
  info->add_option("--format", mi->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  out.push_back({info, [mi] {
                   std::string path = mi->config;
                   if (std::filesystem::is_directory(path)) path += "/config.json";
                   auto cfg = HiggsAudioConfig::from_file(path);
                   Json j = model_info(cfg);
                   if (mi->format == "json") {
                     std::cout << j.dump(2) << "\n";
                     return 0;
                   }
                   for (const auto& t : j["tensors"]) {
                     std::string shape;
                     for (const auto& d : t["shape"]) shape += (shape.empty() ? "" : ", ") + d.dump();
                     std::cout << t["name"].get<std::string>() << "  [" << shape << "]  "
                               << t["dtype"].get<std::string>() << "\n";
                   }
                   std::cout << j["tensors"].size() << " tensors, " << j["total_parameters"].dump()
                             << " parameters";
                   if (j.contains("audio_tower_parameters"))
                     std::cout << " (audio tower: " << j["audio_tower_parameters"].dump() << ")";
                   std::cout << "\n";
                   return 0;
                 }});

  // model-loss: the losses of a dumped batch under a checkpoint.
  struct LossArgs {
    std::string model, batch;
  };
  auto la = std::make_shared<LossArgs>();
  auto* loss = app.add_subcommand("model-loss", "Print the losses of a batch (from dump-batch) as JSON");
  loss->add_option("--model", la->model, "Checkpoint directory (config.json + weights)")->required();
  loss->add_option("--batch", la->batch, "Batch .safetensors written by dump-batch")->required();
  out.push_back({loss, [la] {
                   HiggsAudioModel::Options o;
                   o.path = la->model;
                   HiggsAudioModel model(o, higgs::RunSettings{0, "cpu"});
                   Batch batch;
                   batch.tensors = tensor_io::SafetensorsFile::open(la->batch).tensors();
                   int64_t b = batch.at("input_ids").size(0);
                   batch.infos.assign(static_cast<size_t>(b), Json::object());
                   torch::NoGradGuard no_grad;
                   model.module().eval();
                   auto terms = model.loss_terms(batch);
                   LossAccumulator acc;
                   acc.add(terms);
                   Json j = acc.metrics("");
                   for (const auto& t : terms) {
                     j["terms"][t.name] = {{"sum", t.sum.item<double>()}, {"count", t.count},
                                           {"weight", t.weight}, {"correct", t.correct}};
                   }
                   std::cout << j.dump(2) << "\n";
                   return 0;
                 }});

  // export: a run (or one checkpoint) as a merged full model or a PEFT adapter.
  struct ExportArgs {
    std::string from, out, checkpoint = "newest", max_shard_size, dtype, layout;
    bool adapter_only = false;
    LoadOptions load;
  };
  auto ex = std::make_shared<ExportArgs>();
  auto* exp = app.add_subcommand(
      "export", "Merge LoRA into the base and write a full checkpoint (released layout), or the adapter alone");
  exp->add_option("run", ex->from, "Run directory (or one checkpoint-STEP directory of it)")->required();
  exp->add_option("--out", ex->out, "Directory to write (absent or empty)")->required();
  exp->add_flag("--adapter-only", ex->adapter_only, "Write the adapter alone in PEFT's layout");
  exp->add_option("--checkpoint", ex->checkpoint, "newest or best (the run directory's `best` link)")
      ->check(CLI::IsMember({"newest", "best"}));
  exp->add_option("--max-shard-size", ex->max_shard_size, "Largest shard of the full model, e.g. 5GB, 500MB");
  exp->add_option("--dtype", ex->dtype, "model, float32 or bfloat16")
      ->check(CLI::IsMember({"model", "float32", "bfloat16"}));
  exp->add_option("--layout", ex->layout,
                  "released (Boson's layout) or transformers (the Transformers higgs_audio_v2 port)")
      ->check(CLI::IsMember({"released", "transformers"}));
  exp->add_option("--set", ex->load.sets, "Override a key of the run's recipe: a.b.c=VALUE");
  out.push_back({exp, [ex] {
                   Json task{{"type", "export"}, {"from", ex->from}, {"out", ex->out},
                             {"adapter_only", ex->adapter_only}, {"checkpoint", ex->checkpoint}};
                   if (!ex->max_shard_size.empty()) task["max_shard_size"] = ex->max_shard_size;
                   if (!ex->dtype.empty()) task["dtype"] = ex->dtype;
                   if (!ex->layout.empty()) task["layout"] = ex->layout;
                   ex->load.sets.push_back("task=" + task.dump());
                   RunFlags flags;
                   return run_plan(load_plan_or_run(ex->from, ex->load), flags);
                 }});

  // evaluate: a run (newest checkpoint), one checkpoint or a recipe's model on its eval data.
  struct EvaluateArgs {
    std::string target, checkpoint, adapter, data, out, precision;
    int64_t batch_size = 0, max_batches = 0;
    RecipeLoadFlags recipe;
  };
  auto ev = std::make_shared<EvaluateArgs>();
  auto* evc = app.add_subcommand(
      "evaluate", "Loss and accuracy of a run's newest checkpoint (or a recipe's model) on its eval data");
  evc->add_option("target", ev->target, "A run directory (recipe.resolved.json + checkpoints) or a recipe")
      ->required();
  evc->add_option("--checkpoint", ev->checkpoint,
                  "Checkpoint or run directory to load (default: TARGET if a run)");
  evc->add_option("--adapter", ev->adapter, "LoRA adapter directory (PEFT layout) to attach");
  evc->add_option("--data", ev->data, "eval_data (default) or train_data")
      ->check(CLI::IsMember({"eval_data", "train_data"}));
  evc->add_option("--batch-size", ev->batch_size, "Samples per batch (default: the trainer's)");
  evc->add_option("--max-batches", ev->max_batches, "Batches to evaluate; 0 = all (default: trainer.eval_batches)");
  evc->add_option("--precision", ev->precision, "fp32 or bf16")->check(CLI::IsMember({"fp32", "bf16"}));
  evc->add_option("--out", ev->out, "Write the metrics to this JSON file");
  ev->recipe.add_to(evc);
  out.push_back({evc, [ev, evc] {
                   namespace fs = std::filesystem;
                   auto given = [&](const char* flag) { return evc->count(flag) > 0; };
                   Json task{{"type", "evaluate"}};
                   if (given("--checkpoint")) task["checkpoint"] = ev->checkpoint;
                   else if (fs::is_directory(ev->target)) task["checkpoint"] = ev->target;
                   if (given("--adapter")) task["adapter"] = ev->adapter;
                   if (given("--data")) task["data"] = ev->data;
                   if (given("--batch-size")) task["batch_size"] = ev->batch_size;
                   if (given("--max-batches")) task["max_batches"] = ev->max_batches;
                   if (given("--precision")) task["precision"] = ev->precision;
                   if (given("--out")) task["out"] = ev->out;
                   LoadOptions load = ev->recipe.load_options();
                   load.sets.push_back("task=" + task.dump());
                   RunFlags flags;
                   return run_plan(load_plan_or_run(ev->target, load), flags);
                 }});

  out.push_back(add_generate_command(app));
  return out;
}

}  // namespace higgs::cli
