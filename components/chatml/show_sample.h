// `higgs-run show-sample`: one sample as the model sees it (segments, token ids, labels, audio
// placeholders). The CLI wiring lives in app/cli/tool_commands.cpp; this is the body, usable
// from tests without a recipe. The output is documented in docs/data-format.md ("Inspecting
// samples").
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "components/chatml/chatml.h"
#include "framework/config/config.h"

namespace higgs {

class TextTokenizer;
class ChatMLDataset;

/// Shape of the codes of one audio (K codebooks, T frames), before the collator adds BOS/EOS and
/// the delay pattern. -1: unknown (no codes were made, e.g. the sample could not be loaded).
struct AudioCodesShape {
  int64_t frames = -1, codebooks = -1;
};

struct ShowSampleOptions {
  std::string format = "text";  // "text" or "json"
  bool color = false;           // ANSI colours in the text form (labelled green, unlabelled dim)
  std::string heading;  // first line of the text form / "heading" in JSON, e.g. "train[3] of 12"
  std::string note;     // e.g. why audio shapes are unknown; printed / "note" in JSON
};

/// The JSON view: {"source", "segments": [{index, turn, role, kind, text, ids, labels}],
/// "positions": [{index, id, piece, label, segment}], "audio": [{index, kind: "in"|"out",
/// frames, codebooks, trained, segment, position}]}. Token ids and labels are checked against
/// prepare_chatml_sample (throws std::logic_error if they ever differ). `audio` holds one shape per
/// audio content in placeholder order, or is empty (shapes unknown).
Json sample_view(const ChatMLSample& sample, const TextTokenizer& tokenizer,
                 const std::vector<AudioCodesShape>& audio = {});

/// Renders sample_view as text (segments in order) or JSON (one object) on `out`.
void show_sample(const ChatMLSample& sample, const TextTokenizer& tokenizer,
                 const std::vector<AudioCodesShape>& audio, const ShowSampleOptions& opts,
                 std::ostream& out);

/// Sample `index` of a ChatML dataset: the ChatML structure from sample(index), audio shapes from
/// get(index) (the audio is encoded or read from the code cache). Throws std::out_of_range with
/// the dataset size when `index` is past the end.
void show_dataset_sample(const ChatMLDataset& dataset, const TextTokenizer& tokenizer, size_t index,
                         ShowSampleOptions opts, std::ostream& out);

/// Command-line arguments of `higgs-run show-sample`.
struct ShowSampleArgs {
  std::string recipe;
  LoadOptions load;
  std::string split = "train";  // "train" (train_data) or "eval" (eval_data)
  int64_t index = 0;
  std::string format = "text";
  bool color = false;
};

/// Builds the recipe's dataset for the split and its text_tokenizer, then show_dataset_sample.
/// Returns the exit code: 0 done, 1 the recipe or sample could not be read, 2 usage.
int run_show_sample_command(const ShowSampleArgs& args, std::ostream& out, std::ostream& err);

}  // namespace higgs
