// Speech recognition in process with CMU PocketSphinx (Debian's libpocketsphinx-dev) and the
// US-English model Debian ships with it (pocketsphinx-en-us): works offline and in CI, no model
// download. The pocketsphinx headers stay in the .cpp (their C macros and typedefs would leak
// into every file including this one).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace higgs::generation {

struct PocketsphinxModel {
  std::string hmm;   // acoustic model directory
  std::string lm;    // language model (.lm.bin)
  std::string dict;  // pronunciation dictionary
  /// Debian's en-us model under `dir` (default /usr/share/pocketsphinx/model/en-us).
  static PocketsphinxModel debian_en_us(const std::string& dir = "");
  /// The files that are missing, each with its path ("" when all are there).
  std::string missing() const;
};

class PocketsphinxRecognizer {
 public:
  explicit PocketsphinxRecognizer(PocketsphinxModel model);
  ~PocketsphinxRecognizer();
  PocketsphinxRecognizer(const PocketsphinxRecognizer&) = delete;
  PocketsphinxRecognizer& operator=(const PocketsphinxRecognizer&) = delete;
  /// The words heard in mono `samples` at `sample_rate` (resampled to 16 kHz), lower case.
  /// One utterance at a time (the decoder is not thread-safe).
  std::string recognize(const std::vector<float>& samples, int sample_rate);

 private:
  struct Decoder;
  PocketsphinxModel model_;
  std::unique_ptr<Decoder> decoder_;  // made on first use: loading the model takes a second
  std::mutex mutex_;
};

}  // namespace higgs::generation
