#include "framework/cli/tool_commands.h"

#include <memory>

#include <filesystem>
#include <iostream>

#include "components/audio_tokenizers/higgs_audio/config.h"
#include "components/audio_tokenizers/higgs_audio/tokenizer.h"
#include "components/models/higgs_audio/config.h"
#include "components/models/higgs_audio/higgs_audio.h"
#include "framework/train/loss_metrics.h"
#include <torch/torch.h>
#include "components/text/tokenize_command.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/util/fs.h"

namespace higgs::cli {

std::vector<ToolCommand> add_tool_commands(CLI::App& app) {
  std::vector<ToolCommand> out;

  auto tok = std::make_shared<TokenizeCommandArgs>();
  auto* tokenize = app.add_subcommand("tokenize", "Show the ids and pieces a text tokenizer gives");
  tokenize->add_option("--tokenizer", tok->tokenizer,
                       "tokenizer.json, a directory holding one, or a sentencepiece .model")
      ->required();
  auto* text = tokenize->add_option("--text", tok->text, "Text to tokenize");
  auto* file = tokenize->add_option("--file", tok->file, "File: each line is one input");
  text->excludes(file);
  tokenize->add_option("--format", tok->format, "text (ids and pieces) or json (one id array per line)")
      ->check(CLI::IsMember({"text", "json"}));
  out.push_back({tokenize, [tok] { return run_tokenize_command(*tok); }});

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
                             << " parameters\n";
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
                   HiggsAudioModel model(o, "cpu", 0);
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

  return out;
}

}  // namespace higgs::cli
