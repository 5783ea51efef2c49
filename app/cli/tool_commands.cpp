#include <torch/torch.h>

#include "app/cli/tool_commands.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "app/cli/commands.h"
#include "app/cli/task_commands.h"
#include "components/audio_tokenizers/higgs_audio/config.h"
#include "components/audio_tokenizers/higgs_audio/reconstruct_command.h"
#include "components/audio_tokenizers/higgs_audio/tokenizer.h"
#include "components/chatml/show_sample.h"
#include "components/models/higgs_audio/config.h"
#include "components/models/higgs_audio/higgs_audio.h"
#include "components/text/tokenize_command.h"
#include "framework/run/runner.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/train/loss_metrics.h"
#include "framework/util/fs.h"

namespace higgs::cli {

namespace {

// tokenize: the ids and pieces a text tokenizer gives.
ToolCommand add_tokenize(CLI::App& app) {
  auto tok = std::make_shared<TokenizeCommandArgs>();
  auto tok_flags = std::make_shared<RecipeLoadFlags>();
  auto* tokenize = app.add_subcommand("tokenize", "Show the ids and pieces a text tokenizer gives");
  tokenize
      ->add_option("--tokenizer", tok->tokenizer,
                   "tokenizer.json, a directory holding one, a sentencepiece .model, or a "
                   "recipe (its text_tokenizer)")
      ->required();
  tok_flags->add_to(tokenize);
  auto* text = tokenize->add_option("--text", tok->text, "Text to tokenize");
  auto* file = tokenize->add_option("--file", tok->file, "File: each line is one input");
  text->excludes(file);
  tokenize
      ->add_option("--format", tok->format, "text (ids and pieces) or json (one id array per line)")
      ->check(CLI::IsMember({"text", "json"}));
  return {tokenize, [tok, tok_flags] {
            tok->load = tok_flags->load_options();
            return run_tokenize_command(*tok);
          }};
}

// show-sample: one sample of a recipe's dataset as the model sees it.
ToolCommand add_show_sample(CLI::App& app) {
  auto ss = std::make_shared<ShowSampleArgs>();
  auto ss_flags = std::make_shared<RecipeLoadFlags>();
  auto* show = app.add_subcommand(
      "show-sample", "Show one sample as the model sees it: segments, token ids, labels, audio");
  show->add_option("recipe", ss->recipe, "Recipe file (.jsonnet, .json, .yaml)")->required();
  show->add_option("--split", ss->split, "train (train_data) or eval (eval_data)")
      ->check(CLI::IsMember({"train", "eval"}));
  show->add_option("--index", ss->index, "Sample index (0-based)");
  show->add_option("--format", ss->format, "text (coloured on a terminal) or json")
      ->check(CLI::IsMember({"text", "json"}));
  ss_flags->add_to(show);
  return {show, [ss, ss_flags] {
            ss->load = ss_flags->load_options();
            ss->color = isatty(STDOUT_FILENO) != 0;
            return run_show_sample_command(*ss, std::cout, std::cerr);
          }};
}

// init-audio-tokenizer: a randomly initialised Higgs audio tokenizer of any size (the demo's).
ToolCommand add_init_audio_tokenizer(CLI::App& app) {
  struct InitArgs {
    std::string config, out;
    int64_t seed = 0;
  };
  auto ia = std::make_shared<InitArgs>();
  auto* init = app.add_subcommand(
      "init-audio-tokenizer",
      "Write a randomly initialised Higgs audio tokenizer (config.json + model.safetensors)");
  init->add_option("--config", ia->config, "Tokenizer config.json (any size)")->required();
  init->add_option("--out", ia->out, "Directory to write")->required();
  init->add_option("--seed", ia->seed, "Seed of the weights");
  return {init, [ia] {
            auto cfg = higgs_audio::TokenizerConfig::from_file(ia->config);
            std::filesystem::create_directories(ia->out);
            write_file_atomic(ia->out + "/config.json", cfg.to_json() + "\n");
            tensor_io::save_safetensors(
                ia->out + "/model.safetensors",
                higgs_audio::random_weights(cfg, static_cast<uint64_t>(ia->seed)));
            std::cout << "wrote a random Higgs audio tokenizer to " << ia->out << "\n";
            return 0;
          }};
}

// reconstruct: encode and decode one file with an audio tokenizer, to listen to what it keeps.
ToolCommand add_reconstruct(CLI::App& app) {
  auto rc = std::make_shared<ReconstructArgs>();
  auto* recon = app.add_subcommand(
      "reconstruct", "Encode and decode one audio file with a Higgs audio tokenizer (24 kHz out)");
  recon
      ->add_option("--audio-tokenizer", rc->audio_tokenizer,
                   "Tokenizer directory (config.json + model.safetensors or model.pth)")
      ->required();
  recon->add_option("--in", rc->in, "Audio file to encode (any rate, any channels)")->required();
  recon->add_option("--out", rc->out, "Decoded audio, 24 kHz mono (.wav: 16-bit PCM, .flac, .ogg)")
      ->required();
  recon->add_option("--codes-out", rc->codes_out,
                    "Also write the codes: safetensors, \"codes\" int64 (8, T)");
  recon->add_option("--device", rc->device, "cpu, cuda, cuda:N or auto");
  recon->add_option("--dtype", rc->dtype, "float32 or bfloat16")
      ->check(CLI::IsMember({"float32", "bfloat16"}));
  return {recon, [rc] { return run_reconstruct_command(*rc, std::cout, std::cerr); }};
}

// model-info: every parameter of a Higgs Audio config without allocating it.
ToolCommand add_model_info(CLI::App& app) {
  struct InfoArgs {
    std::string config, format = "text";
  };
  auto mi = std::make_shared<InfoArgs>();
  auto* info = app.add_subcommand("model-info",
                                  "List every parameter of a model config without allocating it");
  info->add_option("--config", mi->config,
                   "config.json of a Higgs Audio checkpoint (or its directory)")
      ->required();
  info->add_option("--format", mi->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  return {info, [mi] {
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
          }};
}

// model-loss: the losses of a dumped batch under a checkpoint.
ToolCommand add_model_loss(CLI::App& app) {
  struct LossArgs {
    std::string model, batch;
  };
  auto la = std::make_shared<LossArgs>();
  auto* loss =
      app.add_subcommand("model-loss", "Print the losses of a batch (from dump-batch) as JSON");
  loss->add_option("--model", la->model, "Checkpoint directory (config.json + weights)")
      ->required();
  loss->add_option("--batch", la->batch, "Batch .safetensors written by dump-batch")->required();
  return {loss, [la] {
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
              j["terms"][t.name] = {{"sum", t.sum.item<double>()},
                                    {"count", t.count},
                                    {"weight", t.weight},
                                    {"correct", t.correct}};
            }
            std::cout << j.dump(2) << "\n";
            return 0;
          }};
}

}  // namespace

std::vector<ToolCommand> add_tool_commands(CLI::App& app) {
  std::vector<ToolCommand> out;
  for (auto* add : {add_tokenize, add_show_sample, add_init_audio_tokenizer, add_reconstruct,
                    add_model_info, add_model_loss})
    out.push_back(add(app));
  for (auto& t : add_task_commands(app)) out.push_back(t);
  return out;
}

}  // namespace higgs::cli
