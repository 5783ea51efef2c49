// Augmentation `noise`: background noise under the reference at a drawn signal-to-noise ratio,
// from a folder of noise recordings (MUSAN, DEMAND, your own room) or generated white or pink
// noise when no folder is given.
//
//   reference_augmentation: [ { type: 'noise', snr_db: [10, 30], noise_dir: 'data/noise' } ]
#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>

#include "components/audio/audio_io.h"
#include "components/audio/augmentation.h"
#include "components/audio/augmentation_dsp.h"
#include "framework/config/diagnostics.h"
#include "framework/registry/registry.h"

namespace fs = std::filesystem;

namespace higgs {
namespace {

class NoiseAugmentation : public Augmentation {
 public:
  struct Options {
    std::vector<double> snr_db{10.0, 30.0};
    std::string noise_dir;  // "": generated noise of `color`
    std::string color = "pink";
    double probability = 1.0;
  };
  static void bind(Binder& b, Options& o) {
    bind_range(b, "snr_db", o.snr_db, "Signal-to-noise ratio in dB, drawn from [low, high].");
    b.opt("noise_dir", o.noise_dir,
          "Folder of noise recordings (any audio format; searched recursively); \"\" = "
          "generated noise.");
    b.choice("color", o.color, {"white", "pink"}, "Generated noise (when noise_dir is \"\").");
    bind_probability(b, o.probability);
  }
  static void check_plan(const Options& o, const RecipePlan&, const std::string& path,
                         Diagnostics& diags) {
    check_range(o.snr_db, -20.0, 80.0, path + ".snr_db", diags);
    if (!o.noise_dir.empty() && !noise_files(o.noise_dir).size())
      diags.error(path + ".noise_dir",
                  "\"" + o.noise_dir + "\" holds no audio files (.wav, .flac, .ogg, .mp3)");
  }
  explicit NoiseAugmentation(const Options& o)
      : o_(o), snr_{o.snr_db.at(0), o.snr_db.at(1)}, files_(noise_files(o.noise_dir)) {}
  double probability() const override { return o_.probability; }

 protected:
  void apply(std::vector<float>& x, int rate, std::mt19937_64& rng) const override {
    if (x.empty()) return;
    const double snr = uniform_between(rng, snr_.first, snr_.second);
    if (files_.empty()) {
      auto noise = o_.color == "white" ? augment::white_noise(x.size(), rng)
                                       : augment::pink_noise(x.size(), rng);
      augment::add_noise_at_snr(x, noise, snr);
      return;
    }
    const std::vector<float>& noise = noise_at(files_[rng() % files_.size()], rate);
    augment::add_noise_at_snr(x, noise, snr, static_cast<size_t>(rng() % noise.size()));
  }

 private:
  static std::vector<std::string> noise_files(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    if (dir.empty() || !fs::is_directory(dir, ec)) return out;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      std::string ext = it->path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
      if (it->is_regular_file() &&
          (ext == ".wav" || ext == ".flac" || ext == ".ogg" || ext == ".mp3"))
        out.push_back(it->path().string());
    }
    std::sort(out.begin(), out.end());  // the same list, so the same draws, on every machine
    return out;
  }
  // A noise file at `rate`, decoded once (loader threads share it).
  const std::vector<float>& noise_at(const std::string& path, int rate) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = decoded_[{path, rate}];
    if (slot.empty()) {
      LoadAudioOptions lo;
      lo.target_sample_rate = rate;
      slot = load_audio(path, lo).samples;
      if (slot.empty()) throw std::runtime_error("augmentation noise: " + path + " has no samples");
    }
    return slot;
  }

  Options o_;
  std::pair<double, double> snr_;
  std::vector<std::string> files_;
  mutable std::mutex mu_;
  mutable std::map<std::pair<std::string, int>, std::vector<float>> decoded_;
};

}  // namespace

HIGGS_REGISTER(Augmentation, NoiseAugmentation, "noise",
               "Noise under the reference at a drawn SNR (a folder of recordings, or generated).");

}  // namespace higgs
