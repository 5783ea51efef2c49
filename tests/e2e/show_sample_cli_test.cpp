// `higgs-run show-sample` and `higgs-run tokenize --tokenizer RECIPE` on the demo recipe, with the
// demo assets the e2e demo test makes (build/test_tmp/demo-assets, made here when missing).
// clang-format off
#include <torch/torch.h>  // before doctest: glog's CHECK would replace doctest's
#include <doctest/doctest.h>
// clang-format on

#include <cmath>
#include <filesystem>
#include <fstream>

#include "components/text/tokenize_command.h"
#include "framework/config/config.h"
#include "tests/unit/tensor_io/test_util.h"

using higgs::Json;
using higgs::tensor_io_test::read_bytes;
using higgs::tensor_io_test::run_command;
using higgs::tensor_io_test::TempDir;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

// The demo assets, made once under a lock by tests/e2e/demo_assets.sh (~10 s the first time).
std::string demo_assets() {
  const std::string src = HIGGS_SOURCE_DIR, build = HIGGS_BINARY_DIR;
  auto r =
      run_command("bash " + q(src + "/tests/e2e/demo_assets.sh") + " " + q(src) + " " + q(build));
  REQUIRE_MESSAGE(r.status == 0, r.output);
  std::string demo = r.output;
  while (!demo.empty() && (demo.back() == '\n' || demo.back() == '\r')) demo.pop_back();
  if (auto nl = demo.rfind('\n'); nl != std::string::npos) demo = demo.substr(nl + 1);
  return demo;
}

std::string recipe() {
  return std::string(HIGGS_SOURCE_DIR) + "/recipes/demo/tiny_zero_shot.jsonnet";
}

}  // namespace

TEST_CASE("show-sample CLI: the demo's zero-shot sample, reference untrained, target trained") {
  const std::string demo = demo_assets(), run = HIGGS_RUN_PATH;
  TempDir tmp;
  const std::string base =
      run + " show-sample " + q(recipe()) + " --tla-str demo_dir=" + q(demo) + " --split eval";
  const std::string cmd = base + " --index 0";
  auto r = run_command("(" + cmd + " --format json > " + q(tmp.file("s.json")) + ")");
  REQUIRE_MESSAGE(r.status == 0, r.output);
  Json v = Json::parse(read_bytes(tmp.file("s.json")));

  // Independent: the same tokenizer opened from its file, and the first line of eval.jsonl.
  auto tok = higgs::open_text_tokenizer(demo + "/data/spm.model");
  std::ifstream in(demo + "/data/eval.jsonl");
  std::string line;
  std::getline(in, line);
  Json sample = Json::parse(line);
  const std::string ref_text = sample["messages"][1]["content"],
                    target_text = sample["messages"][3]["content"];

  const Json& segs = v["segments"];
  const Json& pos = v["positions"];
  REQUIRE(segs.size() == 15);  // 5 turns: header, content, end
  CHECK(segs[4]["text"] == ref_text);
  CHECK(segs[4]["ids"] == tok->encode(ref_text));
  CHECK(segs[10]["text"] == target_text);
  size_t n = 0;
  for (const Json& s : segs) n += s["ids"].size();
  CHECK(pos.size() == n);
  int64_t labelled = 0;
  for (size_t i = 0; i < pos.size(); ++i) {
    CHECK(pos[i]["index"] == i);
    CHECK(pos[i]["piece"] == tok->id_to_token(pos[i]["id"]));
    const Json& seg = segs[pos[i]["segment"].get<size_t>()];
    // start_index is 4: only the final assistant turn past its header is labelled, label == id.
    const bool trained = seg["turn"] == 4 && seg["kind"] != "header";
    CHECK(pos[i]["label"] == (trained ? pos[i]["id"] : Json(-100)));
    labelled += trained;
  }
  CHECK(v["num_labelled"] == labelled);

  const Json& a = v["audio"];
  REQUIRE(a.size() == 2);
  CHECK(a[0]["kind"] == "out");
  CHECK(a[0]["trained"] == false);
  CHECK(a[1]["kind"] == "out");
  CHECK(a[1]["trained"] == true);
  Json model = Json::parse(read_bytes(demo + "/model/config.json"));
  for (int k = 0; k < 2; ++k) {
    CAPTURE(k);
    CHECK(a[k]["codebooks"] == model["audio_num_codebooks"]);
    // 24 kHz / hop 960 = 25 frames a second of audio (duration read by soundfile).
    auto d =
        run_command(std::string(HIGGS_PYTHON) +
                    " -c 'import soundfile,sys; print(soundfile.info(sys.argv[1]).duration)' " +
                    q(a[k]["audio_path"].get<std::string>()));
    REQUIRE_MESSAGE(d.status == 0, d.output);
    const double expected = std::stod(d.output) * 25.0;
    CHECK(std::abs(a[k]["frames"].get<double>() - expected) <= 2.0);
  }

  // Text form (not a terminal: no colour) names the reference as unlabelled.
  r = run_command("(" + cmd + " > " + q(tmp.file("s.txt")) + ")");
  REQUIRE_MESSAGE(r.status == 0, r.output);
  const std::string t = read_bytes(tmp.file("s.txt"));
  CHECK(t.find('\033') == std::string::npos);
  CHECK(t.find("eval[0] of ") != std::string::npos);
  CHECK(t.find("audio 0 (audio-out): " + a[0]["frames"].dump() +
               " frames x 8 codebooks, [no label]") != std::string::npos);
  CHECK(t.find("audio 1 (audio-out): " + a[1]["frames"].dump() +
               " frames x 8 codebooks, trained") != std::string::npos);
  CHECK(t.find(Json(ref_text).dump()) < t.find(Json(target_text).dump()));

  // Errors: an index past the end names the dataset size; a split the recipe lacks.
  r = run_command(base + " --index 999");
  CHECK(r.status == 1);
  CHECK(r.output.find("index 999 is out of range: the dataset has") != std::string::npos);
  std::ofstream(tmp.file("train_only.json")) << Json{
      {"text_tokenizer", {{"type", "sentencepiece"}, {"path", demo + "/data/spm.model"}}},
      {"audio_tokenizer", {{"type", "higgs_audio"}, {"path", demo + "/audio_tokenizer"}}},
      {"train_data",
       {{"type", "zero_shot_voice_cloning"},
        {"path", demo + "/data/train.jsonl"}}}}.dump();
  r = run_command(run + " show-sample " + q(tmp.file("train_only.json")) + " --split eval");
  CHECK(r.status == 1);
  CHECK_MESSAGE(r.output.find("has no eval_data") != std::string::npos, r.output);
}

TEST_CASE("tokenize CLI: --tokenizer RECIPE uses the recipe's text_tokenizer") {
  const std::string demo = demo_assets(), run = HIGGS_RUN_PATH;
  TempDir tmp;
  const std::string text = "hello world<|eot_id|>";
  auto r = run_command("(" + run + " tokenize --tokenizer " + q(recipe()) +
                       " --tla-str demo_dir=" + q(demo) + " --text " + q(text) +
                       " --format json > " + q(tmp.file("ids.json")) + ")");
  REQUIRE_MESSAGE(r.status == 0, r.output);
  auto tok = higgs::open_text_tokenizer(demo + "/data/spm.model");
  CHECK(Json::parse(read_bytes(tmp.file("ids.json"))) == Json(tok->encode(text)));

  // A .json recipe is told apart from a tokenizer.json by its text_tokenizer key.
  std::ofstream(tmp.file("r.json"))
      << Json{{"text_tokenizer", {{"type", "sentencepiece"}, {"path", demo + "/data/spm.model"}}}}
             .dump();
  CHECK(higgs::is_recipe_path(tmp.file("r.json")));
  CHECK_FALSE(higgs::is_recipe_path(demo + "/data/spm.model"));
  r = run_command("(" + run + " tokenize --tokenizer " + q(tmp.file("r.json")) + " --text " +
                  q(text) + " --format json > " + q(tmp.file("ids2.json")) + ")");
  REQUIRE_MESSAGE(r.status == 0, r.output);
  CHECK(Json::parse(read_bytes(tmp.file("ids2.json"))) == Json(tok->encode(text)));
}
