// The Higgs Audio training loss as loss terms (spec 2.2-2.3; why the audio shift is right:
// docs/model-and-loss.md). Text: shifted causal CE on the expanded sequence. Audio: per codebook,
// the logits at audio-out column j predict label_audio_ids[:, j+1] over the concatenated stream.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "components/models/higgs_audio/model.h"
#include "framework/train/model.h"

namespace higgs::higgs_audio {

struct LossOptions {
  double text_loss_weight = 1.0;
  double audio_loss_weight = 1.0;        // multiplies every codebook weight
  std::vector<double> codebook_weights;  // empty = all 1
  std::string reduction = "mean";        // "mean": codebooks averaged; "sum": summed
};

/// Weight of codebook k's term: audio_loss_weight * w_k (/ K for "mean").
double codebook_term_weight(const LossOptions& o, int64_t k, int64_t num_codebooks);

/// Runs the model and returns {"text", "audio_cb0".."audio_cb{K-1}"} terms. The text head is
/// evaluated only at positions whose next label is a target (same values, far less work).
std::vector<LossTerm> compute_loss_terms(HiggsAudioModelImpl& model, const Batch& batch,
                                         const LossOptions& opts);

/// Target counts of each term from the labels alone (no forward pass).
std::map<std::string, int64_t> count_targets(const HiggsAudioModelImpl& model, const Batch& batch);

}  // namespace higgs::higgs_audio
