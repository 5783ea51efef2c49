// The checkpoint layout of the Transformers port of Higgs Audio v2 (transformers >= 5.3,
// HiggsAudioV2ForConditionalGeneration, model_type "higgs_audio_v2"): its config.json and tensor
// names, to and from the released (Boson) layout. The mapping is the port's own converter's
// (convert_higgs_audio_v2_to_hf.py); docs/fidelity.md says what the port can and cannot hold.
#pragma once

#include <string>

#include "framework/config/config.h"

namespace higgs {

struct HiggsAudioConfig;

/// model_type "higgs_audio_v2".
bool is_transformers_port_config(const Json& config);

/// A port config.json as the released layout's config (text_config, audio_* keys). Throws naming
/// `source` when a field the model needs is missing.
Json config_from_transformers_port(const Json& port, const std::string& source);

/// The port's config.json for a model, or throws explaining why the port cannot hold it (a
/// layer that is not DualFFN, an audio tower, audio self-attention, ...).
Json transformers_port_config(const HiggsAudioConfig& cfg);

/// Tensor names: released -> port (audio_codebook_embeddings. -> model.embed_audio_tokens.
/// embed_audio_tokens., embed_tokens/layers/norm -> model.*, audio_decoder_proj. -> "") and back.
std::string transformers_port_tensor_name(const std::string& released);
std::string released_tensor_name(const std::string& port);

}  // namespace higgs
