// clang-format off
#include <torch/torch.h>  // before doctest: glog's CHECK would replace doctest's
#include <doctest/doctest.h>
// clang-format on

#include "components/chatml/show_sample.h"

#include <sstream>

#include "components/chatml/chatml_layout.h"
#include "tests/unit/chatml/fake_text_tokenizer.h"

using higgs::ChatMLContent;
using higgs::ChatMLMessage;
using higgs::ChatMLSample;
using higgs::Json;

// Named: the unity build puts this file beside other ChatML tests with helpers of the same names.
namespace show_sample_test {
namespace {

ChatMLMessage msg(std::string role, std::vector<ChatMLContent> c) {
  return ChatMLMessage{std::move(role), std::move(c), std::nullopt};
}
ChatMLContent text(std::string t) { return ChatMLContent::make_text(std::move(t)); }
ChatMLContent audio(std::string url) { return ChatMLContent::make_audio(url, "/d/" + url); }

// The inference layout of zero-shot voice cloning: turns 1-2 are the reference, 3-4 the target.
ChatMLSample zero_shot_sample() {
  ChatMLSample s;
  s.messages = {
      msg("system", {text("SYS")}),         msg("user", {text("REF words")}),
      msg("assistant", {audio("ref.wav")}), msg("user", {text("TARGET words")}),
      msg("assistant", {audio("tgt.wav")}),
  };
  s.start_index = 4;
  s.source = "z.jsonl:7";
  return s;
}

}  // namespace

TEST_CASE("show_sample: JSON lists every position with its label, the reference is untrained") {
  higgs::test::FakeTextTokenizer tok;
  const ChatMLSample s = zero_shot_sample();
  Json v = higgs::sample_view(s, tok, {{5, 8}, {7, 8}});

  // The fake tokenizer is one token per byte (specials one token each), so the expected token
  // string is written out by hand.
  const std::string expected =
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nSYS<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nREF words<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|>"
      "<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nTARGET words<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|>"
      "<|eot_id|>";
  const std::vector<int64_t> ids = tok.encode(expected);
  const Json& pos = v["positions"];
  REQUIRE(pos.size() == ids.size());
  CHECK(v["num_tokens"] == ids.size());
  // Only the final assistant turn is labelled: its placeholder and its <|eot_id|> (4 tokens).
  const size_t first_labelled = ids.size() - 4;
  for (size_t i = 0; i < ids.size(); ++i) {
    CAPTURE(i);
    CHECK(pos[i]["index"] == i);
    CHECK(pos[i]["id"] == ids[i]);
    CHECK(pos[i]["piece"] == tok.id_to_token(ids[i]));
    CHECK(pos[i]["label"] == (i >= first_labelled ? ids[i] : -100));
  }
  CHECK(v["num_labelled"] == 4);

  // Segment indices of the positions run through the segments in order, and each segment's ids
  // are its positions.
  const Json& segs = v["segments"];
  size_t p = 0;
  for (size_t si = 0; si < segs.size(); ++si) {
    CHECK(segs[si]["index"] == si);
    for (const auto& id : segs[si]["ids"]) {
      CHECK(pos[p]["segment"] == si);
      CHECK(pos[p]["id"] == id);
      ++p;
    }
  }
  CHECK(p == ids.size());

  // The reference turns (1: its text, 2: its audio) carry no label at all.
  for (const Json& seg : segs) {
    if (seg["turn"] == 1 || seg["turn"] == 2)
      for (const auto& l : seg["labels"]) CHECK(l == -100);
  }
  std::vector<std::string> kinds;
  for (const Json& seg : segs) kinds.push_back(seg["kind"]);
  CHECK(kinds == std::vector<std::string>{"header", "text", "end", "header", "text", "end",
                                          "header", "audio_out", "end", "header", "text", "end",
                                          "header", "audio_out", "end"});
  CHECK(segs[4]["text"] == "REF words");
  CHECK(segs[4]["role"] == "user");

  const Json& a = v["audio"];
  REQUIRE(a.size() == 2);
  CHECK(a[0]["kind"] == "out");
  CHECK(a[0]["trained"] == false);
  CHECK(a[0]["frames"] == 5);
  CHECK(a[0]["codebooks"] == 8);
  CHECK(a[0]["segment"] == 7);
  CHECK(a[1]["kind"] == "out");
  CHECK(a[1]["trained"] == true);
  CHECK(a[1]["frames"] == 7);
  // position is that of <|AUDIO_OUT|>: the second of the three placeholder tokens.
  CHECK(a[1]["position"] == ids.size() - 3);
  CHECK(pos[a[1]["position"].get<size_t>()]["piece"] == "<|AUDIO_OUT|>");
}

TEST_CASE("show_sample: audio-in of a user turn is never trained, unknown shapes are null") {
  higgs::test::FakeTextTokenizer tok;
  ChatMLSample s;
  s.messages = {msg("user", {text("hi"), audio("in.wav")}), msg("assistant", {text("ok")})};
  s.source = "x.json:1";
  Json v = higgs::sample_view(s, tok);
  REQUIRE(v["audio"].size() == 1);
  CHECK(v["audio"][0]["kind"] == "in");
  CHECK(v["audio"][0]["trained"] == false);
  CHECK(v["audio"][0]["frames"].is_null());
  CHECK(v["audio"][0]["audio_path"] == "/d/in.wav");
  CHECK(v["positions"][v["audio"][0]["position"].get<size_t>()]["piece"] == "<|AUDIO|>");
  // No start_index: the assistant text "ok" and its <|eot_id|> are the labelled tokens.
  std::string labelled;
  for (const Json& p : v["positions"])
    if (p["label"] != -100) labelled += p["piece"].get<std::string>();
  CHECK(labelled == "ok<|eot_id|>");
  CHECK_THROWS_AS(higgs::sample_view(s, tok, {{1, 8}, {2, 8}}), std::invalid_argument);
}

TEST_CASE("show_sample: the text form shows the segments in order with label marks") {
  higgs::test::FakeTextTokenizer tok;
  std::ostringstream out;
  higgs::ShowSampleOptions o;
  o.heading = "train[3] of 10 samples";
  higgs::show_sample(zero_shot_sample(), tok, {{5, 8}, {7, 8}}, o, out);
  const std::string t = out.str();
  CAPTURE(t);
  CHECK(t.find('\033') == std::string::npos);  // no colour unless asked
  const std::vector<std::string> in_order = {
      "train[3] of 10 samples",
      "source: z.jsonl:7",
      "#0 turn 0 system header",
      "text: \"SYS\"",
      "#4 turn 1 user text",
      "text: \"REF words\"",
      "#7 turn 2 assistant audio_out",
      "audio 0 (audio-out): 5 frames x 8 codebooks, [no label] (not trained)",
      "text: \"TARGET words\"",
      "#13 turn 4 assistant audio_out",
      "[labelled]",
      "audio 1 (audio-out): 7 frames x 8 codebooks, trained (audio labels)",
      "#14 turn 4 assistant end"};
  size_t at = 0;
  for (const auto& needle : in_order) {
    CAPTURE(needle);
    size_t found = t.find(needle, at);
    REQUIRE(found != std::string::npos);
    at = found + needle.size();
  }
  // The reference audio segment line is marked as unlabelled.
  CHECK(t.find("#7 turn 2 assistant audio_out  positions") != std::string::npos);
  size_t ref = t.find("#7 turn 2");
  CHECK(t.substr(ref, t.find('\n', ref) - ref).find("[no label]") != std::string::npos);

  std::ostringstream coloured;
  o.color = true;
  higgs::show_sample(zero_shot_sample(), tok, {{5, 8}, {7, 8}}, o, coloured);
  CHECK(coloured.str().find("\033[32m") != std::string::npos);
  CHECK(coloured.str().find("\033[2m") != std::string::npos);

  std::ostringstream js;
  o.format = "json";
  higgs::show_sample(zero_shot_sample(), tok, {}, o, js);
  Json j = Json::parse(js.str());
  CHECK(j["heading"] == "train[3] of 10 samples");
  CHECK(j["positions"].size() ==
        higgs::prepare_chatml_sample(zero_shot_sample(), tok).input_ids.size());
}

}  // namespace show_sample_test
