#include <torch/torch.h>

#include "components/chatml/chatml_dataset.h"

#include <filesystem>
#include <random>

#include <spdlog/spdlog.h>

#include "components/audio/audio_io.h"
#include "components/audio/augmentation.h"
#include "components/chatml/chatml_layout.h"
#include "components/models/higgs_audio/max_positions.h"
#include "framework/util/xxh64.h"

namespace fs = std::filesystem;

namespace higgs {

void ChatMLDatasetOptions::bind_common(Binder& b, ChatMLDatasetOptions& o) {
  b.req("path", o.path, "ChatML file: a JSON array or JSONL; audio paths relative to it.");
  b.opt(
      "code_cache_dir", o.code_cache_dir,
      "Audio-code cache directory; \"\" = .higgs_code_cache beside the data file, \"none\" = off.");
  b.opt("max_audio_seconds", o.max_audio_seconds, "Clips longer than this are skipped.").min(0.0);
  b.opt("max_tokens", o.max_tokens,
        "Skip samples with more text tokens + audio frames; 0 = no limit.")
      .min(0);
  b.opt("max_bad_fraction", o.max_bad_fraction,
        "Fraction of samples that may be skipped (missing/corrupt audio...) before the run fails.")
      .min(0.0)
      .max(1.0);
  b.opt("rewrite_sound_events", o.rewrite_sound_events,
        "Rewrite [laugh]-style tags as generation.py does (<SE>[Laughter]</SE>).");
  b.opt("load_waveforms", o.load_waveforms,
        "Also return 16 kHz waveforms (needed for Whisper features).");
  b.opt("reference_variants", o.reference_variants,
        "Augmented variants per reference clip (with reference_augmentation): pretokenize "
        "encodes each once, an epoch draws one.")
      .min(1);
  b.opt("name", o.name,
        "Name in reports and per-dataset eval metrics (eval/dataset/NAME/loss); \"\" = the "
        "file's name.");
  SampleFilters::bind(b, o.filters);
}

std::string ChatMLDataset::name() const {
  return o_.name.empty() ? fs::path(o_.path).stem().string() : o_.name;
}

std::vector<std::string> ChatMLDataset::labels(size_t index) const {
  const auto& lang = samples_.at(index).language;
  if (!lang) return {};
  return {"language/" + *lang};
}

ChatMLDataset::ChatMLDataset(const ChatMLDatasetOptions& o, const DatasetArgs& args, bool zero_shot)
    : o_(o) {
  // Before the file is read: a recipe without a tokenizer is told so first.
  if (!args.text_tokenizer || !args.audio_tokenizer)
    throw RecipeError(std::string("a ChatML dataset needs \"") +
                      (args.text_tokenizer ? "audio_tokenizer" : "text_tokenizer") +
                      "\" in the recipe (it tokenizes text and encodes audio)");
  samples_ = load_chatml_file(o.path);
  if (zero_shot) {
    ZeroShotLayoutOptions zo;
    zo.system_prompt = o.system_prompt;
    zo.scene = o.scene;
    for (auto& s : samples_) s = to_zero_shot_layout(s, zo);
  }
  if (o.rewrite_sound_events)
    for (auto& s : samples_) rewrite_sound_events(s);
  text_ = args.text_tokenizer;
  audio_ = args.audio_tokenizer;
  std::string dir = o.code_cache_dir;
  if (dir.empty()) dir = (fs::path(o.path).parent_path() / ".higgs_code_cache").string();
  if (dir == "none") dir.clear();
  cache_ = std::make_unique<CodeCache>(dir, audio_->identity());
  if (const auto& cfg = args.model_config) {
    max_positions_ = max_position_embeddings(*cfg);
    model_codebooks_ = cfg->value("audio_num_codebooks", int64_t(0));
  }
  augmentation_ = args.reference_augmentation;
  seed_ = args.seed;
  if (!augmentation_.empty())
    augmentation_id_ =
        xxh64_hex(args.augmentation_identity.data(), args.augmentation_identity.size())
            .substr(0, 12) +
        "s" + std::to_string(seed_);
  if (o.filters.any()) apply_filters();
  spdlog::info("{}: {} samples{}{}", o.path, samples_.size(),
               dropped_.empty() ? "" : " (" + std::to_string(dropped_.size()) + " filtered out)",
               dir.empty() ? "" : ", audio codes cached in " + dir);
}

std::string ChatMLDataset::describe(size_t index) const { return samples_.at(index).source; }

std::vector<float> ChatMLDataset::load_samples(const ChatMLContent& audio, int rate,
                                               const std::string& where) const {
  LoadAudioOptions lo;
  lo.target_sample_rate = rate;
  lo.offset_seconds = audio.offset.value_or(0.0);
  lo.duration_seconds = audio.duration.value_or(0.0);
  lo.max_seconds = o_.max_audio_seconds;
  try {
    if (audio.raw_audio && audio.audio_path.empty())
      return load_audio_from_memory(decode_base64(*audio.raw_audio, where + " raw_audio"), lo,
                                    where + " raw_audio")
          .samples;
    return load_audio(audio.audio_path, lo).samples;
  } catch (const AudioError& e) {
    throw SampleError(where, e.what());
  }
}

std::string ChatMLDataset::cache_key(const ChatMLContent& audio, const std::string& where) const {
  try {
    std::string hash = audio.raw_audio && audio.audio_path.empty()
                           ? hash_bytes(audio.raw_audio->data(), audio.raw_audio->size())
                           : hash_file(audio.audio_path);
    return audio_cache_key(hash, audio.offset.value_or(0.0), audio.duration.value_or(0.0));
  } catch (const std::exception& e) {
    throw SampleError(where, std::string("cannot read audio: ") + e.what());
  }
}

std::vector<ChatMLDataset::AudioRef> ChatMLDataset::audio_refs() const {
  std::vector<AudioRef> out;
  for (const ChatMLSample& s : samples_) {
    size_t a = 0;
    for (size_t mi = 0; mi < s.messages.size(); ++mi) {
      const ChatMLMessage& m = s.messages[mi];
      const bool trained = is_trained_audio_turn(s, mi);
      for (const ChatMLContent& c : m.content) {
        if (!c.is_audio()) continue;
        out.push_back({c,
                       s.source + " audio " + std::to_string(a++) +
                           (c.audio_path.empty() ? "" : " (" + c.audio_path + ")"),
                       !trained});
      }
    }
  }
  return out;
}

int64_t ChatMLDataset::reference_variants() const {
  return augmentation_.empty() ? 0 : o_.reference_variants;
}

std::string ChatMLDataset::variant_key(const std::string& key, int64_t variant) const {
  return key + "-aug" + augmentation_id_ + "v" + std::to_string(variant);
}

std::vector<float> ChatMLDataset::variant_samples(const ChatMLContent& audio, int rate,
                                                  const std::string& where, const std::string& key,
                                                  int64_t variant) const {
  std::vector<float> wav = load_samples(audio, rate, where);
  const std::string stream = variant_key(key, variant);
  std::mt19937_64 rng(std::stoull(xxh64_hex(stream.data(), stream.size()), nullptr, 16));
  try {
    for (const auto& a : augmentation_) a->maybe_apply(wav, rate, rng);
  } catch (const std::exception& e) {
    throw SampleError(where, std::string("reference augmentation failed: ") + e.what());
  }
  return wav;
}

int64_t ChatMLDataset::variant_of(size_t index, size_t clip, int64_t epoch) const {
  const std::string what = std::to_string(seed_) + "/" + std::to_string(epoch) + "/" +
                           samples_.at(index).source + "/" + std::to_string(clip);
  return static_cast<int64_t>(std::stoull(xxh64_hex(what.data(), what.size()), nullptr, 16) %
                              static_cast<uint64_t>(o_.reference_variants));
}

at::Tensor ChatMLDataset::codes_for(const ChatMLContent& audio, const std::string& where,
                                    int64_t variant) const {
  const std::string clip_key = cache_key(audio, where);
  const std::string key = variant >= 0 ? variant_key(clip_key, variant) : clip_key;
  std::promise<at::Tensor> promise;
  std::shared_future<at::Tensor> fut;
  bool owner = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = in_flight_.find(key);
    if (it != in_flight_.end()) {
      fut = it->second;
    } else {
      fut = promise.get_future().share();
      in_flight_[key] = fut;
      owner = true;
    }
  }
  if (!owner) return fut.get();
  try {
    at::Tensor codes;
    if (auto cached = cache_->get(key)) {
      codes = *cached;
    } else {
      const int rate = static_cast<int>(audio_->sample_rate());
      auto wav = variant >= 0 ? variant_samples(audio, rate, where, clip_key, variant)
                              : load_samples(audio, rate, where);
      torch::NoGradGuard no_grad;
      codes = audio_->encode(
          torch::from_blob(wav.data(), {static_cast<int64_t>(wav.size())}, torch::kFloat32)
              .clone());
      codes = codes.to(torch::kCPU, torch::kLong).contiguous();
      cache_->put(key, codes, audio.audio_path.empty() ? where : audio.audio_path);
    }
    promise.set_value(codes);
  } catch (...) {
    promise.set_exception(std::current_exception());
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_.erase(key);
  }
  return fut.get();
}

Example ChatMLDataset::load(size_t index, int64_t epoch) const {
  const ChatMLSample& s = samples_.at(index);
  // Which audio items are references (augmented in training), in the order of audio_contents.
  std::vector<bool> is_reference;
  for (size_t mi = 0; mi < s.messages.size(); ++mi)
    for (const ChatMLContent& c : s.messages[mi].content)
      if (c.is_audio()) is_reference.push_back(!is_trained_audio_turn(s, mi));
  const bool augment = epoch >= 0 && !augmentation_.empty();
  ChatMLTokens tokens = prepare_chatml_sample(s, *text_);
  bool has_target = false;
  for (size_t i = 0; i < tokens.label_ids.size(); ++i) has_target |= tokens.label_ids[i] >= 0;
  if (!has_target) throw SampleError(s.source, "no trainable turn (check start_index and roles)");
  // Positions the model sees: text tokens, and each clip's frames with its stream BOS/EOS and
  // delay pattern (T + K + 1; an upper bound where a placeholder token is replaced).
  auto too_long = [&](int64_t positions, const std::string& counted) {
    return SampleError(s.source, "too long for the model: " + std::to_string(positions) +
                                     " positions (" + counted +
                                     "), more than its max_position_embeddings " +
                                     std::to_string(max_positions_) +
                                     "; shorten or split the sample (it is skipped)");
  };
  const int64_t text_tokens = static_cast<int64_t>(tokens.input_ids.size());
  if (max_positions_ > 0 && text_tokens > max_positions_)
    throw too_long(text_tokens, "text tokens alone");  // before any audio is read
  std::vector<at::Tensor> codes;
  std::vector<at::Tensor> waves;
  std::vector<int64_t> rates;
  int64_t frames = 0;
  for (size_t a = 0; a < tokens.audio_contents.size(); ++a) {
    const auto& audio = tokens.audio_contents[a];
    std::string where = s.source + " audio " + std::to_string(a) +
                        (audio.audio_path.empty() ? "" : " (" + audio.audio_path + ")");
    const bool reference = a < is_reference.size() && is_reference[a];
    codes.push_back(
        codes_for(audio, where, augment && reference ? variant_of(index, a, epoch) : int64_t(-1)));
    frames += codes.back().size(1);
    if (o_.load_waveforms) {
      auto w = load_samples(audio, 16000, where);
      waves.push_back(
          torch::from_blob(w.data(), {static_cast<int64_t>(w.size())}, torch::kFloat32).clone());
      rates.push_back(16000);
    }
  }
  int64_t total = text_tokens + frames;
  if (max_positions_ > 0) {
    int64_t positions = text_tokens;
    for (const auto& c : codes)
      positions += c.size(1) + (model_codebooks_ > 0 ? model_codebooks_ : c.size(0)) + 1;
    if (positions > max_positions_)
      throw too_long(positions, std::to_string(text_tokens) + " text tokens + " +
                                    std::to_string(positions - text_tokens) + " audio frames");
  }
  if (o_.max_tokens > 0 && total > o_.max_tokens)
    throw SampleError(s.source, "too long: " + std::to_string(total) +
                                    " tokens + frames, max_tokens is " +
                                    std::to_string(o_.max_tokens));
  Example ex = make_chatml_example(tokens, codes, waves, rates);
  int64_t n = ++served_;
  if (cache_->enabled() && n % static_cast<int64_t>(samples_.size()) == 0)
    spdlog::info("{}: audio code cache: {} hits, {} encoded", o_.path, cache_->hits(),
                 cache_->misses());
  return ex;
}

}  // namespace higgs
