#include <torch/torch.h>

#include "components/collators/higgs_audio.h"

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "components/audio/audio_tokenizer.h"
#include "components/audio/feature_extractor.h"
#include "components/chatml/chatml_layout.h"
#include "components/chatml/delay_pattern.h"
#include "framework/config/json_file.h"
#include "framework/run/recipe_plan.h"
#include "framework/util/fs.h"

namespace higgs {
namespace {

const auto kLong = torch::TensorOptions().dtype(torch::kLong);

// One audio placeholder of a sample after Whisper chunking, in input order.
struct Segment {
  bool out = false;
  at::Tensor codes;        // (K, T)
  at::Tensor label_codes;  // (K, T) from audio_label_ids_concat, or undefined
  bool no_train = false;   // audio-out whose <|AUDIO_OUT|> label was < 0
};

struct Prepared {
  std::vector<int64_t> input_ids, label_ids;
  std::vector<Segment> segments;
  std::vector<at::Tensor> whisper_chunks;
};

std::string describe(const Example& ex, size_t i) {
  if (ex.info.is_object() && ex.info.contains("source") && ex.info["source"].is_string())
    return ex.info["source"].get<std::string>();
  return "example " + std::to_string(i) + " of the batch";
}

at::Tensor get(const Example& ex, const char* name) {
  auto it = ex.tensors.find(name);
  return it == ex.tensors.end() ? at::Tensor() : it->second;
}

std::vector<int64_t> to_vector(const at::Tensor& t) {
  at::Tensor c = t.to(torch::kLong).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

// Slice [start[a], start[a+1]) of a concatenation along its last dimension.
at::Tensor slice(const at::Tensor& concat, const std::vector<int64_t>& starts, size_t a) {
  int64_t end = a + 1 < starts.size() ? starts[a + 1] : concat.size(-1);
  return concat.narrow(-1, starts[a], end - starts[a]);
}

// [bos, C, eos] then the delay pattern: (K, T+2) or (K, T+K+1).
at::Tensor wrap(const at::Tensor& c, int64_t bos, int64_t eos, int64_t fill_bos, int64_t fill_pad,
                bool delay) {
  const int64_t K = c.size(0);
  at::Tensor x = torch::cat(
      {torch::full({K, 1}, bos, kLong), c.to(torch::kLong), torch::full({K, 1}, eos, kLong)}, 1);
  if (!delay) return x;
  return build_delay_pattern_mask(x.unsqueeze(0), fill_bos, fill_pad).ids.squeeze(0);
}

at::Tensor starts_of(const std::vector<at::Tensor>& parts) {
  std::vector<int64_t> starts;
  int64_t offset = 0;
  for (const auto& p : parts) {
    starts.push_back(offset);
    offset += p.size(1);
  }
  return torch::tensor(starts, kLong);
}

struct Setup {
  const HiggsAudioCollator::Options& o;
  const HiggsTokenIds& ids;
  const FeatureExtractor* fe;
  int64_t num_codebooks;
};

// Reads one example, maps its placeholders to code segments, and repeats audio-in placeholders
// per Whisper window.
Prepared prepare_example(const Example& ex, size_t index, bool return_labels, const Setup& s) {
  const int64_t in_id = s.ids.audio_in_token_idx, out_id = s.ids.audio_out_token_idx;
  const std::string where = describe(ex, index);
  Prepared p;
  at::Tensor input = get(ex, "input_ids");
  if (!input.defined() || input.dim() != 1)
    throw std::invalid_argument(where + ": input_ids must be a 1-D tensor");
  std::vector<int64_t> ids = to_vector(input);
  std::vector<int64_t> labels =
      return_labels ? to_vector(get(ex, "label_ids")) : std::vector<int64_t>();
  if (return_labels && labels.size() != ids.size())
    throw std::invalid_argument(where + ": label_ids and input_ids differ in length");
  at::Tensor codes = get(ex, "audio_ids_concat"), code_labels = get(ex, "audio_label_ids_concat");
  at::Tensor starts_t = get(ex, "audio_ids_start");
  std::vector<int64_t> starts = starts_t.defined() ? to_vector(starts_t) : std::vector<int64_t>();
  at::Tensor wv = get(ex, "audio_waveforms_concat");
  at::Tensor wv_starts_t = get(ex, "audio_waveforms_start"), sr_t = get(ex, "audio_sample_rate");
  std::vector<int64_t> wv_starts =
      wv_starts_t.defined() ? to_vector(wv_starts_t) : std::vector<int64_t>();
  std::vector<int64_t> rates = sr_t.defined() ? to_vector(sr_t) : std::vector<int64_t>();

  size_t n_placeholders = 0;
  for (int64_t id : ids) n_placeholders += (id == in_id || id == out_id);
  if (n_placeholders != starts.size())
    throw std::invalid_argument(where + ": " + std::to_string(n_placeholders) +
                                " audio placeholders in input_ids but " +
                                std::to_string(starts.size()) + " audios in audio_ids_start");
  if (n_placeholders > 0 && (!codes.defined() || codes.dim() != 2))
    throw std::invalid_argument(where + ": audio_ids_concat must be a (num_codebooks, T) tensor");

  size_t audio = 0;  // k-th placeholder of either kind <-> audio k (ChatMLDatasetSample)
  for (size_t pos = 0; pos < ids.size(); ++pos) {
    const int64_t id = ids[pos];
    if (id != in_id && id != out_id) {
      p.input_ids.push_back(id);
      if (return_labels) p.label_ids.push_back(labels[pos]);
      continue;
    }
    const size_t a = audio++;
    at::Tensor c = slice(codes, starts, a);
    if (c.size(0) < s.num_codebooks)
      throw std::invalid_argument(where + ": audio " + std::to_string(a) + " has " +
                                  std::to_string(c.size(0)) + " codebooks, the model needs " +
                                  std::to_string(s.num_codebooks));
    c = c.narrow(0, 0, s.num_codebooks);
    at::Tensor cl;
    if (code_labels.defined()) cl = slice(code_labels, starts, a).narrow(0, 0, s.num_codebooks);
    Segment seg{id == out_id, c, cl, false};
    if (seg.out) {
      if (return_labels) {
        seg.no_train = labels[pos] < 0;  // read before the masking below
        p.label_ids.push_back(s.o.mask_audio_out_token_label ? kIgnoreIndex : labels[pos]);
      }
      p.input_ids.push_back(id);
      p.segments.push_back(seg);
      continue;
    }
    if (!s.o.encode_whisper_embed) {
      p.input_ids.push_back(id);
      if (return_labels) p.label_ids.push_back(labels[pos]);
      p.segments.push_back(seg);
      continue;
    }
    // Whisper: split the waveform into chunk_size_seconds windows and repeat the
    // <|audio_bos|><|AUDIO|><|audio_eos|> triple once per window, as the reference does.
    if (a >= wv_starts.size() || a >= rates.size())
      throw std::invalid_argument(where + ": encode_whisper_embed needs the waveform of audio " +
                                  std::to_string(a) + " (audio_waveforms_start/sample_rate)");
    if (rates[a] != s.fe->sample_rate())
      throw std::invalid_argument(
          where + ": audio " + std::to_string(a) + " is at " + std::to_string(rates[a]) +
          " Hz but the feature extractor needs " + std::to_string(s.fe->sample_rate()) +
          " Hz: resample it in the dataset");
    at::Tensor w = slice(wv, wv_starts, a);
    const int64_t n = w.numel();
    const auto chunk = static_cast<int64_t>(s.o.chunk_size_seconds * s.fe->sample_rate());
    if (n == 0) throw std::invalid_argument(where + ": audio " + std::to_string(a) + " is empty");
    const int64_t chunks = (n + chunk - 1) / chunk;
    if (chunks > 1 && (pos == 0 || pos + 1 >= ids.size()))
      throw std::invalid_argument(where +
                                  ": <|AUDIO|> must sit between <|audio_bos|> and <|audio_eos|>");
    const int64_t T = c.size(1);
    for (int64_t j = 0; j < chunks; ++j) {
      const int64_t s0 = j * chunk, s1 = std::min(n, s0 + chunk);
      p.whisper_chunks.push_back(w.narrow(0, s0, s1 - s0));
      if (j > 0) {  // the previous chunk's <|audio_eos|>, then this chunk's <|audio_bos|>
        p.input_ids.push_back(ids[pos + 1]);
        p.input_ids.push_back(ids[pos - 1]);
        if (return_labels) {
          p.label_ids.push_back(labels[pos + 1]);
          p.label_ids.push_back(labels[pos - 1]);
        }
      }
      p.input_ids.push_back(id);
      if (return_labels) p.label_ids.push_back(labels[pos]);
      // Each window gets the codes of its time span (the reference indexes codes by the
      // duplicated placeholders, which picks other audios' codes; see docs/data-format.md).
      const int64_t f0 = s0 * T / n, f1 = j + 1 == chunks ? T : s1 * T / n;
      Segment part{false, c.narrow(1, f0, f1 - f0), cl.defined() ? cl.narrow(1, f0, f1 - f0) : cl,
                   false};
      p.segments.push_back(part);
    }
  }
  return p;
}
}  // namespace

void HiggsAudioCollator::bind(Binder& b, Options& o) {
  b.opt("model_config", o.model_config,
        "Model config.json giving the token ids; empty = the config of the recipe's model.");
  b.opt("round_to", o.round_to, "Pad the sequence length up to a multiple of this.").min(1);
  b.opt("pad_left", o.pad_left, "Pad on the left instead of the right.");
  b.opt("use_delay_pattern", o.use_delay_pattern,
        "Apply the delay pattern to audio codes (the released checkpoint needs it).");
  b.opt("return_audio_in_tokens", o.return_audio_in_tokens,
        "Return audio-in codes (audio_in_ids); off drops them from the batch.");
  b.opt("audio_num_codebooks", o.audio_num_codebooks,
        "Keep the first N codebooks; null = the model config's audio_num_codebooks.")
      .min(1);
  b.opt("mask_audio_out_token_label", o.mask_audio_out_token_label,
        "Set the text label of <|AUDIO_OUT|> to -100.");
  b.opt("disable_audio_codes_transform", o.disable_audio_codes_transform,
        "Take codes as they are (no BOS/EOS, no delay); audio labels from audio_label_ids_concat.");
  b.opt("encode_whisper_embed", o.encode_whisper_embed,
        "Compute Whisper features of audio-in waveforms (needs a feature_extractor).");
  b.opt("chunk_size_seconds", o.chunk_size_seconds,
        "Audio-in longer than this is split into chunks, one placeholder each.")
      .min(0.001);
  b.opt("train_unreleased_layout", o.train_unreleased_layout,
        "Train a layout the model's inference does not use, on purpose (mismatches are then "
        "warnings, not errors).");
}

void HiggsAudioCollator::check_plan(const Options& o, const RecipePlan& plan,
                                    const std::string& path, Diagnostics& diags) {
  try {
    // The collator's own model_config file, else what the recipe's model declares (its
    // config.json), read without loading the model.
    std::optional<DeclaredConfig> declared;
    if (!o.model_config.empty()) {
      if (!std::filesystem::is_regular_file(o.model_config)) return;  // reported where it is read
      declared = DeclaredConfig{read_json_file(o.model_config), o.model_config};
    } else if (auto model = plan.components.find("model");
               model != plan.components.end() && model->second.bound.declared_config) {
      declared = model->second.bound.declared_config();
    }
    if (!declared) return;
    const std::string& config_path = declared->source;
    for (const auto& m : inference_mismatches(o, declared->config))
      if (!o.train_unreleased_layout)
        diags.error(path, m + " (the model's " + config_path + "); or set " + path +
                              ".train_unreleased_layout=true to train this layout on purpose");
  } catch (const std::exception&) {
    return;  // a config.json that cannot be read is reported, naming it, where it is loaded
  }
}

namespace {
HiggsTokenIds collator_token_ids(const HiggsAudioCollator::Options& o, const CollatorArgs& args) {
  if (!o.model_config.empty()) return HiggsTokenIds::from_file(o.model_config);
  if (args.model_config) return HiggsTokenIds::from_json(*args.model_config, "model config");
  throw std::runtime_error(
      "collator higgs_audio: no model config to read token ids from: set collator.model_config "
      "to the model's config.json");
}

std::shared_ptr<FeatureExtractor> needed_feature_extractor(const HiggsAudioCollator::Options& o,
                                                           const CollatorArgs& args) {
  if (!o.encode_whisper_embed) return nullptr;
  if (!args.feature_extractor)
    throw std::runtime_error(
        "collator higgs_audio: encode_whisper_embed is on but the recipe has no "
        "feature_extractor: add one or set collator.encode_whisper_embed=false");
  return args.feature_extractor;
}
}  // namespace

HiggsAudioCollator::HiggsAudioCollator(const Options& o, const CollatorArgs& args)
    : HiggsAudioCollator(o, collator_token_ids(o, args), needed_feature_extractor(o, args)) {
  // The inference alignment check, before anything trains: against the config of the model the
  // recipe trains, else the collator's own model_config file.
  Json cfg;
  if (args.model_config)
    cfg = *args.model_config;
  else if (!o.model_config.empty() && std::filesystem::exists(o.model_config))
    cfg = read_json_file(o.model_config);
  // Mismatches are errors (check_plan) unless train_unreleased_layout says they are on purpose.
  if (cfg.is_object() && args.main_rank)
    for (const auto& w : inference_mismatches(cfg))
      spdlog::warn("inference alignment (train_unreleased_layout): {}", w);
}

HiggsAudioCollator::HiggsAudioCollator(Options o, HiggsTokenIds ids,
                                       std::shared_ptr<FeatureExtractor> fe)
    : o_(std::move(o)), ids_(std::move(ids)), fe_(std::move(fe)) {
  num_codebooks_ = o_.audio_num_codebooks.value_or(ids_.audio_num_codebooks);
  if (o_.round_to < 1) throw std::invalid_argument("collator higgs_audio: round_to must be >= 1");
  if (o_.encode_whisper_embed) {
    if (!fe_)
      throw std::invalid_argument(
          "collator higgs_audio: encode_whisper_embed needs a feature extractor");
    // The shape of one feature window, for the (0, n_mels, frames) tensors of audio-free batches.
    auto probe = fe_->extract({torch::zeros({1})});
    feature_shape_ = {probe.first.size(1), probe.first.size(2)};
  }
  // Settings that disagree with the model config are reported by inference_mismatches(), which
  // the trainer logs before training.
}

std::vector<std::string> HiggsAudioCollator::inference_mismatches(const Json& model_config) const {
  Options o = o_;
  o.audio_num_codebooks = num_codebooks_;
  return inference_mismatches(o, model_config);
}

std::vector<std::string> HiggsAudioCollator::inference_mismatches(const Options& o,
                                                                  const Json& model_config) {
  std::vector<std::string> out;
  const HiggsTokenIds m = HiggsTokenIds::from_json(model_config, "model config");
  const bool skip_tower = model_config.value("skip_audio_tower", false);
  auto onoff = [](bool b) { return std::string(b ? "true" : "false"); };
  if (o.disable_audio_codes_transform) {
    out.push_back(
        "collator.disable_audio_codes_transform is true: audio codes and labels are used as they "
        "are (no stream BOS/EOS frames, no delay pattern), so the audio labels are not the shifted "
        "[BOS, codes, EOS] stream inference generates; set it to false unless the data already "
        "holds that stream");
  } else if (o.use_delay_pattern != m.use_delay_pattern) {
    out.push_back(
        "collator.use_delay_pattern is " + onoff(o.use_delay_pattern) +
        " but the model config has use_delay_pattern=" + onoff(m.use_delay_pattern) +
        ": inference " +
        (m.use_delay_pattern ? "decodes delay-patterned codes" : "expects codes without a delay") +
        ", so the model will not generate what it is trained on; set "
        "collator.use_delay_pattern=" +
        onoff(m.use_delay_pattern));
  }
  if (o.encode_whisper_embed && (skip_tower || !m.encode_whisper_embed))
    out.push_back(
        std::string("collator.encode_whisper_embed is true but the model config has ") +
        (skip_tower ? "skip_audio_tower=true (no Whisper tower)" : "encode_whisper_embed=false") +
        ": the Whisper features are computed and thrown away, and inference never uses "
        "them; set collator.encode_whisper_embed=false");
  if (!o.encode_whisper_embed && !skip_tower && m.encode_whisper_embed)
    out.push_back(
        "the model config has a Whisper tower (skip_audio_tower=false, encode_whisper_embed=true) "
        "that inference feeds with reference audio, but collator.encode_whisper_embed is false, "
        "so the model trains without those features; set collator.encode_whisper_embed=true (and "
        "a feature_extractor)");
  if (!o.return_audio_in_tokens && m.encode_audio_in_tokens)
    out.push_back(
        "collator.return_audio_in_tokens is false but the model config has "
        "encode_audio_in_tokens=true: inference conditions on the reference audio's codes, "
        "training would not see them; set collator.return_audio_in_tokens=true");
  const int64_t k = model_config.value("audio_num_codebooks", m.audio_num_codebooks);
  const int64_t books = o.audio_num_codebooks.value_or(k);
  if (books != k)
    out.push_back("collator.audio_num_codebooks is " + std::to_string(books) +
                  " but the model config has audio_num_codebooks=" + std::to_string(k) +
                  ": inference predicts and decodes " + std::to_string(k) +
                  " codebooks; remove collator.audio_num_codebooks (it defaults to the model's)");
  return out;
}

Batch HiggsAudioCollator::collate(const std::vector<Example>& examples) const {
  if (examples.empty()) throw std::invalid_argument("collator higgs_audio: empty batch");
  size_t with_labels = 0;
  for (const auto& ex : examples) with_labels += get(ex, "label_ids").defined();
  if (with_labels != 0 && with_labels != examples.size())
    throw std::invalid_argument(
        "collator higgs_audio: some examples of the batch have label_ids "
        "and some do not; " +
        describe(examples[0], 0));
  const bool return_labels = with_labels != 0;

  std::vector<Prepared> prepared;
  const Setup setup{o_, ids_, fe_.get(), num_codebooks_};
  for (size_t i = 0; i < examples.size(); ++i)
    prepared.push_back(prepare_example(examples[i], i, return_labels, setup));

  // Audio codes: [BOS, C, EOS] + delay for inputs; [-100, C, EOS] + delay(-100, -100) for labels.
  const bool transform = !o_.disable_audio_codes_transform;
  const bool delay = o_.use_delay_pattern;
  const int64_t bos = ids_.audio_stream_bos_id, eos = ids_.audio_stream_eos_id;
  std::vector<at::Tensor> in_parts, out_parts, label_parts, chunks;
  std::vector<int64_t> group_loc;
  std::vector<float> rewards;
  for (size_t i = 0; i < prepared.size(); ++i) {
    for (const Segment& s : prepared[i].segments) {
      if (!s.out) {
        if (o_.return_audio_in_tokens)
          in_parts.push_back(transform ? wrap(s.codes, bos, eos, bos, eos, delay)
                                       : s.codes.to(torch::kLong));
        continue;
      }
      out_parts.push_back(transform ? wrap(s.codes, bos, eos, bos, eos, delay)
                                    : s.codes.to(torch::kLong));
      if (!return_labels) continue;
      at::Tensor lab;
      if (transform) {
        lab = wrap(s.codes, kIgnoreIndex, eos, kIgnoreIndex, kIgnoreIndex, delay);
      } else {
        if (!s.label_codes.defined())
          throw std::invalid_argument(
              describe(examples[i], i) +
              ": disable_audio_codes_transform needs audio_label_ids_concat");
        lab = s.label_codes.to(torch::kLong).clone();
      }
      if (s.no_train) lab.fill_(kIgnoreIndex);
      label_parts.push_back(lab);
    }
    group_loc.push_back(static_cast<int64_t>(i));  // once per sample, as the reference does
    for (auto& c : prepared[i].whisper_chunks) chunks.push_back(c);
    at::Tensor r = get(examples[i], "reward");
    if (r.defined() && r.numel() == 1) rewards.push_back(r.item<float>());
  }

  Batch batch;
  auto& t = batch.tensors;
  auto cat_or_empty = [&](const std::vector<at::Tensor>& parts, const char* what) {
    if (parts.empty()) return torch::zeros({0, 0}, kLong);
    for (const auto& q : parts)
      if (q.size(0) != parts[0].size(0))
        throw std::invalid_argument(std::string("collator higgs_audio: ") + what +
                                    " segments have different numbers of codebooks");
    return torch::cat(parts, 1);
  };
  if (o_.return_audio_in_tokens) {
    t["audio_in_ids"] = cat_or_empty(in_parts, "audio-in");
    t["audio_in_ids_start"] = starts_of(in_parts);
  }
  t["audio_out_ids"] = cat_or_empty(out_parts, "audio-out");
  t["audio_out_ids_start"] = starts_of(out_parts);
  if (!out_parts.empty()) t["audio_out_ids_start_group_loc"] = torch::tensor(group_loc, kLong);
  if (return_labels) t["label_audio_ids"] = cat_or_empty(label_parts, "audio-label");
  t["reward"] = torch::tensor(rewards, torch::TensorOptions().dtype(torch::kFloat));

  if (o_.encode_whisper_embed) {
    if (chunks.empty()) {
      t["audio_features"] = torch::zeros({0, feature_shape_.first, feature_shape_.second});
      t["audio_feature_attention_mask"] =
          torch::zeros({0, feature_shape_.second}, torch::TensorOptions().dtype(torch::kInt));
    } else {
      auto [features, mask] = fe_->extract(chunks);
      t["audio_features"] = features.to(torch::kFloat);
      t["audio_feature_attention_mask"] = mask.to(torch::kInt);
    }
  }

  // Text: pad to a multiple of round_to with pad_token_id / -100 / attention 0.
  size_t max_len = 0;
  for (const auto& p : prepared) max_len = std::max(max_len, p.input_ids.size());
  const int64_t L = (static_cast<int64_t>(max_len) + o_.round_to - 1) / o_.round_to * o_.round_to;
  const auto B = static_cast<int64_t>(prepared.size());
  at::Tensor input_ids = torch::full({B, L}, ids_.pad_token_id, kLong);
  at::Tensor attention = torch::zeros({B, L}, kLong);
  at::Tensor label_ids = torch::full({B, L}, kIgnoreIndex, kLong);
  for (int64_t b = 0; b < B; ++b) {
    const Prepared& p = prepared[b];
    const auto n = static_cast<int64_t>(p.input_ids.size());
    const int64_t off = o_.pad_left ? L - n : 0;
    if (n == 0) continue;
    input_ids[b].narrow(0, off, n).copy_(torch::tensor(p.input_ids, kLong));
    attention[b].narrow(0, off, n).fill_(1);
    if (return_labels) label_ids[b].narrow(0, off, n).copy_(torch::tensor(p.label_ids, kLong));
  }
  t["input_ids"] = input_ids;
  t["attention_mask"] = attention;
  if (return_labels) t["label_ids"] = label_ids;
  for (const auto& ex : examples) batch.infos.push_back(ex.info);
  return batch;
}

HIGGS_REGISTER(higgs::Collator, HiggsAudioCollator, "higgs_audio",
               "Pads text, adds BOS/EOS and the delay pattern to audio codes, builds labels "
               "(HiggsAudioBatchInput).");

}  // namespace higgs
