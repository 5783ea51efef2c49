#include "components/chatml/sample_filters.h"

namespace higgs {

void SampleFilters::bind(Binder& b, SampleFilters& f) {
  b.opt("min_target_seconds", f.min_target_seconds, "Drop targets shorter; 0 = no bound.").min(0.0);
  b.opt("max_target_seconds", f.max_target_seconds, "Drop targets longer; 0 = no bound.").min(0.0);
  b.opt("min_reference_seconds", f.min_reference_seconds,
        "Drop samples whose reference audio is shorter; 0 = no bound.")
      .min(0.0);
  b.opt("max_reference_seconds", f.max_reference_seconds,
        "Drop samples whose reference audio is longer; 0 = no bound.")
      .min(0.0);
  b.opt("min_text_chars", f.min_text_chars, "Drop target transcripts with fewer characters.")
      .min(0);
  b.opt("max_text_chars", f.max_text_chars, "Drop target transcripts with more characters.").min(0);
  b.opt("min_chars_per_second", f.min_chars_per_second,
        "Drop targets spoken slower (transcript characters per second; a wrong transcript).")
      .min(0.0);
  b.opt("max_chars_per_second", f.max_chars_per_second,
        "Drop targets spoken faster (transcript characters per second; a wrong transcript).")
      .min(0.0);
  b.opt("drop_reference_equal_to_target", f.drop_reference_equal_to_target,
        "Drop samples whose reference audio is the target audio (the model would learn to copy).");
  b.opt("max_clipped_fraction", f.max_clipped_fraction,
        "Drop targets with more of their samples at full scale; 0 = not checked (decodes audio).")
      .min(0.0)
      .max(1.0);
  b.opt("min_speech_fraction", f.min_speech_fraction,
        "Drop targets with less speech (near-silence); 0 = not checked (decodes audio).")
      .min(0.0)
      .max(1.0);
}

bool SampleFilters::any() const {
  return min_target_seconds > 0 || max_target_seconds > 0 || min_reference_seconds > 0 ||
         max_reference_seconds > 0 || min_text_chars > 0 || max_text_chars > 0 ||
         min_chars_per_second > 0 || max_chars_per_second > 0 || drop_reference_equal_to_target ||
         needs_audio();
}

std::optional<std::string> SampleFilters::reason_to_drop(const SampleFacts& f) const {
  if (min_target_seconds > 0 && f.target_seconds < min_target_seconds)
    return "target_seconds < min_target_seconds";
  if (max_target_seconds > 0 && f.target_seconds > max_target_seconds)
    return "target_seconds > max_target_seconds";
  if (min_reference_seconds > 0 && f.reference_seconds < min_reference_seconds)
    return "reference_seconds < min_reference_seconds";
  if (max_reference_seconds > 0 && f.reference_seconds > max_reference_seconds)
    return "reference_seconds > max_reference_seconds";
  if (min_text_chars > 0 && f.text_chars < min_text_chars) return "text_chars < min_text_chars";
  if (max_text_chars > 0 && f.text_chars > max_text_chars) return "text_chars > max_text_chars";
  if (min_chars_per_second > 0 && f.chars_per_second() < min_chars_per_second)
    return "chars_per_second < min_chars_per_second";
  if (max_chars_per_second > 0 && f.chars_per_second() > max_chars_per_second)
    return "chars_per_second > max_chars_per_second";
  if (drop_reference_equal_to_target && f.reference_is_target) return "reference equals target";
  if (max_clipped_fraction > 0 && f.target_clipped_fraction > max_clipped_fraction)
    return "target clipped_fraction > max_clipped_fraction";
  if (min_speech_fraction > 0 && f.target_speech_fraction >= 0 &&
      f.target_speech_fraction < min_speech_fraction)
    return "target speech_fraction < min_speech_fraction (near-silence)";
  return std::nullopt;
}

}  // namespace higgs
