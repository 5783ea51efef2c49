// metrics.jsonl holds whole lines only: a torn last line from an earlier crash is removed when the
// file is opened again, and a line that cannot be written whole (a full disk) is cut back off.
#include <torch/torch.h>

#include "framework/train/metrics_writer.h"

#include <cstdlib>
#include <sstream>

#include <doctest/doctest.h>

#include "tests/support/test_support.h"

using higgs::test::read_text;
using higgs::test::write_text;

namespace {
std::vector<higgs::Json> lines_of(const std::string& path) {
  std::vector<higgs::Json> out;
  std::istringstream in(read_text(path));
  for (std::string line; std::getline(in, line);) out.push_back(higgs::Json::parse(line));
  return out;
}
}  // namespace

TEST_CASE("metrics.jsonl: a torn last line is removed on open, a failed write leaves none") {
  higgs::test::TempDir dir("metrics-writer");
  const std::string path = dir.file("metrics.jsonl");
  write_text(path, "{\"step\": 1}\n{\"step\": 2, \"lo");  // a crash mid-line
  {
    higgs::MetricsWriter w(path);
    CHECK(read_text(path) == "{\"step\": 1}\n");
    CHECK(w.write({{"step", 2}}));
    // The third line hits a full disk half-way (injected): it is cut back off, nothing torn.
    ::setenv("HIGGS_FAULT_INJECT", "metrics.write/metrics.jsonl@2:enospc", 1);
    CHECK(w.write({{"step", 3}}));  // the first reach of the point passes
    CHECK_FALSE(w.write({{"step", 4}}));
    ::unsetenv("HIGGS_FAULT_INJECT");
    CHECK(w.write({{"step", 5}}));  // the disk has room again
  }
  const auto lines = lines_of(path);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0]["step"] == 1);
  CHECK(lines[1]["step"] == 2);
  CHECK(lines[2]["step"] == 3);
  CHECK(lines[3]["step"] == 5);
}
