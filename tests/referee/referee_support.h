// Shared pieces of the referee tests (docs/fidelity.md): the referee venv's Python running one of
// the tests/referee/boson_*.py scripts, the real Higgs tokenizer.json, a work folder per test.
#pragma once

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>

#include "framework/config/config.h"

namespace higgs_referee {

namespace fs = std::filesystem;
using higgs::Json;

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The referee venv's interpreter: $HIGGS_REFEREE_PYTHON, else the configured one.
inline std::string referee_python() {
  if (const char* p = std::getenv("HIGGS_REFEREE_PYTHON")) return p;
  return HIGGS_REFEREE_PYTHON;
}

// The second referee venv's interpreter (transformers 5.24.0 with the higgs_audio_v2 port).
inline std::string referee_hf_python() {
  if (const char* p = std::getenv("HIGGS_REFEREE_HF_PYTHON")) return p;
  return HIGGS_REFEREE_HF_PYTHON;
}

// Runs `cmd`, returns its exit status and stdout+stderr.
inline std::pair<int, std::string> run_command(const std::string& cmd) {
  std::string output;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) output.append(buf.data(), n);
  return {pclose(p), output};
}

// Runs tests/referee/SCRIPT with the referee venv's Python (or `python`); fails the test with its
// output when it exits non-zero (or when the venv is missing, saying how to make it).
inline std::string run_referee(const std::string& script, const std::string& args,
                               std::string python = "") {
  const std::string py = python.empty() ? referee_python() : python;
  REQUIRE_MESSAGE(fs::exists(py),
                  "no referee venv at "
                      << py
                      << ": run scripts/setup_referee.sh (scripts/setup.sh does) or set "
                         "HIGGS_REFEREE_PYTHON");
  auto [rc, out] =
      run_command(quote(py) + " " +
                  quote(std::string(HIGGS_SOURCE_DIR) + "/tests/referee/" + script) + " " + args);
  REQUIRE_MESSAGE(rc == 0, script << " failed (exit " << rc << "):\n" << out);
  return out;
}

// A fresh folder under the build tree for one test.
inline fs::path work_dir(const std::string& name) {
  fs::path d = fs::path(HIGGS_BINARY_DIR) / "test_tmp" / ("referee-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// The Higgs Audio v2 tokenizer.json (Meta's Llama-3 BPE with the checkpoint's special-token
// names), made by the tokenizer peer setup from PyPI's llama-models wheel (tests/text/llama3_peer).
inline std::string higgs_tokenizer_json() {
  static const std::string path = [] {
    const std::string dir = std::string(HIGGS_BINARY_DIR) + "/text/llama3_peer";
    std::string py = std::string("HIGGS_PYTHON=") + quote(HIGGS_PYTHON) + " ";
    auto [rc, out] = run_command(
        py + "bash " + quote(std::string(HIGGS_SOURCE_DIR) + "/tests/text/llama3_peer/setup.sh") +
        " " + quote(dir));
    REQUIRE_MESSAGE(
        rc == 0, "the Higgs tokenizer.json could not be made (tests/text/llama3_peer/setup.sh):\n"
                     << out);
    return dir + "/higgs_tokenizer.json";
  }();
  return path;
}

// Boson's HiggsAudioModel from `cfg` with random weights (seed), saved with save_pretrained (the
// released layout) in DIR/model by tests/referee/boson_model.py; returns that directory.
inline std::string build_boson_model(const Json& cfg, const fs::path& dir, int seed) {
  std::ofstream(dir / "config.in.json") << cfg.dump(2);
  run_referee("boson_model.py", "build " + quote((dir / "config.in.json").string()) + " " +
                                    quote((dir / "model").string()) + " " + std::to_string(seed));
  return (dir / "model").string();
}

inline Json read_json(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE_MESSAGE(in.good(), "cannot read " << p.string());
  return Json::parse(in);
}

}  // namespace higgs_referee
