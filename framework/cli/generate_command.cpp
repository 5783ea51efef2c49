#include "framework/cli/generate_command.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "framework/cli/commands.h"
#include "framework/run/runner.h"

namespace higgs::cli {

namespace {
struct GenerateArgs {
  std::string target, checkpoint, adapter, text_file, jobs, out, scene, system_prompt;
  std::vector<std::string> ref_audio, ref_text, text;
  double temperature = 0, top_p = 0;
  int64_t top_k = 0, ras_window = 0, ras_max_repeat = 0, seed = 0, max_frames = 0,
          max_text_tokens = 0, chunk_words = 0;
  bool ref_in_system = false, force_audio = false, no_cache = false, no_normalize = false,
       continue_after_audio_eos = false;
  RecipeLoadFlags recipe;
};

}  // namespace

ToolCommand add_generate_command(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  auto* g = app.add_subcommand(
      "generate",
      "Zero-shot voice cloning with a trained run (its newest checkpoint) or a recipe: writes "
      "OUT.wav, OUT.codes.safetensors and OUT.json and says whether decoding stopped by itself");
  g->add_option("target", a->target,
                "A run directory (recipe.resolved.json + checkpoints) or a recipe")
      ->required();
  g->add_option("--ref-audio", a->ref_audio, "Reference audio of the voice (repeatable)");
  g->add_option("--ref-text", a->ref_text, "Transcript of each --ref-audio (repeatable)");
  g->add_option("--text", a->text, "Text to speak (repeatable: one output each)");
  g->add_option("--text-file", a->text_file, "File with one text per line");
  g->add_option("--jobs", a->jobs,
                "JSONL jobs: {text, out?, name?, ref_audio?, ref_text?, scene?}");
  g->add_option("--out", a->out, "Output .wav (one text) or directory");
  g->add_option("--scene", a->scene, "Scene description (default: a quiet room; \"\" for none)");
  g->add_option("--system-prompt", a->system_prompt, "System message replacing the scene one");
  g->add_flag("--ref-in-system", a->ref_in_system,
              "References as audio-in items of the system message");
  g->add_option("--checkpoint", a->checkpoint,
                "Checkpoint or run directory to load (default: TARGET if a run)");
  g->add_option("--adapter", a->adapter, "LoRA adapter directory (PEFT layout) to attach");
  g->add_option("--temperature", a->temperature, "0 = greedy");
  g->add_option("--top-k", a->top_k, "0 = off");
  g->add_option("--top-p", a->top_p, "1 = off");
  g->add_option("--ras-window", a->ras_window, "Repetition-aware sampling window; 0 = off");
  g->add_option("--ras-max-repeat", a->ras_max_repeat, "RAS repeat threshold");
  g->add_option("--seed", a->seed, "Sampling seed (default: the recipe's)");
  g->add_option("--max-frames", a->max_frames, "Length limit in audio frames (25 per second)");
  g->add_option("--max-text-tokens", a->max_text_tokens, "Text tokens allowed before audio starts");
  g->add_option("--chunk-words", a->chunk_words, "Split long texts into chunks of N words");
  g->add_flag("--force-audio", a->force_audio, "Append <|audio_out_bos|> to the prompt");
  g->add_flag("--no-cache", a->no_cache, "Decode without the KV cache (slow; for comparison)");
  g->add_flag("--continue-after-audio-eos", a->continue_after_audio_eos,
              "As the reference: after <|audio_eos|> go on in text mode (and further audio segments)");
  g->add_flag("--no-normalize", a->no_normalize,
              "Keep texts as given (no generation.py normalisation)");
  a->recipe.add_to(g);

  auto run = [a, g]() -> int {
    namespace fs = std::filesystem;
    Json task = {{"type", "generate"}};
    auto given = [&](const char* flag) { return g->count(flag) > 0; };
    const bool is_run = fs::is_directory(a->target);
    if (given("--checkpoint"))
      task["checkpoint"] = a->checkpoint;
    else if (is_run)
      task["checkpoint"] = a->target;
    if (given("--adapter")) task["adapter"] = a->adapter;
    if (given("--ref-audio")) {
      Json paths = Json::array();
      for (const auto& p : a->ref_audio) paths.push_back(fs::absolute(p).string());
      task["ref_audio"] = paths;
    }
    if (given("--ref-text")) task["ref_text"] = a->ref_text;
    if (given("--text")) task["text"] = a->text;
    if (given("--text-file")) task["text_file"] = a->text_file;
    if (given("--jobs")) task["jobs"] = a->jobs;
    if (given("--out")) task["out"] = a->out;
    if (given("--scene")) task["scene"] = a->scene;
    if (given("--system-prompt")) task["system_prompt"] = a->system_prompt;
    if (a->ref_in_system) task["ref_in_system"] = true;
    if (given("--temperature")) task["temperature"] = a->temperature;
    if (given("--top-k")) task["top_k"] = a->top_k;
    if (given("--top-p")) task["top_p"] = a->top_p;
    if (given("--ras-window")) task["ras_window"] = a->ras_window;
    if (given("--ras-max-repeat")) task["ras_max_repeat"] = a->ras_max_repeat;
    if (given("--seed")) task["seed"] = a->seed;
    if (given("--max-frames")) task["max_frames"] = a->max_frames;
    if (given("--max-text-tokens")) task["max_text_tokens"] = a->max_text_tokens;
    if (given("--chunk-words")) task["chunk_words"] = a->chunk_words;
    if (a->force_audio) task["force_audio"] = true;
    if (a->no_cache) task["use_cache"] = false;
    if (a->continue_after_audio_eos) task["continue_after_audio_eos"] = true;
    if (a->no_normalize) task["normalize_text"] = false;

    LoadOptions load = a->recipe.load_options();
    load.sets.push_back("task=" + task.dump());
    RecipePlan plan = load_plan_or_run(a->target, load);
    RunFlags flags;
    return run_plan(plan, flags);
  };
  return {g, run};
}

}  // namespace higgs::cli
