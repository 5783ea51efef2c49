// higgs_audio with the Whisper audio tower (skip_audio_tower: false): parameter table, output
// lengths, strict loading and a bit-exact save/load, freezing groups, clear errors, and a
// waveform -> collator (whisper_log_mel) -> loss run. The forward/loss/gradients against the
// Python reference are in higgs_audio_reference_test.cpp.
// clang-format off
#include <torch/torch.h>  // before doctest, or glog's CHECK replaces doctest's
#include <doctest/doctest.h>
// clang-format on

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "components/audio/whisper_log_mel.h"
#include "components/chatml/higgs_token_ids.h"
#include "components/collators/higgs_audio.h"
#include "components/freezing/freezing_policies.h"
#include "components/models/higgs_audio/audio_tower.h"
#include "components/models/higgs_audio/higgs_audio.h"
#include "components/models/higgs_audio/loss.h"
#include "components/models/higgs_audio/weights_io.h"
#include "tests/support/test_support.h"
#include "tests/unit/models/higgs_audio_fixture.h"

namespace higgs::tower_test {

using namespace higgs_test;
using higgs::higgs_audio::HiggsAudioModel;

namespace {

HiggsAudioModel tower_model(uint64_t seed, const Json& cfgj = tower_config_json()) {
  HiggsAudioModel m(HiggsAudioConfig::from_json(cfgj));
  m->init_weights(seed, 0.08);
  return m;
}

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

}  // namespace

TEST_CASE("audio tower: output lengths follow the reference's floor divisions") {
  using higgs::higgs_audio::audio_tower_lengths;
  CHECK(audio_tower_lengths(3000) == std::make_pair<int64_t, int64_t>(1500, 750));
  CHECK(audio_tower_lengths(16) == std::make_pair<int64_t, int64_t>(8, 4));
  CHECK(audio_tower_lengths(9) == std::make_pair<int64_t, int64_t>(5, 2));
  CHECK(audio_tower_lengths(2) == std::make_pair<int64_t, int64_t>(1, 0));
  CHECK(audio_tower_lengths(0) == std::make_pair<int64_t, int64_t>(0, 0));  // (-1)//2+1 = 0
}

TEST_CASE("audio tower: model_info lists the tower and matches the registered parameters") {
  auto cfg = HiggsAudioConfig::from_json(tower_config_json());
  HiggsAudioModel m(cfg);
  Json info = higgs::model_info(cfg, "float32");
  auto params = m->named_parameters();
  REQUIRE(info["num_tensors"].get<size_t>() == params.size());
  for (const auto& t : info["tensors"]) {
    const std::string name = t["name"];
    REQUIRE(params.contains(name));
    CHECK(params[name].sizes().vec() == t["shape"].get<std::vector<int64_t>>());
  }
  CHECK(params.contains("audio_tower.layers.1.self_attn.k_proj.weight"));
  CHECK_FALSE(params.contains("audio_tower.layers.1.self_attn.k_proj.bias"));
  CHECK(params.contains("audio_tower.layers.1.self_attn.q_proj.bias"));
  CHECK(params.contains("audio_encoder_proj.linear.bias"));
  CHECK_FALSE(params["audio_tower.embed_positions.weight"].requires_grad());
  CHECK(params["audio_tower.conv1.weight"].sizes().vec() == std::vector<int64_t>{32, kMels, 3});

  // The released config with the tower switched on: whisper-large-v3's encoder (d 1280, 32
  // layers, ffn 5120, 128 mels, 1500 positions) plus Linear(1280 -> 3072), counted by hand.
  auto rel = HiggsAudioConfig::from_file(kReleasedConfig);
  rel.skip_audio_tower = false;
  Json ri = higgs::model_info(rel);
  const int64_t d = 1280, f = 5120;
  const int64_t per_layer = d * d + 3 * (d * d + d) + 2 * d + (f * d + f) + (d * f + d) + 2 * d;
  const int64_t tower = (d * 128 * 3 + d) + (d * d * 3 + d) + 1500 * d + 32 * per_layer + 2 * d;
  const int64_t proj = 3072 * d + 3072;
  CHECK(ri["num_tensors"] == 397 + 4 + 1 + 32 * 15 + 2 + 2);
  CHECK(ri["audio_tower_parameters"] == tower + proj);
  CHECK(ri["num_parameters"] == 5771283456LL + tower + proj);
  CHECK(ri["llm_parameters"] == 3606752256LL);
}

TEST_CASE("audio tower: strict loading names the tower tensors, save/load is bit-exact") {
  // A checkpoint without the tower into a model with one: every tower tensor is listed missing.
  auto plain = HiggsAudioModel(HiggsAudioConfig::from_json(tiny_config_json()));
  auto m = tower_model(1);
  try {
    m->load_state_dict(plain->state_dict(), "ckpt/no_tower");
    FAIL("expected a strict-loading error");
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    CHECK(msg.find("ckpt/no_tower") != std::string::npos);
    CHECK(msg.find("audio_tower.conv1.weight") != std::string::npos);
    CHECK(msg.find("missing (39)") != std::string::npos);  // 5 + 2 * 15 + 2 tower, 2 projector
  }
  // ... and the other way round: unexpected.
  CHECK_THROWS_WITH(plain->load_state_dict(m->state_dict(), "ckpt/tower"),
                    doctest::Contains("unexpected (39)"));

  // Through the registered component: random init, save (safetensors), reload, compare.
  auto dir = temp_dir("tower_roundtrip");
  write_json(dir / "config.json", tower_config_json());
  higgs::HiggsAudioModel::Options o;
  o.path = dir.string();
  o.init = "random";
  o.seed = 5;
  higgs::HiggsAudioModel a(o, higgs::RunSettings{0, "cpu"});
  // Seeded init: N(0, init_std) for linear/conv/embedding weights, LayerNorm one/zero.
  CHECK(a.net().audio_tower->layer_norm->weight.eq(1).all().item<bool>());
  CHECK(a.net().audio_tower->conv1->bias.eq(0).all().item<bool>());
  CHECK(a.net().audio_tower->conv1->weight.std().item<double>() ==
        doctest::Approx(0.02).epsilon(0.1));
  auto saved = dir / "saved";
  a.save(saved.string());
  o.path = saved.string();
  o.init = "checkpoint";
  higgs::HiggsAudioModel b(o, higgs::RunSettings{0, "cpu"});
  auto sa = a.net().state_dict(), sb = b.net().state_dict();
  REQUIRE(sa.size() == sb.size());
  size_t tower_tensors = 0;
  for (const auto& kv : sa) {
    CHECK(torch::equal(kv.second, sb.at(kv.first)));
    tower_tensors +=
        starts_with(kv.first, "audio_tower.") || starts_with(kv.first, "audio_encoder_proj.");
  }
  CHECK(tower_tensors == 39);
  CHECK_FALSE(b.net().audio_tower->embed_positions->weight.requires_grad());
  auto la = a.loss_terms(whisper_batch()), lb = b.loss_terms(whisper_batch());
  CHECK(la[0].sum.item<double>() == lb[0].sum.item<double>());
  fs::remove_all(dir);
}

TEST_CASE("audio tower: freeze_modules groups audio_tower and audio_encoder_proj") {
  auto m = tower_model(2);
  higgs::FreezeModules::Options o;
  o.groups = {"audio_tower"};
  higgs::FreezeModules(o).apply(*m);
  size_t frozen = 0, trainable = 0;
  for (const auto& p : m->named_parameters()) {
    const bool tower = starts_with(p.key(), "audio_tower.");
    if (tower) CHECK_FALSE(p.value().requires_grad());
    if (!tower) CHECK(p.value().requires_grad());
    frozen += !p.value().requires_grad();
    trainable += p.value().requires_grad();
  }
  CHECK(frozen == 37);
  o.groups = {"audio_encoder_proj"};
  higgs::FreezeModules(o).apply(*m);
  CHECK_FALSE(m->audio_encoder_proj->linear->weight.requires_grad());
  CHECK_FALSE(m->audio_encoder_proj->linear->bias.requires_grad());
  CHECK(m->embed_tokens->weight.requires_grad());

  // A frozen tower gets no gradient; the projector (trainable again) does.
  auto fresh = tower_model(2);
  for (auto& p : fresh->audio_tower->parameters()) p.requires_grad_(false);
  auto terms = higgs::higgs_audio::compute_loss_terms(*fresh, whisper_batch(), {});
  torch::Tensor total = torch::zeros({});
  for (const auto& t : terms) total = total + t.sum;
  total.backward();
  CHECK_FALSE(fresh->audio_tower->conv1->weight.grad().defined());
  REQUIRE(fresh->audio_encoder_proj->linear->weight.grad().defined());
  CHECK(fresh->audio_encoder_proj->linear->weight.grad().abs().sum().item<double>() > 0);
}

TEST_CASE("audio tower: clear errors for batches it cannot use") {
  auto m = tower_model(3);
  // No audio_features (the collator's encode_whisper_embed is off).
  CHECK_THROWS_WITH(m->forward(two_sample_batch()),
                    doctest::Contains("collator.encode_whisper_embed=true"));
  // Windows of the wrong length (a feature extractor of another window size).
  auto b = whisper_batch();
  b.tensors["audio_features"] = torch::zeros({2, kMels, 30});
  b.tensors["audio_feature_attention_mask"] = torch::ones({2, 30}, torch::kInt32);
  CHECK_THROWS_WITH(m->forward(b), doctest::Contains("16 frames = 2 * max_source_positions 8"));
  // More windows than <|AUDIO|> placeholders.
  auto c = whisper_batch();
  c.tensors["audio_features"] = torch::zeros({3, kMels, kMelFrames});
  c.tensors["audio_feature_attention_mask"] = torch::ones({3, kMelFrames}, torch::kInt32);
  CHECK_THROWS_WITH(m->forward(c), doctest::Contains("audio_features has 3 windows"));
}

TEST_CASE("audio tower: merged layout, routing and gradient of a Whisper batch") {
  auto m = tower_model(4);
  auto batch = whisper_batch();
  auto out = m->forward(batch);
  const auto& p = out.merge;
  // Sample 0: 4 kept frames then 3 codes at the first <|AUDIO|>; sample 1: 2 frames then 5 codes.
  CHECK(p.audio_feature_dst.numel() == 4 + 2);
  CHECK(p.audio_in_mask.sum().item<int64_t>() == 4 + 3 + 2 + 5);
  CHECK(p.audio_in_discrete_codes_mask.sum().item<int64_t>() == 3 + 5);
  CHECK(p.audio_in_mask[0].slice(0, 1, 8).all().item<bool>());
  CHECK_FALSE(p.audio_in_discrete_codes_mask[0].slice(0, 1, 5).any().item<bool>());
  CHECK(p.audio_in_discrete_codes_mask[0].slice(0, 5, 8).all().item<bool>());
  CHECK(torch::equal(p.audio_feature_src, torch::tensor({0, 1, 2, 3, 4, 5}, torch::kInt64)));

  // The features reach the loss: other features, other loss; the tower gets gradient.
  auto terms = higgs::higgs_audio::compute_loss_terms(*m, batch, {});
  auto other = whisper_batch();
  other.tensors["audio_features"] = other.tensors["audio_features"] * 0.5;
  auto terms2 = higgs::higgs_audio::compute_loss_terms(*m, other, {});
  CHECK(std::abs(terms[0].sum.item<double>() - terms2[0].sum.item<double>()) > 1e-6);
  torch::Tensor total = torch::zeros({});
  for (const auto& t : terms) total = total + t.sum;
  total.backward();
  for (auto* w : {&m->audio_tower->conv1->weight, &m->audio_tower->layer_list[1]->fc2->weight,
                  &m->audio_tower->layer_list[0]->self_attn->k_proj->weight,
                  &m->audio_encoder_proj->linear->bias}) {
    REQUIRE(w->grad().defined());
    CHECK(w->grad().abs().sum().item<double>() > 0);
  }
  CHECK_FALSE(m->audio_tower->embed_positions->weight.grad().defined());
  // Frames past a window's valid length change nothing (they are masked keys and not kept).
  auto padded = whisper_batch();
  padded.tensors["audio_features"][1].slice(1, 11, kMelFrames).fill_(7.0);
  auto terms3 = higgs::higgs_audio::compute_loss_terms(*m, padded, {});
  CHECK(terms3[0].sum.item<double>() == doctest::Approx(terms[0].sum.item<double>()).epsilon(1e-6));
}

TEST_CASE("audio tower: waveform -> whisper_log_mel -> collator -> loss") {
  // A 1 s window at 16 kHz with hop 160 is 100 mel frames: a tower of 50 positions.
  Json cfgj = tower_config_json();
  cfgj["audio_encoder_config"]["max_source_positions"] = 50;
  auto m = tower_model(6, cfgj);
  higgs::WhisperLogMel::Options fo;
  fo.n_mels = kMels;
  fo.chunk_seconds = 1;
  auto fe = std::make_shared<higgs::WhisperLogMel>(fo);
  REQUIRE(fe->frames() == 100);
  higgs::HiggsAudioCollator::Options co;
  co.encode_whisper_embed = true;
  co.chunk_size_seconds = 1.0;
  higgs::HiggsAudioCollator col(co, higgs::HiggsTokenIds::from_json(cfgj, "tower config"), fe);

  // system audio-in of 1.5 s (two Whisper windows: 1 s + 0.5 s), then an assistant audio-out.
  constexpr int kBos = 294;
  const int64_t t_in = 6, t_out = 5;
  higgs::Example ex;
  ex.tensors["input_ids"] = torch::tensor(
      {5, kBos, kAudioIn, kAudioEos, 6, kOutBos, kAudioOut, kAudioEos, 7}, torch::kInt64);
  ex.tensors["label_ids"] = torch::tensor(
      {-100, -100, -100, -100, -100, kOutBos, kAudioOut, kAudioEos, 7}, torch::kInt64);
  ex.tensors["audio_ids_concat"] = torch::randint(
      0, 16, {kBooks, t_in + t_out}, at::make_generator<at::CPUGeneratorImpl>(3), torch::kInt64);
  ex.tensors["audio_ids_start"] = torch::tensor({int64_t{0}, t_in}, torch::kInt64);
  auto time = torch::arange(24000, torch::kFloat32) / 16000.0;
  auto wave =
      0.3 * torch::sin(2 * M_PI * 440.0 * time) + 0.1 * torch::sin(2 * M_PI * 1234.0 * time);
  ex.tensors["audio_waveforms_concat"] = torch::cat({wave, torch::zeros({800})});
  ex.tensors["audio_waveforms_start"] = torch::tensor({0, 24000}, torch::kInt64);
  ex.tensors["audio_sample_rate"] = torch::tensor({16000, 16000}, torch::kInt64);
  auto batch = col.collate({ex});

  REQUIRE((batch.at("audio_features").sizes() == at::IntArrayRef({2, kMels, 100})));
  auto fm = batch.at("audio_feature_attention_mask");
  CHECK(fm[0].sum().item<int64_t>() == 100);
  CHECK(fm[1].sum().item<int64_t>() == 50);  // 8000 samples, hop 160
  auto ids = batch.at("input_ids");
  CHECK(ids.eq(kAudioIn).sum().item<int64_t>() == 2);  // the placeholder repeated per window

  auto out = m->forward(batch);
  // Kept frames: window 0: 100 -> 50 -> 25; window 1: 50 -> 25 -> 12. Codes: the two windows'
  // code spans (frames [0,4) and [4,6)) each with BOS/EOS and the delay (+1 + 4 - 1 columns).
  const int64_t codes = batch.at("audio_in_ids").size(1);
  CHECK(codes == (4 + 2 + 3) + (2 + 2 + 3));
  CHECK(out.merge.audio_feature_dst.numel() == 25 + 12);
  CHECK(out.merge.audio_in_mask.sum().item<int64_t>() == 25 + 12 + codes);
  auto terms = higgs::higgs_audio::compute_loss_terms(*m, batch, {});
  REQUIRE(terms.size() == 1 + kBooks);
  CHECK(terms[0].count == 3);  // <|audio_out_bos|>, <|audio_eos|>, 7 (<|AUDIO_OUT|> is masked)
  CHECK(std::isfinite(terms[0].sum.item<double>()));
  CHECK(terms[0].sum.item<double>() / terms[0].count ==
        doctest::Approx(std::log(300.0)).epsilon(0.5));  // near-uniform at init
  torch::Tensor total = torch::zeros({});
  for (const auto& t : terms) total = total + t.sum;
  total.backward();
  REQUIRE(m->audio_tower->conv1->weight.grad().defined());
  CHECK(m->audio_tower->conv1->weight.grad().abs().sum().item<double>() > 0);
}

TEST_CASE("audio tower: audio_tower_init copies a Whisper encoder (HF names) into the tower") {
  namespace fs = std::filesystem;
  test::TempDir dir("whisper-init");
  for (const char* d : {"whisper", "whisper_cut", "model"}) fs::create_directories(dir.file(d));
  const Json cfgj = tower_config_json();
  const auto cfg = HiggsAudioConfig::from_json(cfgj);
  // A "Whisper" checkpoint: the tower of one model under HF names, plus decoder/head tensors.
  HiggsAudioModel whisper_src = tower_model(1);
  std::map<std::string, torch::Tensor> whisper;
  for (const auto& [name, t] : whisper_src->state_dict())
    if (starts_with(name, "audio_tower."))
      whisper["model.encoder." + name.substr(std::strlen("audio_tower."))] = t;
  const size_t n_tower = whisper.size();
  REQUIRE(n_tower > 10);
  whisper["model.decoder.embed_tokens.weight"] = torch::ones({5, 4});
  whisper["proj_out.weight"] = torch::ones({5, 4});
  higgs_audio::save_checkpoint_weights(dir.file("whisper"), whisper);
  // A Higgs checkpoint without tower or projector weights (as the released one).
  HiggsAudioModel base = tower_model(2);
  std::map<std::string, torch::Tensor> higgs_w;
  for (const auto& [name, t] : base->state_dict())
    if (!starts_with(name, "audio_tower.") && !starts_with(name, "audio_encoder_proj."))
      higgs_w[name] = t;
  higgs_audio::save_checkpoint_weights(dir.file("model"), higgs_w);
  test::write_text(dir.file("model/config.json"), cfgj.dump());

  higgs::HiggsAudioModel::Options o;
  o.path = dir.file("model");
  o.audio_tower_init = dir.file("whisper");
  higgs::HiggsAudioModel m(o, higgs::RunSettings{5, "cpu"});
  HiggsAudioModel random5(cfg);
  random5->init_weights(5, cfg.audio_encoder_config.init_std);
  const auto src = whisper_src->state_dict(), b = base->state_dict(), r = random5->state_dict();
  size_t tower = 0, proj = 0, rest = 0;
  for (const auto& [name, t] : m.net().state_dict()) {
    if (starts_with(name, "audio_tower.")) {
      CHECK_MESSAGE(torch::equal(t, src.at(name)), name);  // from the Whisper encoder
      ++tower;
    } else if (starts_with(name, "audio_encoder_proj.")) {
      CHECK_MESSAGE(torch::equal(t, r.at(name)), name);  // seeded random start
      ++proj;
    } else {
      CHECK_MESSAGE(torch::equal(t, b.at(name)), name);  // from the Higgs checkpoint
      ++rest;
    }
  }
  CHECK(tower == n_tower);
  CHECK(proj > 0);
  CHECK(rest == higgs_w.size());

  // Without audio_tower_init the same checkpoint is incomplete: a strict error.
  higgs::HiggsAudioModel::Options plain = o;
  plain.audio_tower_init.clear();
  const std::string missing = "missing (" + std::to_string(n_tower + proj) + ")";
  CHECK_THROWS_WITH(higgs::HiggsAudioModel(plain, higgs::RunSettings{5, "cpu"}),
                    doctest::Contains(missing.c_str()));
  // A Whisper checkpoint that lacks a tower tensor names it.
  whisper.erase("model.encoder.layer_norm.weight");
  higgs_audio::save_checkpoint_weights(dir.file("whisper_cut"), whisper);
  o.audio_tower_init = dir.file("whisper_cut");
  CHECK_THROWS_WITH(higgs::HiggsAudioModel(o, higgs::RunSettings{5, "cpu"}),
                    doctest::Contains("missing (1): audio_tower.layer_norm.weight"));
  // No tower in config.json: a clear error.
  Json no_tower = cfgj;
  no_tower["skip_audio_tower"] = true;
  test::write_text(dir.file("model/config.json"), no_tower.dump());
  o.audio_tower_init = dir.file("whisper");
  CHECK_THROWS_WITH(higgs::HiggsAudioModel(o, higgs::RunSettings{5, "cpu"}),
                    doctest::Contains("skip_audio_tower: true"));
}

}  // namespace higgs::tower_test
