// What a ChatML dataset knows of its samples without training on them: text tokens, the
// seconds of target and reference audio (from the file headers), the transcript's length, and
// on request the target's clipping and speech fraction. Length-aware samplers, curricula, the
// filters and data-check read these; nothing here encodes audio.
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include <spdlog/spdlog.h>

#include "components/audio/audio_io.h"
#include "components/chatml/chatml_dataset.h"
#include "components/chatml/chatml_layout.h"
#include "components/generation/audio_quality.h"
#include "components/text/utf8.h"

namespace higgs {

namespace {

// Seconds of one audio item and its samples at `rate` as load_audio would give them: the slice
// cut by truncation (int(seconds * rate), as librosa), then soxr's ceil(n * rate / file rate).
// Exact where the header counts frames exactly (WAV, FLAC, Ogg); for MP3 libsndfile estimates.
struct ClipLength {
  double seconds = 0;
  int64_t samples = 0;
};

ClipLength clip_length(const ChatMLContent& a, int rate) {
  int file_rate = 0;
  int64_t frames = 0;
  if (a.raw_audio && a.audio_path.empty()) {
    AudioBuffer b =
        load_audio_from_memory(decode_base64(*a.raw_audio, "raw_audio"), {}, "raw_audio");
    file_rate = b.sample_rate;
    frames = static_cast<int64_t>(b.samples.size());
  } else {
    AudioInfo info = probe_audio(a.audio_path);
    file_rate = info.sample_rate;
    frames = info.frames;
  }
  if (file_rate <= 0) return {};
  const int64_t start = static_cast<int64_t>(a.offset.value_or(0.0) * file_rate);
  int64_t n = std::max<int64_t>(0, frames - start);
  if (a.duration && *a.duration > 0) n = std::min(n, static_cast<int64_t>(*a.duration * file_rate));
  ClipLength c;
  c.seconds = double(n) / file_rate;
  c.samples = file_rate == rate ? n : (n * rate + file_rate - 1) / file_rate;
  return c;
}

int64_t code_points(const std::string& text) {
  int64_t n = 0;
  for (size_t i = 0; i < text.size();) {
    utf8::next(text, i);
    ++n;
  }
  return n;
}

bool same_clip(const ChatMLContent& a, const ChatMLContent& b) {
  if (a.offset.value_or(0.0) != b.offset.value_or(0.0) ||
      a.duration.value_or(0.0) != b.duration.value_or(0.0))
    return false;
  if (a.audio_path.empty() || b.audio_path.empty())
    return a.raw_audio && b.raw_audio && *a.raw_audio == *b.raw_audio;
  if (a.audio_path == b.audio_path) return true;
  // Two names of one recording (a copy): equal sizes, then equal contents.
  std::error_code ec1, ec2;
  const auto sa = std::filesystem::file_size(a.audio_path, ec1);
  const auto sb = std::filesystem::file_size(b.audio_path, ec2);
  return !ec1 && !ec2 && sa == sb && hash_file(a.audio_path) == hash_file(b.audio_path);
}

}  // namespace

SampleFacts ChatMLDataset::measure(const ChatMLSample& s, bool decode) const {
  SampleFacts f;
  f.text_tokens = static_cast<int64_t>(prepare_chatml_sample(s, *text_).input_ids.size());
  const int rate = static_cast<int>(audio_->sample_rate());
  std::vector<const ChatMLContent*> targets, references;
  std::string last_user_text, target_text;
  for (size_t m = 0; m < s.messages.size(); ++m) {
    const ChatMLMessage& msg = s.messages[m];
    const bool trained = is_trained_audio_turn(s, m);
    std::string text;
    for (const ChatMLContent& c : msg.content) {
      if (c.is_text()) text += c.text;
      if (!c.is_audio()) continue;
      (trained ? targets : references).push_back(&c);
      const ClipLength len = clip_length(c, rate);
      (trained ? f.target_seconds : f.reference_seconds) += len.seconds;
      f.audio_frames += audio_->num_frames(len.samples);
    }
    if (msg.role == "user" && !text.empty()) last_user_text = text;
    // The target's transcript: the user turn before a trained audio turn.
    if (trained && !targets.empty() && target_text.empty()) target_text = last_user_text;
  }
  f.text_chars = code_points(target_text);
  for (const auto* r : references)
    for (const auto* t : targets) f.reference_is_target |= same_clip(*r, *t);
  if (decode && !targets.empty()) {
    std::vector<float> all;
    int rate = 0;
    for (const auto* t : targets) {
      LoadAudioOptions lo;
      lo.offset_seconds = t->offset.value_or(0.0);
      lo.duration_seconds = t->duration.value_or(0.0);
      AudioBuffer b = t->raw_audio && t->audio_path.empty()
                          ? load_audio_from_memory(decode_base64(*t->raw_audio, s.source), lo,
                                                   s.source + " raw_audio")
                          : load_audio(t->audio_path, lo);
      if (rate == 0) rate = b.sample_rate;
      all.insert(all.end(), b.samples.begin(), b.samples.end());
    }
    const auto q = generation::measure_audio_quality(all, rate);
    f.target_clipped_fraction = q.clipping_fraction;
    f.target_speech_fraction = q.speech_fraction;
  }
  return f;
}

void ChatMLDataset::measure_all() const {
  std::call_once(measured_, [this] {
    facts_.assign(samples_.size(), SampleFacts{});
    const bool decode = o_.filters.needs_audio();
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i; (i = next++) < samples_.size();) {
        try {
          facts_[i] = measure(samples_[i], decode);
        } catch (const std::exception& e) {
          // Unreadable audio: the sample stays (loading it reports and skips it); its length
          // is its text alone.
          facts_[i] = SampleFacts{};
          spdlog::debug("{}: cannot measure: {}", samples_[i].source, e.what());
        }
      }
    };
    const size_t threads =
        std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), decode ? 8 : 4);
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
  });
}

const SampleFacts& ChatMLDataset::facts(size_t index) const {
  measure_all();
  return facts_.at(index);
}

std::optional<SampleInfo> ChatMLDataset::info(size_t index) const {
  const SampleFacts& f = facts(index);
  SampleInfo info;
  info.length = f.text_tokens + f.audio_frames;
  info.fields = {
      {"text_tokens", double(f.text_tokens)}, {"audio_frames", double(f.audio_frames)},
      {"target_seconds", f.target_seconds},   {"reference_seconds", f.reference_seconds},
      {"text_chars", double(f.text_chars)},   {"chars_per_second", f.chars_per_second()}};
  // The sample's own numeric metadata (misc), for a curriculum by any key.
  const Json& misc = samples_.at(index).misc;
  if (misc.is_object())
    for (auto it = misc.begin(); it != misc.end(); ++it)
      if (it.value().is_number() && !info.fields.count(it.key()))
        info.fields[it.key()] = it.value().get<double>();
  return info;
}

void ChatMLDataset::apply_filters() {
  measure_all();
  std::vector<ChatMLSample> kept;
  std::vector<SampleFacts> kept_facts;
  for (size_t i = 0; i < samples_.size(); ++i) {
    if (auto why = o_.filters.reason_to_drop(facts_[i])) {
      dropped_.push_back({samples_[i].source, *why});
      continue;
    }
    kept.push_back(std::move(samples_[i]));
    kept_facts.push_back(facts_[i]);
  }
  samples_ = std::move(kept);
  facts_ = std::move(kept_facts);
  if (!dropped_.empty())
    spdlog::info("{}: the filters dropped {} of {} samples (data-check lists why)", o_.path,
                 dropped_.size(), dropped_.size() + samples_.size());
}

}  // namespace higgs
