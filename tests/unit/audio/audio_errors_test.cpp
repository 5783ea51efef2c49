// Bad audio files raise AudioError naming the file and the reason; base64 raw_audio; content hash.
#include <cstring>
#include <thread>

#include <doctest/doctest.h>

#include "components/audio/audio_io.h"
#include "tests/unit/audio/audio_fixtures.h"

using higgs::AudioError;
using higgs::LoadAudioOptions;
using higgs::audio_test::sh;
using higgs::audio_test::TempDir;

namespace {

// Runs f, which must throw AudioError; checks its fields and message.
template <class F>
void expect_audio_error(F&& f, const std::string& path, const std::string& reason_part) {
  try {
    f();
    FAIL("no AudioError for " << path << " (expected \"" << reason_part << "\")");
  } catch (const AudioError& e) {
    CHECK(e.path == path);
    CHECK_MESSAGE(e.reason.find(reason_part) != std::string::npos, std::string(e.what()));
    const std::string what = e.what();
    CHECK(what.find(path) != std::string::npos);
    CHECK(what.find(reason_part) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("audio_errors: each bad file names the file and the reason") {
  TempDir dir("audio_err");
  const std::vector<float> one_second(16000, 0.25f);
  higgs::save_wav(dir / "ok.wav", one_second, 16000);

  SUBCASE("missing") {
    const std::string p = dir / "nope.wav";
    expect_audio_error([&] { higgs::load_audio(p); }, p, "file not found");
    expect_audio_error([&] { higgs::probe_audio(p); }, p, "file not found");
  }
  SUBCASE("corrupt bytes") {
    const std::string p = dir / "corrupt.wav";
    std::string junk(4096, '\0');
    for (size_t i = 0; i < junk.size(); ++i) junk[i] = char((i * 7919 + 13) % 251);
    higgs::audio_test::write_bytes(p, junk.data(), junk.size());
    expect_audio_error([&] { higgs::load_audio(p); }, p, "not a recognised audio format");
  }
  SUBCASE("zero-byte file") {
    const std::string p = dir / "empty.flac";
    higgs::audio_test::write_bytes(p, "", 0);
    expect_audio_error([&] { higgs::load_audio(p); }, p, "empty file");
  }
  SUBCASE("valid header, zero frames") {
    const std::string p = dir / "noframes.wav";
    higgs::save_wav(p, {}, 16000);
    CHECK(higgs::probe_audio(p).frames == 0);
    expect_audio_error([&] { higgs::load_audio(p); }, p, "no audio samples");
  }
  SUBCASE("too long") {
    LoadAudioOptions o;
    o.max_seconds = 0.5;
    expect_audio_error([&] { higgs::load_audio(dir / "ok.wav", o); }, dir / "ok.wav", "too long");
    o.duration_seconds = 0.4;  // the slice, not the file, is what must fit
    CHECK(higgs::load_audio(dir / "ok.wav", o).samples.size() == 6400);
  }
  SUBCASE("offset beyond the end") {
    LoadAudioOptions o;
    o.offset_seconds = 1.0;  // exactly the end: nothing left
    expect_audio_error([&] { higgs::load_audio(dir / "ok.wav", o); }, dir / "ok.wav",
                       "beyond the end");
    o.offset_seconds = 0.0;
    o.duration_seconds = 1e-5;  // int(1e-5 * 16000) = 0 samples
    expect_audio_error([&] { higgs::load_audio(dir / "ok.wav", o); }, dir / "ok.wav",
                       "shorter than one sample");
    o.duration_seconds = 0.0;
    o.offset_seconds = -1.0;
    expect_audio_error([&] { higgs::load_audio(dir / "ok.wav", o); }, dir / "ok.wav",
                       "negative offset");
  }
  SUBCASE("a directory") {
    expect_audio_error([&] { higgs::load_audio(dir.path.string()); }, dir.path.string(),
                       "not a regular file");
  }
  SUBCASE("truncated files") {
    REQUIRE(sh("espeak-ng -w " + (dir / "s.wav") +
               " 'The quick brown fox jumps over the lazy dog.' && sox " + (dir / "s.wav") + " " +
               (dir / "s.flac") + " && sox " + (dir / "s.wav") + " " + (dir / "s.ogg")) == 0);
    auto cut = [&](const std::string& from, const std::string& to, size_t n) {
      auto bytes = higgs::audio_test::read_bytes(from);
      REQUIRE(bytes.size() > n);
      higgs::audio_test::write_bytes(to, bytes.data(), n);
      return to;
    };
    const auto wav = cut(dir / "s.wav", dir / "cut.wav", 20);  // inside the fmt chunk
    expect_audio_error([&] { higgs::load_audio(wav); }, wav, "cannot be decoded");
    // Cut inside the first FLAC frames: the decoder loses sync. (A cut near the end may instead
    // decode the frames before it, as soundfile does.)
    const auto flac = cut(dir / "s.flac", dir / "cut.flac", 3000);
    expect_audio_error([&] { higgs::load_audio(flac); }, flac, "decode error");
    const auto ogg = cut(dir / "s.ogg", dir / "cut.ogg", 3000);
    expect_audio_error([&] { higgs::load_audio(ogg); }, ogg, "malformed or corrupt");
  }
}

TEST_CASE("audio_errors: concurrent loads each report their own reason") {
  // libsndfile keeps one process-wide error slot for failed opens; loads run on worker threads.
  TempDir dir("audio_mt");
  higgs::save_wav(dir / "ok.wav", std::vector<float>(1600, 0.1f), 16000);
  const std::string text = "this is not audio at all, just text that fills a file";
  higgs::audio_test::write_bytes(dir / "text.wav", text.data(), text.size());
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        try {
          if (t % 2 == 0) {
            if (higgs::load_audio(dir / "ok.wav").samples.size() != 1600)
              results[size_t(t)] = "bad";
          } else {
            higgs::load_audio(dir / "text.wav");
            results[size_t(t)] = "no error";
          }
        } catch (const AudioError& e) {
          if (e.reason.find("not a recognised audio format") == std::string::npos)
            results[size_t(t)] = e.what();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : results) CHECK(r == "");
}

TEST_CASE("audio_errors: base64 raw_audio decodes and loads from memory") {
  auto str = [](const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); };
  CHECK(str(higgs::decode_base64("TWFu")) == "Man");
  CHECK(str(higgs::decode_base64("TWE=")) == "Ma");
  CHECK(str(higgs::decode_base64("TQ")) == "M");
  CHECK(str(higgs::decode_base64("TW\nFu TW\r\nE=")) == "ManMa");
  CHECK(str(higgs::decode_base64("data:audio/wav;base64,TWFu")) == "Man");
  CHECK(higgs::decode_base64("-_8=") == std::vector<uint8_t>{0xfb, 0xff});  // URL-safe
  CHECK(higgs::decode_base64("+/8=") == std::vector<uint8_t>{0xfb, 0xff});
  expect_audio_error([] { higgs::decode_base64("TW*u", "sample 3 raw_audio"); },
                     "sample 3 raw_audio", "invalid base64 character '*'");

  TempDir dir("audio_b64");
  const std::string flac = dir / "s.flac";
  REQUIRE(sh("espeak-ng -w " + (dir / "s.wav") + " 'Hello there.' && sox " + (dir / "s.wav") + " " +
             flac + " && base64 " + flac + " > " + (dir / "s.b64")) == 0);
  const auto b64 = higgs::audio_test::read_bytes(dir / "s.b64");
  const auto bytes = higgs::decode_base64(std::string(b64.begin(), b64.end()));
  CHECK(bytes == higgs::audio_test::read_bytes(flac));
  LoadAudioOptions o;
  o.target_sample_rate = 24000;
  const auto mem = higgs::load_audio_from_memory(bytes, o, "sample 0 raw_audio");
  const auto file = higgs::load_audio(flac, o);
  CHECK(mem.samples == file.samples);
  CHECK(mem.source_sample_rate == 22050);

  const std::vector<uint8_t> junk(1000, 0x42);
  expect_audio_error([&] { higgs::load_audio_from_memory(junk, {}, "sample 7 raw_audio"); },
                     "sample 7 raw_audio", "not a recognised audio format");
  expect_audio_error([&] { higgs::load_audio_from_memory({}, {}, "sample 8 raw_audio"); },
                     "sample 8 raw_audio", "empty audio data");
}

TEST_CASE("audio_errors: content hash is XXH64 of the file bytes") {
  auto h = [](const std::string& s) { return higgs::hash_bytes(s.data(), s.size()); };
  // Reference vectors of XXH64 with seed 0.
  CHECK(h("") == "ef46db3751d8e999");
  CHECK(h("a") == "d24ec4f1a98c6e5b");
  CHECK(h("abc") == "44bc2cf5ad770999");
  CHECK(h(std::string(32, 'a')) == "856e843298f99ad7");
  CHECK(h("Nobody inspects the spammish repetition") == "fbcea83c8a378bf1");
  CHECK(h("The quick brown fox jumps over the lazy dog") == "0b242d361fda71bc");

  // A file bigger than one 4 MiB read block, of odd size, hashes like its bytes in one piece.
  TempDir dir("audio_hash");
  std::vector<uint8_t> big((size_t(9) << 20) + 12345);
  uint64_t s = 88172645463325252ULL;
  for (auto& b : big) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    b = uint8_t(s >> 24);
  }
  higgs::audio_test::write_bytes(dir / "big.bin", big.data(), big.size());
  const std::string whole = higgs::hash_bytes(big.data(), big.size());
  CHECK(higgs::hash_file(dir / "big.bin") == whole);
  big[big.size() / 2] ^= 1;
  CHECK(higgs::hash_bytes(big.data(), big.size()) != whole);
  expect_audio_error([&] { higgs::hash_file(dir / "missing.wav"); }, dir / "missing.wav",
                     "file not found");
}
