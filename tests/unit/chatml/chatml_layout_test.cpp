// clang-format off
#include <torch/torch.h>  // before doctest: glog's CHECK would replace doctest's
#include <doctest/doctest.h>
// clang-format on

#include "components/chatml/chatml_layout.h"

#include <filesystem>
#include <fstream>

#include "components/chatml/higgs_token_ids.h"
#include "tests/unit/chatml/fake_text_tokenizer.h"
using higgs::ChatMLContent;
using higgs::ChatMLMessage;
using higgs::ChatMLSample;

namespace {

ChatMLMessage msg(std::string role, std::vector<ChatMLContent> c) {
  return ChatMLMessage{std::move(role), std::move(c), std::nullopt};
}
ChatMLContent text(std::string t) { return ChatMLContent::make_text(std::move(t)); }
ChatMLContent audio(std::string url) {
  return ChatMLContent::make_audio(std::move(url), "/d/" + url);
}

// Labels as a string: labelled tokens decoded, each -100 written as '_'.
std::string label_string(const std::vector<int64_t>& labels, const higgs::TextTokenizer& tok) {
  std::string s;
  for (int64_t l : labels) s += l == -100 ? std::string("_") : tok.id_to_token(l);
  return s;
}

ChatMLSample zero_shot_sample() {
  ChatMLSample s;
  s.messages = {
      msg("system", {text("Generate audio following instruction.\n\n<|scene_desc_start|>\nAudio is "
                          "recorded from a quiet room.\n<|scene_desc_end|>")}),
      msg("user", {text("REF words")}),
      msg("assistant", {audio("ref.wav")}),
      msg("user", {text("TARGET words")}),
      msg("assistant", {audio("tgt.wav")}),
  };
  s.start_index = 4;
  s.speaker = "spk_001";
  s.source = "z.jsonl:7";
  return s;
}

}  // namespace

TEST_CASE("chatml_layout: zero-shot sample gives the exact token string of generation.py") {
  higgs::test::FakeTextTokenizer tok;
  auto t = higgs::prepare_chatml_sample(zero_shot_sample(), tok);
  // Spec 6.1's prompt text, followed by the trained target turn.
  const std::string prompt =
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nGenerate audio following "
      "instruction.\n\n<|scene_desc_start|>\nAudio is recorded from a quiet "
      "room.\n<|scene_desc_end|>"
      "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nREF words<|eot_id|><|start_header_id|>"
      "assistant<|end_header_id|>\n\n<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|><|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nTARGET words<|eot_id|><|start_header_id|>"
      "assistant<|end_header_id|>\n\n";
  CHECK(tok.decode(t.input_ids) ==
        prompt + "<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|><|eot_id|>");
  // Only the target audio turn is labelled: the reference audio turn (index 2) carries none.
  REQUIRE(t.label_ids.size() == t.input_ids.size());
  const size_t n = t.input_ids.size();
  for (size_t i = 0; i + 4 < n; ++i) CHECK(t.label_ids[i] == -100);
  CHECK(std::vector<int64_t>(t.label_ids.end() - 4, t.label_ids.end()) ==
        std::vector<int64_t>{128013, 128016, 128012, 128009});
  // Two <|AUDIO_OUT|> placeholders, audios in order, speaker from the sample.
  CHECK(std::count(t.input_ids.begin(), t.input_ids.end(), 128016) == 2);
  CHECK(std::count(t.input_ids.begin(), t.input_ids.end(), 128015) == 0);
  REQUIRE(t.audio_contents.size() == 2);
  CHECK(t.audio_contents[0].audio_path == "/d/ref.wav");
  CHECK(t.audio_contents[1].audio_path == "/d/tgt.wav");
  CHECK(t.speaker.value() == "spk_001");
  // Every piece was encoded on its own.
  std::vector<std::string> pieces = {
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n",
      zero_shot_sample().messages[0].content[0].text,
      "<|eot_id|>",
      "<|start_header_id|>user<|end_header_id|>\n\n",
      "REF words",
      "<|eot_id|>",
      "<|start_header_id|>assistant<|end_header_id|>\n\n",
      "<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|>",
      "<|eot_id|>",
      "<|start_header_id|>user<|end_header_id|>\n\n",
      "TARGET words",
      "<|eot_id|>",
      "<|start_header_id|>assistant<|end_header_id|>\n\n",
      "<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|>",
      "<|eot_id|>"};
  CHECK(tok.calls == pieces);
}

TEST_CASE("chatml_layout: label rules without start_index, eom, recipient, audio-in, other roles") {
  higgs::test::FakeTextTokenizer tok;
  ChatMLSample s;
  s.messages = {
      msg("user", {text("u"), audio("in.wav")}),
      msg("assistant", {text("a")}),
      msg("assistant", {text("b"), audio("out.wav")}),
      msg("tool", {audio("x.wav")}),
  };
  s.messages[2].recipient = "r";
  s.misc = {{"speaker", "from_misc"}};
  auto t = higgs::prepare_chatml_sample(s, tok);
  CHECK(
      tok.decode(t.input_ids) ==
      "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nu<|audio_bos|><|AUDIO|>"
      "<|audio_eos|><|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\na<|eom_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\nr<|recipient|>b<|audio_out_bos|>"
      "<|AUDIO_OUT|><|audio_eos|><|eot_id|><|start_header_id|>tool<|end_header_id|>\n\n<|eot_id|>");
  // Byte tokens: a header is 2 specials (3 in turn 0) + the role's letters + "\n\n".
  auto u = [](size_t n) { return std::string(n, '_'); };
  CHECK(label_string(t.label_ids, tok) ==
        u(3 + 4 + 2) + u(1) + u(3) + u(1) +  // header 0, "u", audio-in, eot
            u(2 + 9 + 2) + "a<|eom_id|>" + u(2 + 9 + 2) +
            "r<|recipient|>b<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|><|eot_id|>" + u(2 + 4 + 2) +
            u(1));
  CHECK(t.audio_contents.size() == 3);  // the tool audio is listed without a placeholder
  CHECK(t.speaker.value() == "from_misc");

  // start_index masks earlier assistant turns, recipient stays labelled (as in the reference).
  s.start_index = 3;
  auto m = higgs::prepare_chatml_sample(s, tok);
  size_t labelled = 0;
  for (size_t i = 0; i < m.label_ids.size(); ++i)
    if (m.label_ids[i] != -100) ++labelled;
  CHECK(labelled == 2);  // "r<|recipient|>"
  s.messages[0].recipient = "no";
  CHECK_THROWS_AS(higgs::prepare_chatml_sample(s, tok), higgs::ChatMLError);
}

TEST_CASE("chatml_layout: make_chatml_example builds the dataset-sample tensors") {
  higgs::test::FakeTextTokenizer tok;
  auto t = higgs::prepare_chatml_sample(zero_shot_sample(), tok);
  at::Tensor c0 = torch::arange(8 * 3, torch::kLong).reshape({8, 3});
  at::Tensor c1 = torch::arange(8 * 4, torch::kLong).reshape({8, 4}) + 100;
  auto ex = higgs::make_chatml_example(t, {c0, c1});
  CHECK(ex.tensors.at("input_ids").size(0) == static_cast<int64_t>(t.input_ids.size()));
  CHECK((ex.tensors.at("audio_ids_concat").sizes() == at::IntArrayRef({8, 7})));
  CHECK(torch::equal(ex.tensors.at("audio_ids_start"), torch::tensor({0, 3}, torch::kLong)));
  CHECK(
      torch::equal(ex.tensors.at("audio_speaker_indices"), torch::tensor({-1, -1}, torch::kLong)));
  CHECK(ex.tensors.at("audio_waveforms_concat").numel() == 0);
  CHECK(ex.info["speaker"] == "spk_001");
  CHECK(ex.info["source"] == "z.jsonl:7");
  CHECK_THROWS(higgs::make_chatml_example(t, {c0}));
}

TEST_CASE("higgs_token_ids: read from a config.json, defaults, and checked against a tokenizer") {
  namespace fs = std::filesystem;
  fs::path p = fs::temp_directory_path() / "higgs_token_ids_test_config.json";
  std::ofstream(p) << R"({"audio_in_token_idx": 128015, "audio_out_token_idx": 128016,
      "pad_token_id": 128001, "audio_stream_bos_id": 1024, "audio_stream_eos_id": 1025,
      "audio_num_codebooks": 8, "use_delay_pattern": true, "encode_audio_in_tokens": true,
      "encode_whisper_embed": false})";
  auto ids = higgs::HiggsTokenIds::from_file(p.string());
  CHECK(ids.audio_num_codebooks == 8);
  CHECK(ids.use_delay_pattern);
  CHECK_FALSE(ids.encode_whisper_embed);
  CHECK(ids.audio_out_bos_token_id == 128013);  // constructor default
  higgs::test::FakeTextTokenizer tok;
  CHECK_NOTHROW(higgs::check_token_ids(tok, ids));
  ids.audio_in_token_idx = 7;
  CHECK_THROWS_WITH(higgs::check_token_ids(tok, ids),
                    "text tokenizer maps <|AUDIO|> to 128015 but the model config says 7: "
                    "tokenizer and model do not belong together");
  std::ofstream(p) << R"({"audio_num_codebooks": "eight"})";
  CHECK_THROWS_WITH(
      higgs::HiggsTokenIds::from_file(p.string()),
      (p.string() + ": \"audio_num_codebooks\" has the wrong type (\"eight\")").c_str());
  fs::remove(p);
}
