// Referee 2: our higgs_audio collator against Boson's HiggsAudioSampleCollator (boson-multimodal
// 0.1.1) on batches of the shared ChatML samples (real tokenizer, random codes and 16 kHz
// waveforms, one audio-in of 31 s that Whisper splits into two windows): delay pattern on and
// off, return_audio_in_tokens on and off, round_to 1 and 8, Whisper features on (transformers'
// WhisperFeatureExtractor, 128 mels) and off, left padding and unmasked audio-out labels once
// each. Every field Boson returns: same shape, dtype and values (features: see below); no field
// Boson leaves None is present in ours.
#include <torch/torch.h>

#include <doctest/doctest.h>

#include "components/audio/whisper_log_mel.h"
#include "components/chatml/chatml.h"
#include "components/chatml/chatml_layout.h"
#include "components/collators/higgs_audio.h"
#include "components/text/llama3_bpe.h"
#include "framework/tensor_io/safetensors.h"
#include "tests/referee/chatml_samples.h"
#include "tests/referee/referee_support.h"

namespace collator_referee {

using namespace higgs_referee;

const std::vector<std::string> kFields = {"input_ids",
                                          "attention_mask",
                                          "audio_features",
                                          "audio_feature_attention_mask",
                                          "audio_out_ids",
                                          "audio_out_ids_start",
                                          "audio_out_ids_start_group_loc",
                                          "audio_in_ids",
                                          "audio_in_ids_start",
                                          "label_ids",
                                          "label_audio_ids"};

// The dataset tensors of every shared sample: codes (8, T) uniform in [0, 1024), a 16 kHz
// waveform of T x 640 samples per audio (T frames at 25 Hz). Sample 4 (audio in the user turn)
// gets a 31 s audio-in, longer than one Whisper window.
std::vector<higgs::Example> make_examples(const std::string& tokenizer, const fs::path& dir) {
  higgs::Llama3BpeTokenizer tok(tokenizer);
  {
    std::ofstream f(dir / "samples.jsonl");
    for (const Json& s : make_samples()) f << s.dump() << "\n";
  }
  auto samples = higgs::load_chatml_file((dir / "samples.jsonl").string());
  torch::manual_seed(11);
  std::vector<higgs::Example> out;
  for (size_t i = 0; i < samples.size(); ++i) {
    higgs::ChatMLTokens t = higgs::prepare_chatml_sample(samples[i], tok);
    std::vector<at::Tensor> codes, waves;
    std::vector<int64_t> rates, speakers;
    for (size_t a = 0; a < t.audio_contents.size(); ++a) {
      int64_t frames = (i == 4 && a == 0) ? 31 * 25 : torch::randint(1, 30, {1}).item<int64_t>();
      codes.push_back(torch::randint(0, 1024, {8, frames}, torch::kLong));
      at::Tensor time = torch::arange(frames * 640, torch::kFloat) / 16000.0;
      waves.push_back(0.3 * torch::sin(2 * M_PI * (110.0 + 40.0 * double(a)) * time) +
                      0.05 * torch::randn({frames * 640}));
      rates.push_back(16000);
      speakers.push_back(-1);
    }
    out.push_back(higgs::make_chatml_example(t, codes, waves, rates, speakers));
  }
  return out;
}

struct Case {
  higgs::HiggsAudioCollator::Options opts;
  std::vector<int> samples;
};

std::vector<Case> make_cases(size_t n_samples) {
  std::vector<Case> cases;
  int next = 0;
  for (int whisper = 0; whisper < 2; ++whisper)
    for (int delay = 0; delay < 2; ++delay)
      for (int ret_in = 0; ret_in < 2; ++ret_in)
        for (int64_t round_to : {1, 8}) {
          Case c;
          c.opts.audio_num_codebooks = 8;
          c.opts.encode_whisper_embed = whisper;
          c.opts.use_delay_pattern = delay;
          c.opts.return_audio_in_tokens = ret_in;
          c.opts.round_to = round_to;
          c.opts.pad_left = cases.size() == 5;
          c.opts.mask_audio_out_token_label = cases.size() != 6;
          // Four consecutive samples. With Whisper on, the long audio-in (sample 4) comes first
          // when audio-in codes are off; with them on it is left out, because Boson's collator
          // then reads the codes of audio-in placeholder k for each duplicated placeholder, past
          // the sample's audios (IndexError; docs/fidelity.md), where ours splits the codes by
          // time.
          for (int k = 0; k < 4; ++k) c.samples.push_back(int((next + k) % n_samples));
          if (whisper && !ret_in) c.samples[0] = 4;
          if (whisper && ret_in)
            for (int& i : c.samples)
              if (i == 4) i = 5;
          next += 3;
          cases.push_back(c);
        }
  return cases;
}

Json opts_json(const higgs::HiggsAudioCollator::Options& o) {
  return {{"round_to", o.round_to},
          {"pad_left", o.pad_left},
          {"encode_whisper_embed", o.encode_whisper_embed},
          {"return_audio_in_tokens", o.return_audio_in_tokens},
          {"audio_num_codebooks", *o.audio_num_codebooks},
          {"use_delay_pattern", o.use_delay_pattern},
          {"mask_audio_out_token_label", o.mask_audio_out_token_label}};
}

TEST_CASE("referee: collator equals Boson's HiggsAudioSampleCollator on 16 batch settings") {
  fs::path dir = work_dir("collator");
  std::vector<higgs::Example> examples = make_examples(higgs_tokenizer_json(), dir);
  std::map<std::string, at::Tensor> in;
  for (size_t i = 0; i < examples.size(); ++i)
    for (const auto& [name, t] : examples[i].tensors) in["s" + std::to_string(i) + "." + name] = t;
  higgs::tensor_io::save_safetensors((dir / "samples.safetensors").string(), in);

  higgs::HiggsTokenIds ids;
  ids.audio_num_codebooks = 8;
  std::vector<Case> cases = make_cases(examples.size());
  Json spec = {{"ids",
                {{"audio_in", ids.audio_in_token_idx},
                 {"audio_out", ids.audio_out_token_idx},
                 {"pad", ids.pad_token_id},
                 {"bos", ids.audio_stream_bos_id},
                 {"eos", ids.audio_stream_eos_id}}},
               {"n_mels", 128},
               {"cases", Json::array()}};
  for (const Case& c : cases)
    spec["cases"].push_back({{"samples", c.samples}, {"opts", opts_json(c.opts)}});
  std::ofstream(dir / "cases.json") << spec.dump();
  run_referee("boson_collate.py", quote((dir / "samples.safetensors").string()) + " " +
                                      quote((dir / "cases.json").string()) + " " +
                                      quote((dir / "boson.safetensors").string()));
  auto boson = higgs::tensor_io::SafetensorsFile::open((dir / "boson.safetensors").string());

  auto fe = std::make_shared<higgs::WhisperLogMel>();  // 128 mels, 16 kHz, 30 s windows, float64
  int64_t compared = 0;
  double max_feature_diff = 0;
  for (size_t j = 0; j < cases.size(); ++j) {
    CAPTURE(j);
    std::vector<higgs::Example> batch;
    for (int i : cases[j].samples) batch.push_back(examples[size_t(i)]);
    higgs::Batch ours = higgs::HiggsAudioCollator(cases[j].opts, ids, fe).collate(batch);
    for (const std::string& field : kFields) {
      CAPTURE(field);
      const std::string key = "c" + std::to_string(j) + "." + field;
      if (!boson.contains(key)) {
        CHECK_MESSAGE(!ours.has(field), "ours has " << field << ", Boson's is None");
        continue;
      }
      REQUIRE_MESSAGE(ours.has(field), "Boson's has " << field << ", ours does not");
      at::Tensor want = boson.tensor(key), got = ours.at(field);
      CHECK(got.sizes().vec() == want.sizes().vec());
      CHECK(std::string(c10::toString(got.scalar_type())) ==
            std::string(c10::toString(want.scalar_type())));
      if (got.sizes() != want.sizes()) continue;
      if (got.numel() == 0) {
        ++compared;
        continue;
      }
      if (want.is_floating_point()) {
        // Features: our float64 STFT is transformers' numpy path, equal within 1e-5; Boson's
        // collator runs transformers' float32 torch path, which differs from its own numpy path
        // by up to 2.5e-5 on the loud 30 s window (docs/fidelity.md): within 5e-5 of that.
        auto max_diff = [&](const at::Tensor& w) {
          return (got.to(torch::kDouble) - w.to(torch::kDouble)).abs().max().item<double>();
        };
        CHECK(max_diff(boson.tensor(key + "_numpy_path")) <= 1e-5);
        CHECK(max_diff(want) <= 5e-5);
        max_feature_diff = std::max(max_feature_diff, max_diff(want));
      } else
        CHECK(torch::equal(got.to(torch::kLong), want.to(torch::kLong)));
      ++compared;
    }
  }
  MESSAGE(cases.size() << " batches, " << compared << " fields equal to Boson's (features: at most "
                       << max_feature_diff << " from its torch path)");
}

}  // namespace collator_referee
