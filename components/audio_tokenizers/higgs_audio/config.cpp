#include "components/audio_tokenizers/higgs_audio/config.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace higgs::higgs_audio {
namespace {

using nlohmann::json;

int64_t product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

// Constructor arguments of the reference HiggsAudioTokenizer that only select code paths; the
// values this implementation follows are the only ones accepted.
void check_fixed(const json& j, const std::string& key, const json& expected,
                 const std::string& source) {
  if (j.contains(key) && j.at(key) != expected)
    throw std::invalid_argument(source + ": \"" + key + "\" is " + j.at(key).dump() + "; only " +
                                expected.dump() + " is implemented");
}

}  // namespace

int64_t TokenizerConfig::hop_length() const { return product(ratios); }
int64_t TokenizerConfig::semantic_hop() const { return product(semantic_conv_stride); }

int64_t TokenizerConfig::semantic_downsample_factor() const {
  // int(hop_length / (sample_rate / semantic_sample_rate) / 320) in the reference.
  double f = static_cast<double>(hop_length()) /
             (static_cast<double>(sample_rate) / semantic_sample_rate) / semantic_hop();
  return static_cast<int64_t>(f);
}

void TokenizerConfig::validate(const std::string& source) const {
  auto fail = [&](const std::string& what) { throw std::invalid_argument(source + ": " + what); };
  if (ratios.empty()) fail("\"ratios\" is empty");
  for (int64_t r : ratios)
    if (r < 1) fail("every entry of \"ratios\" must be >= 1");
  if (D < 1 || codebook_dim < 1 || bins < 1 || n_q < 1 || sample_rate < 1)
    fail("D, codebook_dim, bins, n_q and sample_rate must be positive");
  if (acoustic_encoder_dim < 1) fail("\"acoustic_encoder_dim\" must be positive");
  if (acoustic_decoder_dim >> static_cast<int64_t>(ratios.size()) < 1)
    fail("\"acoustic_decoder_dim\" must be at least 2^len(ratios)");
  if (semantic_conv_dim.empty() || semantic_conv_dim.size() != semantic_conv_kernel.size() ||
      semantic_conv_dim.size() != semantic_conv_stride.size())
    fail("semantic_conv_dim, semantic_conv_kernel and semantic_conv_stride need equal lengths");
  if (semantic_hidden_size % semantic_num_heads != 0)
    fail("semantic_hidden_size must be divisible by semantic_num_heads");
  if (semantic_hidden_size % semantic_pos_conv_groups != 0)
    fail("semantic_hidden_size must be divisible by semantic_pos_conv_groups");
  if (semantic_downsample_factor() < 1)
    fail("hop_length / (sample_rate / semantic_sample_rate) must be at least the HuBERT hop (" +
         std::to_string(semantic_hop()) + ")");
}

std::string TokenizerConfig::to_json() const {
  json j = {{"n_filters", n_filters},
            {"D", D},
            {"codebook_dim", codebook_dim},
            {"target_bandwidths", target_bandwidths},
            {"ratios", ratios},
            {"sample_rate", sample_rate},
            {"bins", bins},
            {"n_q", n_q},
            {"semantic_techer", "hubert_base_general"},
            {"acoustic_encoder_dim", acoustic_encoder_dim},
            {"acoustic_decoder_dim", acoustic_decoder_dim},
            {"semantic_sample_rate", semantic_sample_rate},
            {"semantic_hidden_size", semantic_hidden_size},
            {"semantic_num_layers", semantic_num_layers},
            {"semantic_num_heads", semantic_num_heads},
            {"semantic_intermediate_size", semantic_intermediate_size},
            {"semantic_conv_dim", semantic_conv_dim},
            {"semantic_conv_kernel", semantic_conv_kernel},
            {"semantic_conv_stride", semantic_conv_stride},
            {"semantic_pos_conv_kernel", semantic_pos_conv_kernel},
            {"semantic_pos_conv_groups", semantic_pos_conv_groups},
            {"semantic_layer_norm_eps", semantic_layer_norm_eps}};
  return j.dump(2);
}

TokenizerConfig TokenizerConfig::from_json(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    throw std::invalid_argument(source + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw std::invalid_argument(source + ": expected a JSON object");
  TokenizerConfig c;
  std::vector<std::string> unknown;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    try {
      if (k == "n_filters")
        c.n_filters = v.get<int64_t>();
      else if (k == "D")
        c.D = v.get<int64_t>();
      else if (k == "codebook_dim")
        c.codebook_dim = v.get<int64_t>();
      else if (k == "ratios")
        c.ratios = v.get<std::vector<int64_t>>();
      else if (k == "sample_rate")
        c.sample_rate = v.get<int64_t>();
      else if (k == "bins")
        c.bins = v.get<int64_t>();
      else if (k == "n_q")
        c.n_q = v.get<int64_t>();
      else if (k == "target_bandwidths")
        c.target_bandwidths = v.get<std::vector<double>>();
      else if (k == "acoustic_encoder_dim")
        c.acoustic_encoder_dim = v.get<int64_t>();
      else if (k == "acoustic_decoder_dim")
        c.acoustic_decoder_dim = v.get<int64_t>();
      else if (k == "semantic_sample_rate")
        c.semantic_sample_rate = v.get<int64_t>();
      else if (k == "semantic_hidden_size")
        c.semantic_hidden_size = v.get<int64_t>();
      else if (k == "semantic_num_layers")
        c.semantic_num_layers = v.get<int64_t>();
      else if (k == "semantic_num_heads")
        c.semantic_num_heads = v.get<int64_t>();
      else if (k == "semantic_intermediate_size")
        c.semantic_intermediate_size = v.get<int64_t>();
      else if (k == "semantic_conv_dim")
        c.semantic_conv_dim = v.get<std::vector<int64_t>>();
      else if (k == "semantic_conv_kernel")
        c.semantic_conv_kernel = v.get<std::vector<int64_t>>();
      else if (k == "semantic_conv_stride")
        c.semantic_conv_stride = v.get<std::vector<int64_t>>();
      else if (k == "semantic_pos_conv_kernel")
        c.semantic_pos_conv_kernel = v.get<int64_t>();
      else if (k == "semantic_pos_conv_groups")
        c.semantic_pos_conv_groups = v.get<int64_t>();
      else if (k == "semantic_layer_norm_eps")
        c.semantic_layer_norm_eps = v.get<double>();
      else if (k == "semantic_techer") {
        auto t = v.get<std::string>();  // (sic) spelled so by the reference
        if (t != "hubert_base_general" && t != "hubert_base")
          throw std::invalid_argument("semantic teacher \"" + t +
                                      "\" is not implemented (only HuBERT base)");
      } else if (k == "normalize" || k == "causal" || k == "last_layer_semantic" ||
                 k == "merge_mode" || k == "downsample_mode" || k == "semantic_mode" ||
                 k == "vq_scale") {
        // Checked below against the one value that is implemented.
      } else {
        unknown.push_back(k);
      }
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(source + ": \"" + k + "\": " + e.what());
    } catch (const json::exception& e) {
      throw std::invalid_argument(source + ": \"" + k + "\" has the wrong type (" + v.dump() + ")");
    }
  }
  if (!unknown.empty()) {
    std::string list;
    for (const auto& u : unknown) list += (list.empty() ? "\"" : ", \"") + u + "\"";
    throw std::invalid_argument(source + ": unknown keys " + list);
  }
  check_fixed(j, "normalize", false, source);
  check_fixed(j, "causal", false, source);
  check_fixed(j, "merge_mode", "concat", source);
  check_fixed(j, "downsample_mode", "step_down", source);
  check_fixed(j, "semantic_mode", "classic", source);
  check_fixed(j, "vq_scale", 1, source);
  c.validate(source);
  return c;
}

TokenizerConfig TokenizerConfig::from_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::invalid_argument(path + ": cannot open the audio tokenizer config");
  std::stringstream ss;
  ss << f.rdbuf();
  return from_json(ss.str(), path);
}

}  // namespace higgs::higgs_audio
