#include "components/generation/pocketsphinx_recognizer.h"

#include <err.h>  // sphinxbase: err_set_logfp
#include <pocketsphinx.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "components/audio/audio_io.h"

namespace higgs::generation {

namespace fs = std::filesystem;

PocketsphinxModel PocketsphinxModel::debian_en_us(const std::string& dir) {
  const fs::path root =
      dir.empty() ? fs::path("/usr/share/pocketsphinx/model/en-us") : fs::path(dir);
  return {(root / "en-us").string(), (root / "en-us.lm.bin").string(),
          (root / "cmudict-en-us.dict").string()};
}

std::string PocketsphinxModel::missing() const {
  std::string out;
  for (const auto& p : {hmm, lm, dict})
    if (!fs::exists(p)) out += (out.empty() ? "" : ", ") + p;
  return out;
}

struct PocketsphinxRecognizer::Decoder {
  ps_decoder_t* ps = nullptr;
  ~Decoder() {
    if (ps) ps_free(ps);
  }
};

PocketsphinxRecognizer::PocketsphinxRecognizer(PocketsphinxModel model)
    : model_(std::move(model)) {}

PocketsphinxRecognizer::~PocketsphinxRecognizer() = default;

std::string PocketsphinxRecognizer::recognize(const std::vector<float>& samples, int sample_rate) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!decoder_) {
    // Its log (several hundred lines per model load) would bury the training log.
    err_set_logfp(nullptr);
    cmd_ln_t* config =
        cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", model_.hmm.c_str(), "-lm", model_.lm.c_str(),
                    "-dict", model_.dict.c_str(), "-logfn", "/dev/null", nullptr);
    if (!config)
      throw std::runtime_error("pocketsphinx: bad model configuration (" + model_.hmm + ")");
    auto d = std::make_unique<Decoder>();
    d->ps = ps_init(config);
    cmd_ln_free_r(config);  // the decoder keeps its own reference
    if (!d->ps)
      throw std::runtime_error("pocketsphinx: cannot load the model " + model_.hmm + " / " +
                               model_.lm + " / " + model_.dict);
    decoder_ = std::move(d);
  }
  const std::vector<float> x =
      sample_rate == 16000 ? samples : resample(samples, sample_rate, 16000);
  std::vector<int16_t> pcm(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    pcm[i] = static_cast<int16_t>(std::lround(std::clamp(x[i], -1.0f, 1.0f) * 32767.0f));
  ps_decoder_t* ps = decoder_->ps;
  if (ps_start_utt(ps) < 0) throw std::runtime_error("pocketsphinx: cannot start an utterance");
  ps_process_raw(ps, pcm.data(), pcm.size(), FALSE, TRUE);
  ps_end_utt(ps);
  int32 score = 0;
  const char* hyp = ps_get_hyp(ps, &score);
  return hyp ? hyp : "";
}

}  // namespace higgs::generation
