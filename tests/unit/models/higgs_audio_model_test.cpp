// higgs_audio model: config round trip, model_info of the released checkpoint, strict loading,
// save/load, audio-path isolation, the loss by hand, gradient checkpointing, the component.
// clang-format off
#include <torch/torch.h>  // before doctest, or glog's CHECK replaces doctest's
#include <doctest/doctest.h>
// clang-format on

#include <cmath>
#include <fstream>
#include <set>

#include "components/models/higgs_audio/higgs_audio.h"
#include "components/models/higgs_audio/loss.h"
#include "framework/registry/registry.h"
#include "framework/util/autocast.h"
#include "tests/unit/models/higgs_audio_fixture.h"

using namespace higgs_test;
using higgs::HiggsAudioConfig;
using higgs::higgs_audio::HiggsAudioModel;

namespace {

Json read_json(const std::string& path) {
  std::ifstream in(path);
  return Json::parse(in);
}

HiggsAudioModel tiny_model(uint64_t seed, const Json& cfgj = tiny_config_json()) {
  HiggsAudioModel m(HiggsAudioConfig::from_json(cfgj));
  m->init_weights(seed, 0.08);
  return m;
}

higgs::Batch text_only_batch() {
  higgs::Batch b;
  b.tensors["input_ids"] = torch::tensor({{5, 6, 7, 8, 9, 10}}, torch::kInt64);
  b.tensors["attention_mask"] = torch::ones({1, 6}, torch::kInt64);
  b.tensors["label_ids"] = torch::tensor({{-100, 6, 7, 8, 9, 10}}, torch::kInt64);
  b.infos.resize(1);
  return b;
}

}  // namespace

TEST_CASE("higgs_audio config: released config.json round-trips and reads the spec values") {
  const Json original = read_json(kReleasedConfig);
  auto cfg = HiggsAudioConfig::from_json(original);
  CHECK(cfg.to_json() == original);
  CHECK(cfg.to_json().dump() == original.dump());  // same key order too
  CHECK(cfg.audio_adapter_type == "dual_ffn_fast_forward");
  CHECK(cfg.audio_dual_ffn_layers.size() == 28);
  CHECK(cfg.audio_num_codebooks == 8);
  CHECK(cfg.codebook_rows() == 1026);
  CHECK(cfg.skip_audio_tower);
  CHECK(cfg.encode_audio_in_tokens);
  CHECK_FALSE(cfg.use_audio_out_self_attention);
  CHECK(cfg.text_config.resolved_head_dim() == 128);
  CHECK(cfg.text_config.num_key_value_heads == 8);
  REQUIRE(cfg.text_config.rope_scaling.has_value());
  CHECK(cfg.text_config.rope_scaling->rope_type == "llama3");
  CHECK(cfg.text_config.rope_scaling->factor == 32.0);
  CHECK(cfg.text_config.rope_scaling->original_max_position_embeddings == 8192);
  CHECK(cfg.audio_encoder_config.d_model == 1280);
  CHECK(cfg.audio_encoder_config.init_std == 0.02);
  CHECK(cfg.pad_token_id == 128001);
  CHECK_NOTHROW(cfg.check_supported("released"));

  // Edits are written back; unknown keys stay.
  cfg.audio_num_codebooks = 4;
  cfg.text_config.rms_norm_eps = 1e-6;
  Json j = cfg.to_json();
  CHECK(j["audio_num_codebooks"] == 4);
  CHECK(j["text_config"]["rms_norm_eps"] == 1e-6);
  CHECK(j["text_config"]["_name_or_path"] == "/fsx/models/Llama-3.2-3B");
  CHECK(j["use_audio_out_self_attention"] == 0);
  CHECK(HiggsAudioConfig::from_json(tiny_config_json())
            .to_json()["text_config"]["some_unknown_key"] == "kept");
}

TEST_CASE("higgs_audio config: unsupported settings are refused with the reason") {
  Json j = tiny_config_json();
  j["skip_audio_tower"] = false;  // the tower is built, but not with a ReLU
  j["audio_encoder_config"]["activation_function"] = "relu";
  j["use_rq_transformer"] = true;
  try {
    HiggsAudioConfig::from_json(j).check_supported("x/config.json");
    FAIL("expected an error");
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    CHECK(msg.find("x/config.json") != std::string::npos);
    CHECK(msg.find("audio_encoder_config.activation_function \"relu\"") != std::string::npos);
    CHECK(msg.find("use_rq_transformer") != std::string::npos);
  }
}

TEST_CASE("higgs_audio model_info: released checkpoint has 397 tensors and 5,771,283,456 params") {
  auto cfg = HiggsAudioConfig::from_file(kReleasedConfig);
  Json info = higgs::model_info(cfg);
  CHECK(info["num_tensors"] == 397);
  CHECK(info["num_parameters"] == 5771283456LL);
  CHECK(info["llm_parameters"] == 3606752256LL);
  CHECK(info["audio_parameters"] == 2164531200LL);
  const Json index = read_json(kReleasedIndex);
  CHECK(info["bytes"] == index["metadata"]["total_size"]);
  std::set<std::string> ours, theirs;
  std::map<std::string, std::vector<int64_t>> shape;
  for (const auto& t : info["tensors"]) {
    ours.insert(t["name"].get<std::string>());
    shape[t["name"]] = t["shape"].get<std::vector<int64_t>>();
  }
  for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it)
    theirs.insert(it.key());
  CHECK(ours == theirs);
  CHECK(shape["embed_tokens.weight"] == std::vector<int64_t>{128256, 3072});
  CHECK(shape["layers.27.self_attn.k_proj.weight"] == std::vector<int64_t>{1024, 3072});
  CHECK(shape["layers.0.audio_mlp.down_proj.weight"] == std::vector<int64_t>{3072, 8192});
  CHECK(shape["audio_codebook_embeddings.weight"] == std::vector<int64_t>{8208, 3072});
  CHECK(shape["audio_decoder_proj.audio_lm_head.weight"] == std::vector<int64_t>{8208, 3072});
}

TEST_CASE("higgs_audio model_info matches the parameters the model registers") {
  for (const auto& cfgj :
       {tiny_config_json(), tiny_config_json("dual_ffn_fast_forward", Json::array({1})),
        tiny_config_json("stack", Json::array())}) {
    auto cfg = HiggsAudioConfig::from_json(cfgj);
    HiggsAudioModel m(cfg);
    Json info = higgs::model_info(cfg, "float32");
    auto params = m->named_parameters();
    REQUIRE(info["num_tensors"].get<size_t>() == params.size());
    int64_t total = 0;
    for (const auto& t : info["tensors"]) {
      const std::string name = t["name"];
      REQUIRE(params.contains(name));
      CHECK(params[name].sizes().vec() == t["shape"].get<std::vector<int64_t>>());
      total += params[name].numel();
    }
    CHECK(info["num_parameters"] == total);
  }
}

TEST_CASE("higgs_audio state dict: strict loading and a bit-exact save/load round trip") {
  auto a = tiny_model(1);
  auto dir = temp_dir("roundtrip");
  const auto path = (dir / "w.pt").string();
  higgs::higgs_audio::write_weights_pickle(path, a->state_dict());
  auto b = tiny_model(2);
  CHECK_FALSE(torch::equal(a->embed_tokens->weight, b->embed_tokens->weight));
  b->load_state_dict(higgs::higgs_audio::read_weights_pickle(path), path);
  auto sa = a->state_dict(), sb = b->state_dict();
  REQUIRE(sa.size() == sb.size());
  for (const auto& kv : sa) CHECK(torch::equal(kv.second, sb.at(kv.first)));

  auto broken = a->state_dict();
  broken.erase("norm.weight");
  broken["layers.9.mlp.up_proj.weight"] = torch::zeros({1});
  try {
    b->load_state_dict(broken, "ckpt/x");
    FAIL("expected a strict-loading error");
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    CHECK(msg.find("ckpt/x") != std::string::npos);
    CHECK(msg.find("missing (1): norm.weight") != std::string::npos);
    CHECK(msg.find("unexpected (1): layers.9.mlp.up_proj.weight") != std::string::npos);
  }
  auto wrong = a->state_dict();
  wrong["norm.weight"] = torch::zeros({65});
  CHECK_THROWS_WITH_AS(b->load_state_dict(wrong, "ckpt/y"),
                       doctest::Contains("norm.weight [65] vs model [64]"), std::runtime_error);
  fs::remove_all(dir);
}

TEST_CASE("higgs_audio: the loss of a one-frame example equals a hand computation") {
  auto m = tiny_model(3);
  higgs::Batch b;
  // <out_bos> <AUDIO_OUT> <audio_eos>: the run has 2 columns [BOS frame, code frame].
  b.tensors["input_ids"] = torch::tensor({{5, kOutBos, kAudioOut, kAudioEos}}, torch::kInt64);
  b.tensors["attention_mask"] = torch::ones({1, 4}, torch::kInt64);
  b.tensors["label_ids"] = torch::tensor({{-100, kOutBos, -100, kAudioEos}}, torch::kInt64);
  auto codes = torch::tensor({{16, 3}, {16, 7}, {16, 11}, {16, 17}}, torch::kInt64);
  b.tensors["audio_out_ids"] = codes;
  b.tensors["audio_out_ids_start"] = torch::tensor({0}, torch::kInt64);
  auto la = codes.clone();
  la.select(1, 0).fill_(-100);
  b.tensors["label_audio_ids"] = la;
  b.infos.resize(1);

  auto out = m->forward(b);
  // A batch of one is left padded: [pad x3, 5, out_bos, A0, A1, eos]. Targets: out_bos predicted
  // at position 3, eos at position 6 (the last audio column).
  REQUIRE(out.merge.length == 8);
  CHECK(out.merge.attention_mask[0][2].item<int64_t>() == 0);
  CHECK(out.merge.attention_mask[0][3].item<int64_t>() == 1);
  auto nll = [](const torch::Tensor& row, int64_t target) {
    auto r = row.to(torch::kFloat64);
    double mx = r.max().item<double>(), z = 0;
    for (int64_t i = 0; i < r.numel(); ++i) z += std::exp(r[i].item<double>() - mx);
    return -(r[target].item<double>() - mx - std::log(z));
  };
  const double text = nll(out.logits[0][3], kOutBos) + nll(out.logits[0][6], kAudioEos);
  auto terms = higgs::higgs_audio::compute_loss_terms(*m, b, {});
  CHECK(terms[0].name == "text");
  CHECK(terms[0].count == 2);
  CHECK(terms[0].sum.item<double>() == doctest::Approx(text).epsilon(1e-6));
  for (int64_t k = 0; k < kBooks; ++k) {
    // Shifted: the logits at column 0 (the BOS frame) predict column 1's code.
    const double hand = nll(out.audio_logits[0][k], codes[k][1].item<int64_t>());
    CHECK(terms[1 + k].name == "audio_cb" + std::to_string(k));
    CHECK(terms[1 + k].count == 1);
    CHECK(terms[1 + k].weight == doctest::Approx(1.0 / kBooks));
    CHECK(terms[1 + k].sum.item<double>() == doctest::Approx(hand).epsilon(1e-6));
  }
  higgs::higgs_audio::LossOptions sum_opts;
  sum_opts.reduction = "sum";
  sum_opts.codebook_weights = {1, 2, 3, 4};
  sum_opts.audio_loss_weight = 0.5;
  auto t2 = higgs::higgs_audio::compute_loss_terms(*m, b, sum_opts);
  CHECK(t2[3].weight == doctest::Approx(1.5));
}

TEST_CASE("higgs_audio: audio_mlp sees only audio positions") {
  auto m = tiny_model(4);
  // No audio: audio-path weights get no gradient.
  auto terms = higgs::higgs_audio::compute_loss_terms(*m, text_only_batch(), {});
  CHECK(terms[0].count == 5);
  CHECK(terms[1].count == 0);
  torch::Tensor total = terms[0].sum;
  for (size_t i = 1; i < terms.size(); ++i) total = total + terms[i].sum;
  total.backward();
  for (const auto& p : m->named_parameters()) {
    const bool audio_path = p.key().find("audio_mlp") != std::string::npos ||
                            p.key().find("audio_input_layernorm") != std::string::npos ||
                            p.key().find("audio_post_attention") != std::string::npos ||
                            p.key().find("audio_codebook") != std::string::npos ||
                            p.key().find("audio_lm_head") != std::string::npos;
    const auto& g = p.value().grad();
    const bool nonzero = g.defined() && g.abs().max().item<double>() > 0;
    INFO(p.key());
    if (audio_path)
      CHECK_FALSE(nonzero);
    else
      CHECK(nonzero);
  }

  // Changing audio-path weights changes nothing at text positions before any audio, and changes
  // the audio logits.
  auto batch = two_sample_batch();
  auto before = m->forward(batch);
  {
    torch::NoGradGuard g;
    for (auto& p : m->named_parameters())
      if (p.key().find("audio_mlp") != std::string::npos ||
          p.key().find("audio_input_layernorm") != std::string::npos)
        p.value().add_(0.05);
  }
  auto after = m->forward(batch);
  // Sample 0: positions 0..3 are text before its first audio position (4).
  CHECK(torch::equal(before.logits[0].slice(0, 0, 4), after.logits[0].slice(0, 0, 4)));
  CHECK(torch::equal(before.logits[1][0], after.logits[1][0]));  // sample 1: audio-in from pos 1
  CHECK(max_abs_diff(before.audio_logits, after.audio_logits) > 1e-4);
  CHECK(max_abs_diff(before.logits, after.logits) > 1e-4);  // later text attends to audio
  auto text_only_before = m->forward(text_only_batch());    // after the edit: same as never edited
  auto fresh = tiny_model(4)->forward(text_only_batch());
  CHECK(torch::equal(text_only_before.logits, fresh.logits));
}

namespace {

struct LossAndGrads {
  double loss = 0.0;
  std::map<std::string, torch::Tensor> grads;
};

// One training step of the tiny model on two_sample_batch(), with or without gradient
// checkpointing, under bf16 autocast when `bf16` (the trainer's region: forward and loss only).
LossAndGrads one_step(const Json& cfgj, bool checkpointing, bool bf16) {
  auto m = tiny_model(5, cfgj);
  m->train();
  m->gradient_checkpointing = checkpointing;
  torch::Tensor total = torch::zeros({});
  {
    higgs::Bf16Autocast autocast(at::kCPU, bf16);
    auto terms = higgs::higgs_audio::compute_loss_terms(*m, two_sample_batch(), {});
    for (const auto& t : terms) total = total + t.sum * t.weight / std::max<int64_t>(t.count, 1);
  }
  REQUIRE_FALSE(at::autocast::is_autocast_enabled(at::kCPU));
  total.backward();
  LossAndGrads r;
  r.loss = total.item<double>();
  for (const auto& p : m->named_parameters())
    if (p.value().grad().defined()) r.grads[p.key()] = p.value().grad().clone();
  return r;
}

}  // namespace

TEST_CASE("higgs_audio: gradient checkpointing gives the same gradients") {
  for (const auto& cfgj :
       {tiny_config_json(), tiny_config_json("dual_ffn_fast_forward", Json::array({0}))}) {
    const auto plain = one_step(cfgj, false, false), ckpt = one_step(cfgj, true, false);
    CHECK(plain.loss == ckpt.loss);
    REQUIRE(plain.grads.size() == ckpt.grads.size());
    CHECK(plain.grads.size() == tiny_model(5, cfgj)->named_parameters().size());
    for (const auto& kv : plain.grads) {
      INFO(kv.first);
      CHECK(max_abs_diff(kv.second, ckpt.grads.at(kv.first)) < 1e-7);
    }
  }
}

TEST_CASE("higgs_audio: gradient checkpointing under bf16 autocast recomputes in bf16") {
  // The recompute in backward runs outside the trainer's autocast region; it must re-enter the
  // forward's autocast state, or it computes another (fp32) function than the one that ran.
  const auto plain = one_step(tiny_config_json(), false, true);
  const auto ckpt = one_step(tiny_config_json(), true, true);
  CHECK(plain.loss == ckpt.loss);
  REQUIRE(plain.grads.size() == ckpt.grads.size());
  double largest = 0.0;
  for (const auto& kv : plain.grads) {
    INFO(kv.first);
    CHECK((ckpt.grads.at(kv.first).scalar_type() == torch::kFloat));
    CHECK(max_abs_diff(kv.second, ckpt.grads.at(kv.first)) < 1e-7);
    largest = std::max(largest, kv.second.abs().max().item<double>());
  }
  CHECK(largest > 1e-3);  // gradients really flowed
}

TEST_CASE("higgs_audio component: registered, random init, loss terms, save and reload") {
  CHECK(higgs::registry("model").find("higgs_audio") != nullptr);
  auto dir = temp_dir("component");
  write_json(dir / "config.json", tiny_config_json());
  higgs::HiggsAudioModel::Options o;
  o.path = dir.string();
  o.init = "random";
  o.seed = 9;
  higgs::HiggsAudioModel a(o, higgs::RunSettings{0, "cpu"});
  auto terms = a.loss_terms(two_sample_batch());
  REQUIRE(terms.size() == 5);
  CHECK(terms[0].group == "text");
  CHECK(terms[4].group == "audio");
  auto counts = a.target_counts(two_sample_batch());
  CHECK(counts.at("text") == terms[0].count);
  CHECK(counts.at("audio_cb2") == terms[3].count);
  // Seeded init: two builds agree; padding row is zero.
  higgs::HiggsAudioModel a2(o, higgs::RunSettings{0, "cpu"});
  CHECK(torch::equal(a.net().embed_tokens->weight, a2.net().embed_tokens->weight));
  CHECK(a.net().embed_tokens->weight[kPad].abs().sum().item<double>() == 0.0);

  auto saved = dir / "saved";
  a.save(saved.string());
  CHECK(read_json((saved / "config.json").string()) == a.config());
  CHECK(fs::exists(saved / "model.safetensors"));
  o.path = saved.string();
  o.init = "checkpoint";
  higgs::HiggsAudioModel b(o, higgs::RunSettings{0, "cpu"});
  for (const auto& kv : a.net().state_dict())
    CHECK(torch::equal(kv.second, b.net().state_dict().at(kv.first)));

  o.dtype = "bfloat16";
  higgs::HiggsAudioModel c(o, higgs::RunSettings{0, "cpu"});
  CHECK((c.net().norm->weight.scalar_type() == torch::kBFloat16));
  auto bf = c.loss_terms(two_sample_batch());
  CHECK(std::abs(bf[0].sum.item<double>() - terms[0].sum.item<double>()) <
        0.05 * std::abs(terms[0].sum.item<double>()));
  fs::remove_all(dir);
}
