// TensorBoard's own reader (EventAccumulator, tensorboard 2.21.0 in the referee venv) on the event
// files higgs-train writes itself (framework/util/tfevents_writer.h): scalars, text, audio and
// histograms come back with their steps and values, and a resumed run's SessionLog START drops
// the steps it redoes. Also CRC-32C against its published check value.
#include <torch/torch.h>

#include <doctest/doctest.h>

#include "components/audio/audio_io.h"
#include "framework/util/crc32c.h"
#include "framework/util/fs.h"
#include "framework/util/tfevents_writer.h"
#include "tests/referee/referee_support.h"

namespace tensorboard_referee {

using namespace higgs_referee;

TEST_CASE("CRC-32C: the check value of \"123456789\" and TFRecord's mask") {
  CHECK(higgs::crc32c("123456789", 9) == 0xE3069283u);
  const uint32_t c = 0xE3069283u;
  CHECK(higgs::masked_crc32c("123456789", 9) == ((c >> 15) | (c << 17)) + 0xa282ead8u);
  CHECK(higgs::crc32c("", 0) == 0u);
}

TEST_CASE("referee: a resumed run's SessionLog START makes TensorBoard drop the steps it redoes") {
  fs::path dir = work_dir("tensorboard-resume");
  const std::string logdir = (dir / "tb").string();
  {
    higgs::TfEventsWriter w(logdir);
    for (int step = 1; step <= 5; ++step) w.scalar("train/loss", 10.0 / step, step);
    w.scalar("eval/wer", 0.25, 4);
    // A resume from the checkpoint of step 2: steps 3.. are redone with other values.
    w.session_start(3);
    w.scalar("train/loss", 7.0, 3);
    w.scalar("train/loss", 6.0, 4);
  }
  const std::string out = run_referee("../python/read_tfevents.py", quote(logdir));
  const Json j = Json::parse(out.substr(out.find('{')));
  const Json loss = j["scalars"]["train/loss"];
  REQUIRE(loss.size() == 4);
  const std::vector<std::pair<int, double>> want = {{1, 10.0}, {2, 5.0}, {3, 7.0}, {4, 6.0}};
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(loss[i][0] == want[i].first);
    CHECK(loss[i][1].get<double>() == doctest::Approx(want[i].second));
  }
  // Every tag's steps from 3 on are dropped.
  CHECK((!j["scalars"].contains("eval/wer") || j["scalars"]["eval/wer"].empty()));
}

TEST_CASE("referee: EventAccumulator reads text, audio and a histogram as written") {
  fs::path dir = work_dir("tensorboard-kinds");
  const std::string logdir = (dir / "tb").string();
  std::vector<float> tone(2400);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = 0.3f * std::sin(0.05f * float(i));
  const std::string wav = (dir / "tone.wav").string();
  higgs::save_wav(wav, tone, 24000);
  const std::string wav_bytes = higgs::read_file(wav);
  {
    higgs::TfEventsWriter w(logdir);
    w.scalar("eval/wer", 0.25, 4);
    w.text("samples/hello", "Hello there.\n\n**problem:** cut short", 4);
    w.audio("samples/hello", wav_bytes, 24000, 1, 2400, 4);
    w.histogram("lora/A_norm", {1.0, 2.0, 2.5, 4.0}, 4, /*buckets=*/3);
  }
  const std::string out = run_referee("../python/read_tfevents.py", quote(logdir));
  const Json j = Json::parse(out.substr(out.find('{')));
  CHECK(j["scalars"]["eval/wer"] == Json::parse("[[4, 0.25]]"));
  CHECK(j["text"]["samples/hello"] ==
        Json::parse(R"([[4, "Hello there.\n\n**problem:** cut short"]])"));
  const Json a = j["audio"]["samples/hello"];
  REQUIRE(a.size() == 1);
  CHECK(a[0]["step"] == 4);
  CHECK(a[0]["sample_rate"].get<double>() == 24000.0);
  CHECK(a[0]["length_frames"] == 2400);
  CHECK(a[0]["content_type"] == "audio/wav");
  CHECK(a[0]["bytes"] == wav_bytes.size());
  const Json h = j["histograms"]["lora/A_norm"];
  REQUIRE(h.size() == 1);
  CHECK(h[0]["min"] == 1.0);
  CHECK(h[0]["max"] == 4.0);
  CHECK(h[0]["num"] == 4.0);
  CHECK(h[0]["sum"] == 9.5);
  CHECK(h[0]["sum_squares"] == 1.0 + 4.0 + 6.25 + 16.0);
  CHECK(h[0]["bucket_limit"] == Json::parse("[2.0, 3.0, 4.0]"));
  CHECK(h[0]["bucket"] == Json::parse("[1.0, 2.0, 1.0]"));  // [1,2): 1; [2,3): 2, 2.5; [3,4]: 4
}

}  // namespace tensorboard_referee
