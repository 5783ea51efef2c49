// llama3_bpe throughput against the Python peer (Hugging Face tokenizers, the Rust library behind
// transformers) on the same corpus, in the same run. Run through bench/tokenizer_bench.sh, which
// prepares the peer and the corpus.
//
//   tokenizer_bench --tokenizer T.json --corpus C.jsonl [--repeat 3] [--threads 1]
//                   [--peer-script encode.py [--python PY]]
//
// --peer-script is tests/text/llama3_peer/encode.py, run with PY (default python3, which needs
// the tokenizers package); omit it to skip the peer.
//
// Each pass encodes every line of the corpus (one JSON string per line). Pass 1 starts with an
// empty word cache; the best pass is the steady state. The peer is timed around its encode loop
// only (Python start-up and tokenizer loading excluded), with the same number of passes, one
// encode call per line on one thread.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "components/text/llama3_bpe.h"

using Clock = std::chrono::steady_clock;
using Ids = std::vector<int64_t>;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void report(const char* who, const char* pass, double s, size_t lines, double mb) {
  std::printf("%-6s %-10s %8.3f s  %10.0f lines/s  %7.2f MB/s\n", who, pass, s, lines / s, mb / s);
}

}  // namespace

int main(int argc, char** argv) {
  std::string tokenizer, corpus, peer_script, python = "python3";
  int repeat = 3, threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--tokenizer")
      tokenizer = next();
    else if (a == "--corpus")
      corpus = next();
    else if (a == "--peer-script")
      peer_script = next();
    else if (a == "--python")
      python = next();
    else if (a == "--repeat")
      repeat = std::max(1, std::atoi(next().c_str()));
    else if (a == "--threads")
      threads = std::max(1, std::atoi(next().c_str()));
    else {
      std::cerr << "usage: tokenizer_bench --tokenizer T.json --corpus C.jsonl [--repeat N] "
                   "[--threads N] [--peer-script encode.py [--python PY]]\n";
      return 2;
    }
  }
  if (tokenizer.empty() || corpus.empty()) {
    std::cerr << "tokenizer_bench: --tokenizer and --corpus are required\n";
    return 2;
  }

  std::vector<std::string> lines;
  size_t bytes = 0;
  {
    std::ifstream in(corpus);
    std::string l;
    while (std::getline(in, l))
      if (!l.empty()) lines.push_back(nlohmann::json::parse(l).get<std::string>());
    for (const auto& s : lines) bytes += s.size();
  }
  const double mb = bytes / 1e6;
  std::printf("corpus: %s, %zu lines, %.2f MB of text\n", corpus.c_str(), lines.size(), mb);

  auto t0 = Clock::now();
  higgs::Llama3BpeTokenizer tok(tokenizer);
  std::printf("llama3_bpe load: %.3f s (%s)\n", seconds_since(t0), tokenizer.c_str());

  std::vector<Ids> ours(lines.size());
  double ours_first = 0, ours_best = 1e30;
  size_t n_tokens = 0;
  for (int pass = 0; pass < repeat; ++pass) {
    t0 = Clock::now();
    if (threads == 1) {
      for (size_t i = 0; i < lines.size(); ++i) ours[i] = tok.encode(lines[i]);
    } else {
      std::vector<std::thread> pool;
      for (int w = 0; w < threads; ++w)
        pool.emplace_back([&, w] {
          for (size_t i = w; i < lines.size(); i += threads) ours[i] = tok.encode(lines[i]);
        });
      for (auto& t : pool) t.join();
    }
    double s = seconds_since(t0);
    if (pass == 0) ours_first = s;
    ours_best = std::min(ours_best, s);
    report("ours", ("pass " + std::to_string(pass + 1)).c_str(), s, lines.size(), mb);
  }
  for (const auto& ids : ours) n_tokens += ids.size();
  std::printf("ours: %zu tokens, %d thread(s)\n", n_tokens, threads);
  if (peer_script.empty()) return 0;

  std::string tmp = "/tmp/tokenizer_bench_" + std::to_string(::getpid());
  std::string cmd = "'" + python + "' '" + peer_script + "' hf '" + tokenizer + "' '" + corpus +
                    "' --time --repeat " + std::to_string(repeat) + " > " + tmp + ".out 2> " + tmp +
                    ".err";
  int rc = std::system(cmd.c_str());
  std::ifstream err(tmp + ".err"), out(tmp + ".out");
  std::vector<double> peer_s;
  std::string line, err_text;
  while (std::getline(err, line)) {
    if (line.rfind("encode_seconds ", 0) == 0)
      peer_s.push_back(std::atof(line.c_str() + 15));
    else
      err_text += line + "\n";
  }
  nlohmann::json peer_ids;
  if (rc == 0) peer_ids = nlohmann::json::parse(out, nullptr, false);
  std::remove((tmp + ".out").c_str());
  std::remove((tmp + ".err").c_str());
  if (rc != 0 || peer_s.empty() || !peer_ids.is_array()) {
    std::cerr << "tokenizer_bench: the peer failed (" << cmd << "):\n" << err_text;
    return 1;
  }
  for (size_t p = 0; p < peer_s.size(); ++p)
    report("peer", ("pass " + std::to_string(p + 1)).c_str(), peer_s[p], lines.size(), mb);
  size_t mismatches = 0;
  for (size_t i = 0; i < lines.size() && i < peer_ids.size(); ++i)
    mismatches += peer_ids[i].get<Ids>() != ours[i];
  if (peer_ids.size() != lines.size()) mismatches += lines.size();
  double peer_best = *std::min_element(peer_s.begin(), peer_s.end());
  std::printf("ids identical to the peer: %s (%zu of %zu lines differ)\n",
              mismatches ? "NO" : "yes", mismatches, lines.size());
  std::printf("speed ratio (peer time / ours): first pass %.1fx, best pass %.1fx\n",
              peer_s[0] / ours_first, peer_best / ours_best);
  return mismatches ? 1 : 0;
}
