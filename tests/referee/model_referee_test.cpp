// Referee 3: Boson's HiggsAudioModel (boson-multimodal 0.1.1) built from a tiny random config
// (DualFFN and fast-forward layers, GQA, llama3 RoPE scaling; audio tower off and on) and saved
// with save_pretrained, loaded by ours: text and audio logits within 1e-5 relative in fp32 on a
// batch with audio-in and audio-out, a Whisper batch and a batch with no audio; our loss terms
// against the shifted cross-entropies computed from Boson's logits, and the mean and sum
// codebook reductions. And peft's LoRA on Boson's model against ours: gradients, one AdamW step.
#include <torch/torch.h>

#include <doctest/doctest.h>

#include "components/adapters/lora.h"
#include "components/models/higgs_audio/higgs_audio.h"
#include "components/models/higgs_audio/loss.h"
#include "components/models/higgs_audio/transformers_port.h"
#include "components/optim/adamw.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/util/fs.h"
#include "tests/referee/referee_support.h"
#include "tests/unit/models/higgs_audio_fixture.h"

namespace model_referee {

using namespace higgs_referee;
using higgs::HiggsAudioConfig;
using higgs::higgs_audio::HiggsAudioModel;

// The tiny config of the released architecture with 3 layers: 0 and 2 DualFFN, 1 fast-forward.
Json referee_config(Json cfg) {
  cfg["text_config"].erase("some_unknown_key");
  cfg["text_config"]["num_hidden_layers"] = 3;
  cfg["audio_dual_ffn_layers"] = Json::array({0, 2});
  return cfg;
}

// Two text-only rows (the second padded), labels on all but the first and the padding.
higgs::Batch text_only_batch() {
  higgs::Batch text;
  auto ids =
      torch::tensor({{5, 6, 7, 8, 9, 10, 11, 12}, {13, 14, 15, 16, 17, 18, 1, 1}}, torch::kLong);
  auto labels = ids.clone();
  labels.index_put_({1, torch::indexing::Slice(6)}, -100);
  labels.index_put_({torch::indexing::Slice(), 0}, -100);
  text.tensors = {
      {"input_ids", ids}, {"attention_mask", ids.ne(1).to(torch::kLong)}, {"label_ids", labels}};
  text.infos.resize(2);
  return text;
}

// Boson's model, saved and loaded back by ours.
HiggsAudioModel build_and_load(const Json& cfg, const fs::path& dir) {
  const std::string model_dir = build_boson_model(cfg, dir, 5);
  HiggsAudioModel model(HiggsAudioConfig::from_file(model_dir + "/config.json"));
  higgs::higgs_audio::load_checkpoint_weights(
      model_dir, [&](const std::vector<std::string>& names,
                     const std::function<at::Tensor(const std::string&)>& fetch) {
        model->load_state_dict(names, fetch, model_dir);
      });
  model->eval();
  return model;
}

double rel_diff(const at::Tensor& a, const at::Tensor& b) {
  return ((a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max() /
          b.to(torch::kDouble).abs().max())
      .item<double>();
}

// Our forward and loss on `batch` against Boson's forward on the same batch and weights.
void compare(HiggsAudioModel& model, const higgs::Batch& batch, const fs::path& dir,
             const std::string& tag, const std::string& tower_attention = "eager") {
  CAPTURE(tag);
  std::map<std::string, at::Tensor> fields(batch.tensors.begin(), batch.tensors.end());
  higgs::tensor_io::save_safetensors((dir / (tag + ".batch.safetensors")).string(), fields);
  run_referee("boson_model.py", "forward " + quote((dir / "model").string()) + " " +
                                    quote((dir / (tag + ".batch.safetensors")).string()) + " " +
                                    quote((dir / (tag + ".boson.safetensors")).string()) + " " +
                                    tower_attention);
  auto boson =
      higgs::tensor_io::SafetensorsFile::open((dir / (tag + ".boson.safetensors")).string());

  torch::NoGradGuard no_grad;
  auto out = model->forward(batch);
  at::Tensor want = boson.tensor("logits");
  REQUIRE(out.logits.sizes() == want.sizes());
  CHECK(torch::equal(out.merge.labels, boson.tensor("expanded_labels")));
  CHECK(torch::equal(out.merge.attention_mask.to(torch::kLong), boson.tensor("attention_mask")));
  CHECK(torch::equal(out.merge.audio_out_mask.to(torch::kLong), boson.tensor("audio_out_mask")));
  // Padded positions are compared too: the whole (B, L', vocab) tensor.
  CHECK(rel_diff(out.logits, want) < 1e-5);
  CHECK(want.abs().max().item<double>() > 0.5);  // not trivially small
  if (boson.contains("audio_logits") && boson.tensor("audio_logits").numel() > 0) {
    REQUIRE(out.audio_logits.defined());
    REQUIRE(out.audio_logits.sizes() == boson.tensor("audio_logits").sizes());
    CHECK(rel_diff(out.audio_logits, boson.tensor("audio_logits")) < 1e-5);
  } else {
    CHECK((!out.audio_logits.defined() || out.audio_logits.numel() == 0));
  }
  MESSAGE(tag << ": logits " << rel_diff(out.logits, want) << " relative from Boson's");

  // Loss terms: sums and counts, then both codebook reductions.
  higgs::higgs_audio::LossOptions lo;
  auto terms = higgs::higgs_audio::compute_loss_terms(*model, batch, lo);
  const int64_t K = model->config().audio_num_codebooks;
  double ours_mean = 0, ours_sum = 0, boson_mean = 0, boson_sum = 0;
  for (const auto& t : terms) {
    CAPTURE(t.name);
    if (!boson.contains(t.name + "_sum")) {
      CHECK(t.count == 0);
      continue;
    }
    const double want_sum = boson.tensor(t.name + "_sum").item<double>();
    const int64_t want_count = boson.tensor(t.name + "_count").item<int64_t>();
    CHECK(t.count == want_count);
    CHECK(t.sum.item<double>() == doctest::Approx(want_sum).epsilon(1e-5));
    if (want_count == 0) continue;
    const bool text = t.name == "text";
    const double ours = t.sum.item<double>() / double(t.count), ref = want_sum / double(want_count);
    ours_mean += text ? ours : ours / double(K);
    boson_mean += text ? ref : ref / double(K);
    ours_sum += ours;
    boson_sum += ref;
  }
  CHECK(ours_mean == doctest::Approx(boson_mean).epsilon(1e-5));
  CHECK(ours_sum == doctest::Approx(boson_sum).epsilon(1e-5));
}

TEST_CASE("referee: Boson's HiggsAudioModel saved with save_pretrained gives our logits and loss") {
  fs::path dir = work_dir("model");
  HiggsAudioModel model = build_and_load(referee_config(higgs_test::tiny_config_json()), dir);
  compare(model, higgs_test::two_sample_batch(), dir, "audio_in_out");
  compare(model, text_only_batch(), dir, "no_audio");  // no audio tensors at all
}

TEST_CASE(
    "referee: Boson's HiggsAudioModel with plain (not fast-forward) text layers gives our logits "
    "and loss") {
  // audio_adapter_type dual_ffn: layer 1 is a plain Llama layer that audio positions go through
  // too.
  fs::path dir = work_dir("model-plain");
  HiggsAudioModel model =
      build_and_load(referee_config(higgs_test::tiny_config_json("dual_ffn")), dir);
  compare(model, higgs_test::two_sample_batch(), dir, "plain_audio_in_out");
  compare(model, text_only_batch(), dir, "plain_no_audio");
}

TEST_CASE("referee: Boson's HiggsAudioModel with a Whisper audio tower gives our logits and loss") {
  fs::path dir = work_dir("model-tower");
  HiggsAudioModel model = build_and_load(referee_config(higgs_test::tower_config_json()), dir);
  higgs::Batch full = higgs_test::whisper_batch();
  full.tensors["audio_feature_attention_mask"].fill_(1);
  compare(model, full, dir, "whisper_full_windows");
  // A window with 9 valid frames of 16: ours masks the padded frames, as Boson's tower does with
  // transformers' SDPA attention; its default eager attention adds the boolean mask to the
  // scores instead (docs/fidelity.md), so the comparison is with the SDPA tower.
  compare(model, higgs_test::whisper_batch(), dir, "whisper_partial_window", "sdpa");
  // model.audio_tower_padding "reference_eager" reproduces Boson's default (eager) tower.
  model->audio_tower->reference_eager_padding = true;
  compare(model, higgs_test::whisper_batch(), dir, "whisper_partial_window_eager", "eager");
}

}  // namespace model_referee

namespace lora_referee {

using namespace higgs_referee;
using higgs::ParameterList;

// peft's LoRA (same r, alpha, targets and initial A/B) on Boson's model against ours on the same
// weights: the loss, every LoRA gradient within 1e-4 relative, and one AdamW step.
TEST_CASE("referee: our LoRA gradients and AdamW step equal peft's on Boson's model") {
  fs::path dir = work_dir("lora");
  higgs::HiggsAudioModel::Options mo;
  mo.path =
      build_boson_model(model_referee::referee_config(higgs_test::tiny_config_json()), dir, 9);
  higgs::HiggsAudioModel model(mo, higgs::RunSettings{0, "cpu"});

  higgs::LoraAdapter::Options lo;
  lo.r = 4;
  lo.alpha = 8;
  lo.dropout = 0.0;
  // Attention and MLP projections; down_proj also names the DualFFN layers' audio_mlp.down_proj.
  lo.target_modules = {"q_proj", "v_proj", "down_proj"};
  higgs::LoraAdapter lora(lo);
  lora.attach(model);
  std::map<std::string, at::Tensor> init;
  {
    torch::NoGradGuard no_grad;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
    for (auto& p : lora.parameters()) {
      p.tensor.copy_(torch::randn(p.tensor.sizes(), gen) * 0.1);  // B != 0: A gets gradients too
      init[p.name] = p.tensor.detach().clone();
    }
  }
  higgs::Batch batch = higgs_test::two_sample_batch();
  std::map<std::string, at::Tensor> fields(batch.tensors.begin(), batch.tensors.end());
  higgs::tensor_io::save_safetensors((dir / "batch.safetensors").string(), fields);
  higgs::tensor_io::save_safetensors((dir / "lora.safetensors").string(), init);
  higgs::AdamW::Options ao;
  ao.lr = 1e-3;
  ao.weight_decay = 0.01;
  Json spec = {{"r", lo.r},
               {"alpha", lo.alpha},
               {"target_modules", lo.target_modules},
               {"lr", ao.lr},
               {"betas", ao.betas},
               {"eps", ao.eps},
               {"weight_decay", ao.weight_decay}};
  std::ofstream(dir / "spec.json") << spec.dump();
  run_referee("boson_lora.py", quote((dir / "model").string()) + " " +
                                   quote((dir / "batch.safetensors").string()) + " " +
                                   quote((dir / "lora.safetensors").string()) + " " +
                                   quote((dir / "spec.json").string()) + " " +
                                   quote((dir / "peft.safetensors").string()));
  auto peft = higgs::tensor_io::SafetensorsFile::open((dir / "peft.safetensors").string());

  model.module().eval();
  auto terms = model.loss_terms(batch);
  at::Tensor loss = terms[0].sum / double(terms[0].count);
  const double K = double(terms.size() - 1);
  for (size_t i = 1; i < terms.size(); ++i) loss = loss + terms[i].sum / double(terms[i].count) / K;
  CHECK(loss.item<double>() == doctest::Approx(peft.tensor("loss").item<double>()).epsilon(1e-6));
  loss.backward();
  ParameterList params = lora.parameters();
  double worst = 0;
  for (const auto& p : params) {
    CAPTURE(p.name);
    REQUIRE(peft.contains("grad." + p.name));
    at::Tensor want = peft.tensor("grad." + p.name), got = p.tensor.grad();
    REQUIRE(got.defined());
    double rel = ((got - want).abs().max() / want.abs().max()).item<double>();
    CHECK(rel < 1e-4);
    worst = std::max(worst, rel);
  }
  higgs::AdamW opt(ao, params);
  opt.step(1.0);
  double worst_step = 0;
  for (const auto& p : params) {
    CAPTURE(p.name);
    at::Tensor want = peft.tensor("step." + p.name);
    double diff = (p.tensor.detach() - want).abs().max().item<double>();
    CHECK(diff < 1e-6);
    worst_step = std::max(worst_step, diff);
  }
  MESSAGE(params.size() << " LoRA tensors: gradients within " << worst
                        << " relative of peft's, after one AdamW "
                        << "step within " << worst_step);
}

}  // namespace lora_referee

namespace full_grads_referee {

using namespace higgs_referee;

// Full fine-tuning on a batch with audio and on one without: every parameter that gets a
// gradient in Boson's model gets an equal one in ours (within 1e-4 of its largest entry), and
// the ones that get none (AdamW skips them) get none in ours. Without audio the DualFFN layers'
// audio norms and audio_mlp get zero gradients there (the reference always runs that path).
void compare_grads(const higgs::Batch& batch, const fs::path& dir, const std::string& tag) {
  CAPTURE(tag);
  std::map<std::string, at::Tensor> fields(batch.tensors.begin(), batch.tensors.end());
  higgs::tensor_io::save_safetensors((dir / (tag + ".batch.safetensors")).string(), fields);
  run_referee("boson_model.py", "grads " + quote((dir / "model").string()) + " " +
                                    quote((dir / (tag + ".batch.safetensors")).string()) + " " +
                                    quote((dir / (tag + ".grads.safetensors")).string()));
  auto boson =
      higgs::tensor_io::SafetensorsFile::open((dir / (tag + ".grads.safetensors")).string());
  higgs::HiggsAudioModel::Options mo;
  mo.path = (dir / "model").string();
  higgs::HiggsAudioModel model(mo, higgs::RunSettings{0, "cpu"});
  model.module().eval();
  auto terms = model.loss_terms(batch);
  at::Tensor loss = terms[0].sum / double(terms[0].count);
  const double K = double(terms.size() - 1);
  for (size_t i = 1; i < terms.size(); ++i)
    if (terms[i].count > 0) loss = loss + terms[i].sum / double(terms[i].count) / K;
  CHECK(loss.item<double>() == doctest::Approx(boson.tensor("loss").item<double>()).epsilon(1e-6));
  loss.backward();
  int64_t with = 0, zero = 0, none = 0;
  for (const auto& p : model.module().named_parameters(true)) {
    CAPTURE(p.key());
    const at::Tensor& g = p.value().grad();
    if (boson.contains("none." + p.key())) {
      CHECK_FALSE(g.defined());
      ++none;
      continue;
    }
    REQUIRE(boson.contains("grad." + p.key()));
    REQUIRE(g.defined());
    at::Tensor want = boson.tensor("grad." + p.key());
    const double scale = std::max(want.abs().max().item<double>(), 1e-12);
    CHECK((g - want).abs().max().item<double>() / scale < 1e-4);
    if (want.abs().max().item<double>() == 0) {
      CHECK(g.abs().max().item<double>() == 0);
      ++zero;
    } else {
      ++with;
    }
  }
  MESSAGE(tag << ": " << with << " gradients equal to Boson's, " << zero << " zero in both, "
              << none << " none in both");
}

TEST_CASE("referee: full fine-tuning gradients equal Boson's, zero and none where its are") {
  fs::path dir = work_dir("full-grads");
  build_boson_model(model_referee::referee_config(higgs_test::tiny_config_json()), dir, 13);
  compare_grads(higgs_test::two_sample_batch(), dir, "audio");
  compare_grads(model_referee::text_only_batch(), dir, "no_audio");
}

}  // namespace full_grads_referee

namespace transformers_port_referee {

using namespace higgs_referee;

// The Transformers port's layout (transformers 5.24.0, HiggsAudioV2ForConditionalGeneration): a
// Boson checkpoint with every layer DualFFN, loaded by ours, written in the port's layout with the
// functions `higgs-run export --layout transformers` uses, and loaded by the port: its text and
// audio logits equal ours on a sequence with audio-in and audio-out codes. Loaded back by ours
// from the port's layout: the same logits bit for bit.
TEST_CASE("referee: the Transformers higgs_audio_v2 port loads our export and gives our logits") {
  fs::path dir = work_dir("transformers-port");
  Json cfg = model_referee::referee_config(higgs_test::tiny_config_json());
  cfg["audio_dual_ffn_layers"] = Json::array({0, 1, 2});  // the port has only DualFFN layers
  cfg["audio_codebook_size"] = 16;
  higgs::HiggsAudioModel::Options mo;
  mo.path = build_boson_model(cfg, dir, 21);
  higgs::HiggsAudioModel model(mo, higgs::RunSettings{0, "cpu"});
  model.module().eval();

  const fs::path port = dir / "port";
  fs::create_directories(port);
  higgs::write_file_atomic((port / "config.json").string(),
                           higgs::transformers_port_config(model.model_config()).dump(2));
  std::map<std::string, at::Tensor> tensors;
  for (const auto& [name, t] : model.net().state_dict())
    tensors[higgs::transformers_port_tensor_name(name)] = t;
  higgs::tensor_io::save_safetensors((port / "model.safetensors").string(), tensors);

  higgs::Batch batch = higgs_test::one_sample_batch();
  torch::NoGradGuard no_grad;
  auto ours = model.net().forward(batch);
  // The port's input: the expanded sequence without padding, every audio position (audio-in
  // codes included, which the port routes like audio-out) as <|AUDIO_OUT|>, and their codes.
  const auto& m = ours.merge;
  at::Tensor real = m.attention_mask[0].to(torch::kBool);
  at::Tensor ids = m.input_ids[0].index({real}).clone();
  at::Tensor ain = m.audio_in_discrete_codes_mask[0].index({real}),
             aout = m.audio_out_mask[0].index({real});
  std::vector<at::Tensor> cols;
  int64_t in_col = 0, out_col = 0;
  for (int64_t p = 0; p < ids.size(0); ++p) {
    if (ain[p].item<bool>()) cols.push_back(batch.at("audio_in_ids").select(1, in_col++));
    if (aout[p].item<bool>()) cols.push_back(batch.at("audio_out_ids").select(1, out_col++));
  }
  ids.masked_fill_(ain.logical_or(aout), model.model_config().audio_out_token_idx);
  std::map<std::string, at::Tensor> input = {
      {"input_ids", ids.unsqueeze(0).contiguous()},
      {"audio_input_ids", torch::stack(cols).unsqueeze(0).contiguous()}};
  higgs::tensor_io::save_safetensors((dir / "input.safetensors").string(), input);
  run_referee("hf_port_forward.py",
              quote(port.string()) + " " + quote((dir / "input.safetensors").string()) + " " +
                  quote((dir / "hf.safetensors").string()),
              referee_hf_python());
  auto hf = higgs::tensor_io::SafetensorsFile::open((dir / "hf.safetensors").string());
  at::Tensor text = ours.logits[0].index({real});
  at::Tensor want_text = hf.tensor("text_logits");
  REQUIRE(text.sizes() == want_text.sizes());
  const double text_rel = ((text - want_text).abs().max() / want_text.abs().max()).item<double>();
  CHECK(text_rel < 1e-5);
  const int64_t k = model.model_config().audio_num_codebooks,
                rows = model.model_config().codebook_rows();
  at::Tensor want_audio = hf.tensor("audio_logits").index({aout}).view({-1, k, rows});
  REQUIRE(ours.audio_logits.sizes() == want_audio.sizes());
  const double audio_rel =
      ((ours.audio_logits - want_audio).abs().max() / want_audio.abs().max()).item<double>();
  CHECK(audio_rel < 1e-5);

  higgs::HiggsAudioModel::Options po;
  po.path = port.string();
  higgs::HiggsAudioModel back(po, higgs::RunSettings{0, "cpu"});
  back.module().eval();
  auto again = back.net().forward(batch);
  CHECK(torch::equal(again.logits, ours.logits));
  CHECK(torch::equal(again.audio_logits, ours.audio_logits));
  MESSAGE("Transformers port: text logits "
          << text_rel << ", audio logits " << audio_rel
          << " relative from ours; loaded back from its layout: equal");
}

}  // namespace transformers_port_referee
