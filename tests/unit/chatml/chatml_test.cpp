// clang-format off
#include <torch/torch.h>  // before doctest: glog's CHECK would replace doctest's
#include <doctest/doctest.h>
// clang-format on

#include "components/chatml/chatml.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
namespace fs = std::filesystem;
using higgs::ChatMLError;

// Named: the unity build may put this file beside fixtures with a temp_dir of their own.
namespace chatml_test {
namespace {

fs::path temp_dir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("higgs_chatml_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

// The message of the ChatMLError thrown by parsing `text` as JSONL.
std::string jsonl_error(const std::string& text) {
  try {
    higgs::parse_chatml_text(text, "d.jsonl", "/data", true);
  } catch (const ChatMLError& e) {
    return e.what();
  }
  return "no error";
}

const char* kGood =
    R"({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": {"type": "audio", "audio_url": "a.wav"}}]})";

}  // namespace

TEST_CASE("chatml: JSONL with every content form, relative and absolute audio paths") {
  fs::path dir = temp_dir("forms");
  write(
      dir / "d.jsonl",
      std::string(kGood) + "\n\n" +
          R"({"messages": [{"role": "system", "content": [{"type": "text", "text": "sys"}, "plain", {"type": "audio", "audio_url": "/abs/r.wav", "offset": 1.5, "duration": 2}]},)"
          R"( {"role": "assistant", "recipient": "tool", "content": {"type": "audio", "audio_url": "placeholder", "raw_audio": "QUJD"}}],)"
          R"( "start_index": 1, "speaker": "spk_1", "misc": {"k": 1}, "id": "ignored"})"
          "\n");
  auto samples = higgs::load_chatml_file((dir / "d.jsonl").string());
  REQUIRE(samples.size() == 2);
  const auto& a = samples[0];
  CHECK(a.source == (dir / "d.jsonl").string() + ":1 (sample 0)");
  REQUIRE(a.messages.size() == 2);
  CHECK(a.messages[0].role == "user");
  REQUIRE(a.messages[0].content.size() == 1);
  CHECK(a.messages[0].content[0].is_text());
  CHECK(a.messages[0].content[0].text == "hi");
  CHECK(a.messages[1].content[0].is_audio());
  CHECK(a.messages[1].content[0].audio_url == "a.wav");
  CHECK(a.messages[1].content[0].audio_path == (dir / "a.wav").string());
  CHECK_FALSE(a.start_index.has_value());

  const auto& b = samples[1];
  CHECK(b.source == (dir / "d.jsonl").string() + ":3 (sample 1)");
  REQUIRE(b.messages[0].content.size() == 3);
  CHECK(b.messages[0].content[1].text == "plain");
  CHECK(b.messages[0].content[2].audio_path == "/abs/r.wav");
  CHECK(*b.messages[0].content[2].offset == 1.5);
  CHECK(*b.messages[0].content[2].duration == 2.0);
  CHECK(b.messages[1].recipient.value() == "tool");
  CHECK(b.messages[1].content[0].audio_path.empty());  // placeholder: raw_audio is used
  CHECK(b.messages[1].content[0].raw_audio.value() == "QUJD");
  CHECK(*b.start_index == 1);
  CHECK(*b.speaker == "spk_1");
  CHECK(b.misc["k"] == 1);
  // Round trip through JSON keeps everything.
  auto again = higgs::parse_chatml_sample(higgs::chatml_to_json(b), "x", "/other");
  CHECK(higgs::chatml_to_json(again) == higgs::chatml_to_json(b));
  fs::remove_all(dir);
}

TEST_CASE("chatml: a JSON array names each sample's line") {
  fs::path dir = temp_dir("array");
  write(dir / "d.json", std::string("[\n  ") + kGood +
                            ",\n  {\"messages\": [\n   {\"role\": \"user\",\n" +
                            "    \"content\": {\"type\": \"text\", \"text\": 3}}]}\n]\n");
  try {
    higgs::load_chatml_file((dir / "d.json").string());
    FAIL("expected an error");
  } catch (const ChatMLError& e) {
    CHECK(std::string(e.what()) == (dir / "d.json").string() +
                                       ":3 (sample 1): messages[0].content.text: must be a "
                                       "string, got a number");
  }
  write(dir / "ok.json", std::string("[") + kGood + "," + kGood + "]");
  CHECK(higgs::load_chatml_file((dir / "ok.json").string()).size() == 2);
  // A .json file holding JSONL is read line by line.
  write(dir / "lines.json", std::string(kGood) + "\n" + kGood + "\n");
  CHECK(higgs::load_chatml_file((dir / "lines.json").string()).size() == 2);
  fs::remove_all(dir);
}

TEST_CASE("chatml: strict errors name line, field and problem") {
  CHECK(jsonl_error(
            std::string(kGood) + "\n" +
            R"({"messages": [{"role": "user", "content": {"type": "video", "url": "x"}}]})") ==
        "d.jsonl:2 (sample 1): messages[0].content.type: unknown content type \"video\" "
        "(expected \"text\" or \"audio\")");
  CHECK(jsonl_error(R"({"messages": [{"content": "x"}]})") ==
        "d.jsonl:1 (sample 0): messages[0]: message has no \"role\"");
  CHECK(jsonl_error(
            R"({"messages": [{"role": "user", "content": [{"type": "text", "text": ["a"]}]}]})") ==
        "d.jsonl:1 (sample 0): messages[0].content[0].text: must be a string, got an array");
  CHECK(jsonl_error(R"({"messages": [{"role": "user", "content": "x", "speaker": "a"}]})") ==
        "d.jsonl:1 (sample 0): messages[0]: unknown key \"speaker\" (allowed: content, recipient, "
        "role)");
  CHECK(jsonl_error(R"({"messages": [{"role": "user", "content": {"type": "audio"}}]})") ==
        "d.jsonl:1 (sample 0): messages[0].content: audio content needs \"audio_url\" or "
        "\"raw_audio\"");
  CHECK(
      jsonl_error(R"({"messages": [{"role": "user", "recipient": "t", "content": "x"}]})") ==
      "d.jsonl:1 (sample 0): messages[0].recipient: only assistant messages may have a recipient");
  CHECK(jsonl_error(std::string(kGood).replace(std::string(kGood).size() - 1, 1,
                                               ", \"start_index\": 1.5}")) ==
        "d.jsonl:1 (sample 0): start_index: must be a non-negative integer");
  CHECK(jsonl_error(R"({"messages": []})") == "d.jsonl:1 (sample 0): messages: is empty");
  CHECK(jsonl_error(R"({"msgs": []})") == "d.jsonl:1 (sample 0): sample has no \"messages\"");
  CHECK(jsonl_error("\n\n{\"messages\": [}").rfind("d.jsonl:3: invalid JSON: parse error", 0) == 0);
  CHECK(jsonl_error("  ") == "d.jsonl: the file is empty");
  CHECK_THROWS_WITH_AS(higgs::load_chatml_file("/nonexistent/x.jsonl"),
                       "/nonexistent/x.jsonl: cannot open the ChatML file", ChatMLError);
}

TEST_CASE(
    "chatml: compact layout becomes the generation.py layout with start_index on the target") {
  auto s = higgs::parse_chatml_text(
      R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "Ref words."},)"
      R"( {"type": "audio", "audio_url": "ref.wav"},)"
      R"( {"type": "text", "text": "Please generate speech for given text in reference audio's voice: Target words."}]},)"
      R"( {"role": "assistant", "content": {"type": "audio", "audio_url": "tgt.wav"}}], "speaker": "s1"})",
      "c.jsonl", "/data", true)[0];
  higgs::ZeroShotLayoutOptions opts;
  opts.scene = "Audio is recorded from a quiet room.";
  auto z = higgs::to_zero_shot_layout(s, opts);
  REQUIRE(z.messages.size() == 5);
  CHECK(z.messages[0].role == "system");
  CHECK(z.messages[0].content[0].text ==
        "Generate audio following instruction.\n\n<|scene_desc_start|>\nAudio is recorded from a "
        "quiet room.\n<|scene_desc_end|>");
  CHECK(z.messages[1].role == "user");
  CHECK(z.messages[1].content[0].text == "Ref words.");
  CHECK(z.messages[2].role == "assistant");
  CHECK(z.messages[2].content[0].audio_path == "/data/ref.wav");
  CHECK(z.messages[3].content[0].text == "Target words.");
  CHECK(z.messages[4].content[0].audio_path == "/data/tgt.wav");
  CHECK(*z.start_index == 4);
  CHECK(*z.speaker == "s1");

  // No scene, no system prompt: no system message; start_index moves with it.
  auto z2 = higgs::to_zero_shot_layout(s);
  REQUIRE(z2.messages.size() == 4);
  CHECK(z2.messages[0].role == "user");
  CHECK(*z2.start_index == 3);
  // A configured system prompt is used verbatim.
  higgs::ZeroShotLayoutOptions sys;
  sys.system_prompt = "Generate speech in the provided voice.";
  CHECK(higgs::to_zero_shot_layout(s, sys).messages[0].content[0].text ==
        "Generate speech in the provided voice.");

  // Already in the inference layout: start_index defaults to the final assistant turn, and an
  // explicit one follows the system message that was added.
  auto inf = higgs::to_zero_shot_layout(z2, opts);
  CHECK(*inf.start_index == 4);
  auto unset = z2;
  unset.start_index.reset();
  CHECK(*higgs::to_zero_shot_layout(unset).start_index == 3);

  // Wrong shapes are refused with the reason.
  auto bad = s;
  bad.messages[0].content.pop_back();
  CHECK_THROWS_WITH_AS(higgs::to_zero_shot_layout(bad),
                       "c.jsonl:1 (sample 0): compact voice-cloning layout: the user content must "
                       "be exactly [text (reference transcript), audio (reference), text (target)]",
                       ChatMLError);
  auto no_target = z2;
  no_target.messages.pop_back();
  CHECK_THROWS_AS(higgs::to_zero_shot_layout(no_target), ChatMLError);
}

TEST_CASE("chatml: sound-event tags are rewritten as generation.py does") {
  CHECK(higgs::rewrite_sound_events("Ha [laugh] [music start]la[music end] [music][cough]") ==
        "Ha <SE>[Laughter]</SE> <SE_s>[Music]</SE_s>la<SE_e>[Music]</SE_e> "
        "<SE>[Music]</SE><SE>[Cough]</SE>");
  CHECK(higgs::rewrite_sound_events("[humming start][humming end][sing start][sing end]"
                                    "[applause][cheering][laugh][laugh]") ==
        "<SE_s>[Humming]</SE_s><SE_e>[Humming]</SE_e><SE_s>[Singing]</SE_s><SE_e>[Singing]</SE_e>"
        "<SE>[Applause]</SE><SE>[Cheering]</SE><SE>[Laughter]</SE><SE>[Laughter]</SE>");
  higgs::ChatMLSample s;
  s.messages.push_back({"system", {higgs::ChatMLContent::make_text("[laugh]")}, std::nullopt});
  s.messages.push_back({"user", {higgs::ChatMLContent::make_text("a [cough]")}, std::nullopt});
  higgs::rewrite_sound_events(s);
  CHECK(s.messages[0].content[0].text == "[laugh]");
  CHECK(s.messages[1].content[0].text == "a <SE>[Cough]</SE>");
}

TEST_CASE("chatml: transcript normalisation of generation.py") {
  CHECK(higgs::normalize_transcript("你好，世界。") == "你好, 世界.");
  CHECK(higgs::normalize_transcript("  It is 20°C (warm)  [laugh]\n\n\t second   line ") ==
        "It is 20 degrees Celsius warm <SE>[Laughter]</SE>\nsecond line.");
  CHECK(higgs::normalize_transcript("Done!") == "Done!");
  CHECK(higgs::normalize_transcript("a\u3000\u3000b!") == "a b!");
  CHECK(higgs::normalize_transcript("“Quote”") == "\"Quote\"");
  CHECK(higgs::normalize_transcript("[music end]") == "<SE_e>[Music]</SE_e>");
  CHECK(higgs::normalize_transcript("a…b") == "a...b.");
}

}  // namespace chatml_test
