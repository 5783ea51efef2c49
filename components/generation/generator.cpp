#include <torch/torch.h>

#include "components/generation/generator.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "components/audio/audio_io.h"
#include "components/audio/audio_tokenizer.h"
#include "components/chatml/chatml_layout.h"
#include "components/chatml/delay_pattern.h"
#include "components/collators/higgs_audio.h"
#include "components/generation/delay_state.h"
#include "components/models/higgs_audio/model.h"
#include "components/text/text_tokenizer.h"

namespace higgs::generation {

namespace {
// Thrown by generate_chunk before any decoding when the prompt, with the earlier chunks it keeps
// as context, leaves no room for this chunk within the model's positions; generate() then keeps
// fewer earlier chunks.
struct PromptTooLong : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::kAudioEos:
      return "audio_eos";
    case StopReason::kMaxFrames:
      return "max_frames";
    case StopReason::kTextEnd:
      return "text_end";
    case StopReason::kMaxTextTokens:
      return "max_text_tokens";
  }
  return "?";
}

bool JobResult::stopped_by_itself() const {
  for (const auto& c : chunks)
    if (c.stop != StopReason::kAudioEos) return false;
  return !chunks.empty();
}

at::Tensor codes_from_delayed(const at::Tensor& delayed, int64_t codebook_size,
                              bool use_delay_pattern) {
  const int64_t k = delayed.size(0), n = delayed.size(1);
  at::Tensor plain;
  if (use_delay_pattern) {
    if (n < k + 1) return torch::zeros({k, 0}, torch::kLong);
    plain = revert_delay_pattern(delayed);  // (K, N - K + 1)
  } else {
    plain = delayed;
  }
  if (plain.size(1) < 2) return torch::zeros({k, 0}, torch::kLong);
  return plain.clamp(0, codebook_size - 1).slice(1, 1, plain.size(1) - 1).contiguous();
}

VoiceCloneGenerator::VoiceCloneGenerator(higgs_audio::HiggsAudioModelImpl& model,
                                         const TextTokenizer& text_tokenizer,
                                         AudioTokenizer* audio_tokenizer, GenerateOptions options)
    : model_(model),
      tok_(text_tokenizer),
      audio_(audio_tokenizer),
      o_(options),
      ids_(HiggsTokenIds::from_json(model.config().to_json(), "model config")),
      sampler_(options.sampling, options.seed) {
  check_token_ids(tok_, ids_);
  for (const char* s : {"<|eot_id|>", "<|end_of_text|>", "<|eom_id|>"})
    if (auto id = tok_.token_to_id(s)) stop_tokens_.push_back(*id);
  if (audio_ && audio_->num_codebooks() != ids_.audio_num_codebooks)
    throw std::runtime_error("the audio tokenizer has " + std::to_string(audio_->num_codebooks()) +
                             " codebooks, the model " + std::to_string(ids_.audio_num_codebooks));
}

at::Tensor VoiceCloneGenerator::encode_reference(const std::string& audio_path) {
  if (!audio_) throw std::runtime_error("encoding " + audio_path + " needs an audio tokenizer");
  LoadAudioOptions lo;
  lo.target_sample_rate = static_cast<int>(audio_->sample_rate());
  AudioBuffer buf = load_audio(audio_path, lo);
  auto wav = torch::from_blob(buf.samples.data(), {static_cast<int64_t>(buf.samples.size())},
                              torch::kFloat32)
                 .clone();
  torch::NoGradGuard ng;
  return audio_->encode(wav).to(torch::kLong).cpu();
}

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}
}  // namespace

Batch VoiceCloneGenerator::prompt_batch(const PromptSpec& spec) const {
  // Prompt tokens exactly as training lays a sample out, plus the generation postfix.
  Prompt prompt = build_prompt(spec);
  ChatMLTokens tokens = prepare_chatml_sample(prompt.sample, tok_);
  for (int64_t id : tok_.encode(generation_postfix(o_.force_audio))) {
    tokens.input_ids.push_back(id);
    tokens.label_ids.push_back(kIgnoreIndex);
  }
  for (auto& c : prompt.codes) c = c.to(torch::kLong).cpu();
  Example ex = make_chatml_example(tokens, prompt.codes);
  HiggsAudioCollator::Options co;
  co.round_to = 1;  // the reference's inference collator
  co.use_delay_pattern = ids_.use_delay_pattern;
  co.return_audio_in_tokens = ids_.encode_audio_in_tokens;
  co.encode_whisper_embed = false;
  HiggsAudioCollator collator(co, ids_);
  return collator.collate({ex});
}

// A chunk's prompt as the model takes it: the collated batch, where its placeholders expand to,
// the merged embeddings and their audio routing, and how many frames the chunk may still take.
struct VoiceCloneGenerator::EmbeddedPrompt {
  Batch batch;
  higgs_audio::MergePlan plan;
  torch::Tensor embeds, audio_mask;
  int64_t max_frames = 0;
  int64_t columns(const char* name) const {
    return batch.has(name) && batch.at(name).dim() == 2 ? batch.at(name).size(1) : 0;
  }
  /// The last `window` (at least 1) audio-out columns of the prompt, as the start of the
  /// stream the RAS window reads; empty when the prompt has none.
  std::vector<torch::Tensor> audio_out_tail(int64_t window) const {
    if (columns("audio_out_ids") == 0) return {};
    auto a = batch.at("audio_out_ids");
    const int64_t keep = std::min<int64_t>(a.size(1), std::max<int64_t>(window, 1));
    return {a.slice(1, a.size(1) - keep).cpu()};
  }
};

VoiceCloneGenerator::EmbeddedPrompt VoiceCloneGenerator::embed_prompt(const PromptSpec& spec) {
  const auto dev = model_.embed_tokens->weight.device();
  EmbeddedPrompt e;
  Batch& batch = e.batch;
  batch = prompt_batch(spec);
  auto columns = [&](const char* name) { return e.columns(name); };

  higgs_audio::MergeInputs mi;
  mi.input_ids = batch.at("input_ids");
  mi.attention_mask = torch::ones_like(mi.input_ids);
  if (ids_.encode_audio_in_tokens && columns("audio_in_ids") > 0) {
    mi.audio_in_starts = batch.at("audio_in_ids_start");
    mi.audio_in_columns = columns("audio_in_ids");
  }
  if (columns("audio_out_ids") > 0) {
    mi.audio_out_starts = batch.at("audio_out_ids_start");
    mi.audio_out_columns = columns("audio_out_ids");
  }
  mi.audio_in_token = ids_.audio_in_token_idx;
  mi.audio_out_token = ids_.audio_out_token_idx;
  mi.pad_token = ids_.pad_token_id;
  mi.round_to = 1;
  e.plan = higgs_audio::plan_merge(mi);
  const higgs_audio::MergePlan& plan = e.plan;
  auto text = model_.embed_tokens(mi.input_ids.to(dev));
  torch::Tensor audio_in, audio_out;
  if (plan.audio_in_dst.numel() > 0)
    audio_in = model_.embed_audio_ids(batch.at("audio_in_ids").to(dev));
  if (plan.audio_out_dst.numel() > 0)
    audio_out = model_.embed_audio_ids(batch.at("audio_out_ids").to(dev));
  // The positions the model was trained for bound prompt + text + frames: beyond them RoPE
  // extrapolates, the KV cache keeps growing, and a long text could allocate without limit.
  const int64_t positions = model_.config().text_config.max_position_embeddings;
  const int64_t room = positions - plan.length - o_.max_text_tokens;
  if (room < o_.max_frames && !spec.history.empty())
    throw PromptTooLong("prompt of " + std::to_string(plan.length) + " positions");
  if (room < 2)
    throw std::runtime_error(
        "the prompt is " + std::to_string(plan.length) + " positions (reference audio and text" +
        std::string(spec.history.empty() ? "" : ", earlier chunks") +
        ") and leaves no room for audio within the model's max_position_embeddings " +
        std::to_string(positions) + " (with max_text_tokens " + std::to_string(o_.max_text_tokens) +
        "): use a shorter reference clip, or split the text with --chunk-words");
  const int64_t max_frames = e.max_frames = std::min(o_.max_frames, room);
  if (max_frames < o_.max_frames)
    spdlog::warn(
        "generate: this chunk may have at most {} audio frames ({:.1f} s), not max_frames {}: the "
        "prompt takes {} of the model's {} positions; split the text with --chunk-words for longer "
        "audio",
        max_frames, max_frames / 25.0, o_.max_frames, plan.length, positions);
  e.embeds = higgs_audio::apply_merge(plan, text, audio_in, audio_out);
  e.audio_mask = plan.audio_in_discrete_codes_mask.logical_or(plan.audio_out_mask);
  return e;
}

namespace {

// Feeds the model one position at a time after the prompt: with the KV cache, or (use_cache off)
// by re-running the whole sequence so far, for comparison.
class ChunkFeeder {
 public:
  ChunkFeeder(higgs_audio::HiggsAudioModelImpl& model, bool use_cache, int64_t codebooks)
      : model_(model),
        use_cache_(use_cache),
        k_(codebooks),
        dev_(model.embed_tokens->weight.device()) {}
  /// The prompt; returns the last position's hidden state.
  torch::Tensor prompt(const torch::Tensor& embeds, const torch::Tensor& audio_mask) {
    all_embeds_ = embeds;
    all_mask_ = audio_mask;
    if (use_cache_) return model_.forward_cached(embeds, audio_mask, cache_).select(1, -1);
    higgs_audio::KVCache fresh;
    return model_.forward_cached(embeds, audio_mask, fresh).select(1, -1);
  }
  torch::Tensor text(int64_t id) {
    return feed(model_.embed_tokens(torch::full({1, 1}, id, torch::kLong).to(dev_)),
                torch::zeros({1, 1}, torch::kBool));
  }
  torch::Tensor frame(const std::vector<int64_t>& f) {
    auto col = torch::tensor(f, torch::kLong).view({k_, 1}).to(dev_);
    return feed(model_.embed_audio_ids(col).unsqueeze(0), torch::ones({1, 1}, torch::kBool));
  }

 private:
  torch::Tensor feed(const torch::Tensor& e, const torch::Tensor& m) {
    if (use_cache_) return model_.forward_cached(e, m, cache_).select(1, -1);
    all_embeds_ = torch::cat({all_embeds_, e.to(all_embeds_.dtype())}, 1);
    all_mask_ = torch::cat({all_mask_, m.to(all_mask_.device())}, 1);
    higgs_audio::KVCache fresh;
    return model_.forward_cached(all_embeds_, all_mask_, fresh).select(1, -1);
  }

  higgs_audio::HiggsAudioModelImpl& model_;
  bool use_cache_;
  int64_t k_;
  torch::Device dev_;
  higgs_audio::KVCache cache_;
  torch::Tensor all_embeds_, all_mask_;  // the whole sequence so far (uncached path)
};

}  // namespace

void VoiceCloneGenerator::finish_codes(ChunkResult& r,
                                       const std::vector<torch::Tensor>& frames) const {
  const int64_t k = ids_.audio_num_codebooks;
  r.delayed = frames.empty() ? torch::zeros({k, 0}, torch::kLong) : torch::cat(frames, 1);
  // Each segment is reverted on its own (its delay pattern starts and ends within it).
  std::vector<at::Tensor> segment_codes;
  int64_t begin = 0;
  for (int64_t n : r.segment_columns) {
    segment_codes.push_back(codes_from_delayed(r.delayed.slice(1, begin, begin + n),
                                               ids_.audio_codebook_size, ids_.use_delay_pattern));
    begin += n;
  }
  r.codes = segment_codes.empty()
                ? codes_from_delayed(r.delayed, ids_.audio_codebook_size, ids_.use_delay_pattern)
                : torch::cat(segment_codes, 1);
}

ChunkResult VoiceCloneGenerator::generate_chunk(const PromptSpec& spec) {
  torch::NoGradGuard no_grad;
  const auto t0 = Clock::now();
  const bool was_training = model_.is_training();
  model_.eval();
  const int64_t k = ids_.audio_num_codebooks;

  const EmbeddedPrompt prompt = embed_prompt(spec);
  const int64_t max_frames = prompt.max_frames;

  ChunkResult r;
  r.text = spec.text;
  r.prompt_tokens = prompt.plan.length;
  ChunkFeeder feeder(model_, o_.use_cache, k);
  torch::Tensor h = feeder.prompt(prompt.embeds, prompt.audio_mask);
  auto feed_text = [&](int64_t id) { return feeder.text(id); };
  auto feed_frame = [&](const std::vector<int64_t>& f) { return feeder.frame(f); };

  // The RAS window reads the audio-out stream: the prompt's audio-out columns, then new frames.
  std::vector<torch::Tensor> stream_tail = prompt.audio_out_tail(o_.sampling.ras_window);
  DelayPatternState state(k, ids_.audio_stream_bos_id, ids_.audio_stream_eos_id,
                          ids_.use_delay_pattern);
  std::vector<torch::Tensor> frames;
  // A segment starts with its all-BOS frame (whatever the logits say, as the reference does).
  auto open_segment = [&] {
    auto bos = state.start();
    frames.push_back(torch::tensor(bos, torch::kLong).view({k, 1}));
    stream_tail.push_back(frames.back());
    return bos;
  };
  int64_t segment_begin = 0;  // first column of the segment being generated
  auto close_segment = [&] {
    const auto end = static_cast<int64_t>(frames.size());
    if (end > segment_begin) r.segment_columns.push_back(end - segment_begin);
    segment_begin = end;
  };
  int64_t continuation_text = 0;  // text tokens sampled after the first segment
  const int64_t eot = tok_.token_to_id("<|eot_id|>").value_or(-1);
  const int64_t end_of_text = tok_.token_to_id("<|end_of_text|>").value_or(-1);
  bool audio_mode = o_.force_audio;
  bool done = false;
  if (audio_mode) h = feed_frame(open_segment());  // the prompt ends with <|audio_out_bos|>
  while (!done) {
    if (!audio_mode) {
      if (static_cast<int64_t>(r.text_tokens.size()) >= o_.max_text_tokens) {
        r.stop = StopReason::kMaxTextTokens;
        break;
      }
      const int64_t id = sampler_.sample_text(model_.text_logits(h).view({-1}));
      r.text_tokens.push_back(id);
      if (std::find(stop_tokens_.begin(), stop_tokens_.end(), id) != stop_tokens_.end()) {
        r.stop = StopReason::kTextEnd;
        break;
      }
      h = feed_text(id);
      if (id == ids_.audio_out_bos_token_id) {
        audio_mode = true;  // AUDIO_INIT
        auto bos = open_segment();
        if (max_frames <= 1) {
          r.stop = StopReason::kMaxFrames;
          break;
        }
        h = feed_frame(bos);
      }
      continue;
    }
    if (static_cast<int64_t>(frames.size()) >= max_frames) {
      r.stop = StopReason::kMaxFrames;
      break;
    }
    auto window = torch::cat(stream_tail, 1);
    if (window.size(1) > o_.sampling.ras_window)
      window = window.slice(1, window.size(1) - std::max<int64_t>(o_.sampling.ras_window, 1));
    stream_tail = {window};
    auto frame = sampler_.sample_audio(model_.audio_logits(h).view({k, -1}), window);
    const bool last = state.apply(frame);
    frames.push_back(torch::tensor(frame, torch::kLong).view({k, 1}));
    stream_tail.push_back(frames.back());
    if (last) {
      r.stop = StopReason::kAudioEos;  // <|audio_eos|> follows; the frame itself is never fed
      close_segment();
      if (!o_.continue_after_audio_eos) break;
      // The reference goes on in text mode, fed <|audio_eos|>.
      r.continuation.push_back(ids_.audio_eos_token_id);
      h = feed_text(ids_.audio_eos_token_id);
      audio_mode = false;
      while (!done) {
        if (continuation_text >= o_.max_text_tokens) {
          done = true;
          break;
        }
        const int64_t id = sampler_.sample_text(model_.text_logits(h).view({-1}));
        ++continuation_text;
        r.continuation.push_back(id);
        if (id == eot || id == end_of_text) {  // the reference's stop strings (not <|eom_id|>)
          done = true;
          break;
        }
        h = feed_text(id);
        if (id == ids_.audio_out_bos_token_id) {  // a further segment: its BOS frame, as above
          r.continuation.push_back(ids_.audio_out_token_idx);
          audio_mode = true;
          h = feed_frame(open_segment());
          break;
        }
      }
      continue;
    }
    h = feed_frame(frame);
  }
  close_segment();  // the one a length limit cut, if any
  finish_codes(r, frames);
  r.seconds = since(t0);
  if (was_training) model_.train();
  return r;
}

JobResult VoiceCloneGenerator::generate(const PromptSpec& spec) {
  JobResult job;
  PromptSpec s = spec;
  const auto pieces = split_text_chunks(spec.text, o_.chunk_words);
  std::vector<torch::Tensor> all;
  for (const auto& piece : pieces) {
    s.text = piece;
    ChunkResult c;
    while (true) {
      try {
        c = generate_chunk(s);
        break;
      } catch (const PromptTooLong& e) {
        // Keep the newest earlier chunks that fit (the context stays bounded however long the
        // text).
        spdlog::info(
            "generate: {} with {} earlier chunk(s) leaves too little room for audio within "
            "the model's positions; keeping one fewer earlier chunk as context",
            e.what(), s.history.size());
        s.history.erase(s.history.begin());
      }
    }
    job.decode_seconds += c.seconds;
    all.push_back(c.codes);
    s.history.emplace_back(piece, c.codes);
    if (o_.chunk_history >= 0)
      while (static_cast<int64_t>(s.history.size()) > o_.chunk_history)
        s.history.erase(s.history.begin());
    job.chunks.push_back(std::move(c));
  }
  job.codes = torch::cat(all, 1);
  if (audio_) {
    const auto t0 = Clock::now();
    torch::NoGradGuard ng;
    job.sample_rate = audio_->sample_rate();
    job.waveform = job.codes.size(1) > 0
                       ? audio_->decode(job.codes).to(torch::kFloat32).cpu().view({-1})
                       : torch::zeros({0}, torch::kFloat32);
    job.vocoder_seconds = since(t0);
  }
  return job;
}

}  // namespace higgs::generation
