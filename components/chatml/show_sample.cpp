#include "components/chatml/show_sample.h"

#include <iostream>
#include <memory>
#include <stdexcept>

#include <ATen/core/Tensor.h>

#include "components/chatml/chatml_dataset.h"
#include "components/chatml/chatml_layout.h"
#include "components/tasks/recipe_parts.h"
#include "components/text/text_tokenizer.h"
#include "framework/run/component_builder.h"
#include "framework/run/runner.h"

namespace higgs {
namespace {

// One separately encoded piece of the sample, in the order prepare_chatml_sample encodes them.
struct SampleSegment {
  int64_t turn = 0;
  std::string role, kind, text;
  bool labelled = false;
  int64_t audio = -1;  // index into audio_contents for audio placeholders
};

// Mirrors prepare_chatml_sample piece by piece; sample_view checks the concatenation against it,
// so the display can never drift from what the model is fed.
std::vector<SampleSegment> segments_of(const ChatMLSample& s) {
  std::vector<SampleSegment> out;
  const auto n = static_cast<int64_t>(s.messages.size());
  int64_t audio = 0;
  for (int64_t turn = 0; turn < n; ++turn) {
    const ChatMLMessage& m = s.messages[turn];
    const bool trainable = !s.start_index || turn >= *s.start_index;
    const bool assistant = m.role == "assistant";
    out.push_back({turn, m.role, "header",
                   std::string(turn == 0 ? "<|begin_of_text|>" : "") + "<|start_header_id|>" +
                       m.role + "<|end_header_id|>\n\n",
                   false});
    if (m.recipient)
      out.push_back({turn, m.role, "recipient", *m.recipient + "<|recipient|>", true});
    for (const ChatMLContent& c : m.content) {
      if (c.is_text()) {
        out.push_back({turn, m.role, "text", c.text, assistant && trainable});
      } else if (m.role == "user" || m.role == "system") {
        out.push_back(
            {turn, m.role, "audio_in", "<|audio_bos|><|AUDIO|><|audio_eos|>", false, audio++});
      } else if (assistant) {
        out.push_back({turn, m.role, "audio_out", "<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|>",
                       trainable, audio++});
      } else {
        // Other roles get no placeholder (as in the reference), yet the audio is still listed.
        out.push_back({turn, m.role, "audio_unplaced", "", false, audio++});
      }
    }
    const bool next_is_assistant = turn + 1 < n && s.messages[turn + 1].role == "assistant";
    out.push_back({turn, m.role, "end",
                   assistant && next_is_assistant ? "<|eom_id|>" : "<|eot_id|>",
                   assistant && trainable});
  }
  return out;
}

std::string quoted(const std::string& s) {
  // Byte-level pieces may be partial UTF-8: show those bytes as U+FFFD.
  return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

Json sample_view(const ChatMLSample& sample, const TextTokenizer& tok,
                 const std::vector<AudioCodesShape>& audio) {
  const ChatMLTokens ref = prepare_chatml_sample(sample, tok);
  if (!audio.empty() && audio.size() != ref.audio_contents.size())
    throw std::invalid_argument(sample.source + ": " + std::to_string(audio.size()) +
                                " audio shapes for " + std::to_string(ref.audio_contents.size()) +
                                " audios");
  Json j = Json::object();
  j["source"] = sample.source;
  j["start_index"] = sample.start_index ? Json(*sample.start_index) : Json(nullptr);
  Json segs = Json::array(), positions = Json::array(), audios = Json::array();
  std::vector<int64_t> ids_all, labels_all;
  const std::vector<SampleSegment> segments = segments_of(sample);
  for (size_t si = 0; si < segments.size(); ++si) {
    const SampleSegment& sg = segments[si];
    std::vector<int64_t> ids = sg.text.empty() ? std::vector<int64_t>{} : tok.encode(sg.text);
    std::vector<int64_t> labels(ids.size(), kIgnoreIndex);
    if (sg.labelled) labels = ids;
    Json seg = {{"index", si},     {"turn", sg.turn}, {"role", sg.role}, {"kind", sg.kind},
                {"text", sg.text}, {"ids", ids},      {"labels", labels}};
    if (sg.audio >= 0) {
      seg["audio"] = sg.audio;
      // Audio-out is trained exactly when its <|AUDIO_OUT|> token carries a label (the collator's
      // rule); audio-in never is.
      bool trained = false;
      int64_t position = -1;
      auto audio_out = tok.token_to_id("<|AUDIO_OUT|>"), audio_in = tok.token_to_id("<|AUDIO|>");
      for (size_t k = 0; k < ids.size(); ++k) {
        if ((sg.kind == "audio_out" && audio_out && ids[k] == *audio_out) ||
            (sg.kind == "audio_in" && audio_in && ids[k] == *audio_in)) {
          position = static_cast<int64_t>(ids_all.size() + k);
          trained = sg.kind == "audio_out" && labels[k] != kIgnoreIndex;
        }
      }
      const AudioCodesShape shape = audio.empty() ? AudioCodesShape{} : audio[sg.audio];
      Json a = {{"index", sg.audio},
                {"kind", sg.kind == "audio_out" ? "out" : "in"},
                {"frames", shape.frames < 0 ? Json(nullptr) : Json(shape.frames)},
                {"codebooks", shape.codebooks < 0 ? Json(nullptr) : Json(shape.codebooks)},
                {"trained", trained},
                {"segment", si},
                {"position", position < 0 ? Json(nullptr) : Json(position)}};
      const ChatMLContent& c = ref.audio_contents[sg.audio];
      a["audio_url"] = c.audio_url;
      if (!c.audio_path.empty()) a["audio_path"] = c.audio_path;
      audios.push_back(a);
    }
    for (size_t k = 0; k < ids.size(); ++k) {
      positions.push_back({{"index", ids_all.size()},
                           {"id", ids[k]},
                           {"piece", tok.id_to_token(ids[k])},
                           {"label", labels[k]},
                           {"segment", si}});
      ids_all.push_back(ids[k]);
      labels_all.push_back(labels[k]);
    }
    segs.push_back(std::move(seg));
  }
  if (ids_all != ref.input_ids || labels_all != ref.label_ids)
    throw std::logic_error(sample.source +
                           ": show-sample's segments differ from prepare_chatml_sample; please "
                           "report this bug");
  j["segments"] = std::move(segs);
  j["positions"] = std::move(positions);
  j["audio"] = std::move(audios);
  int64_t labelled = 0;
  for (int64_t l : labels_all) labelled += l != kIgnoreIndex;
  j["num_tokens"] = ids_all.size();
  j["num_labelled"] = labelled;
  return j;
}

void show_sample(const ChatMLSample& sample, const TextTokenizer& tok,
                 const std::vector<AudioCodesShape>& audio, const ShowSampleOptions& opts,
                 std::ostream& out) {
  Json v = sample_view(sample, tok, audio);
  if (opts.format == "json") {
    if (!opts.heading.empty()) v["heading"] = opts.heading;
    if (!opts.note.empty()) v["note"] = opts.note;
    out << v.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    return;
  }
  if (opts.format != "text")
    throw std::invalid_argument("unknown format \"" + opts.format + "\" (use text or json)");
  const std::string green = opts.color ? "\033[32m" : "", dim = opts.color ? "\033[2m" : "",
                    bold = opts.color ? "\033[1m" : "", reset = opts.color ? "\033[0m" : "";
  if (!opts.heading.empty()) out << bold << opts.heading << reset << "\n";
  out << "source: " << sample.source << "\n";
  out << "tokens: " << v["num_tokens"].get<int64_t>()
      << ", labelled: " << v["num_labelled"].get<int64_t>() << "; audio: " << v["audio"].size()
      << "; start_index: " << (sample.start_index ? std::to_string(*sample.start_index) : "none")
      << "\n";
  if (!opts.note.empty()) out << "note: " << opts.note << "\n";
  int64_t pos = 0;
  for (const Json& seg : v["segments"]) {
    const auto ids = seg["ids"].get<std::vector<int64_t>>();
    const auto labels = seg["labels"].get<std::vector<int64_t>>();
    size_t labelled = 0;
    for (int64_t l : labels) labelled += l != kIgnoreIndex;
    const std::string kind = seg["kind"].get<std::string>();
    const std::string mark = ids.empty()              ? ""
                             : labelled == ids.size() ? "[labelled]"
                             : labelled == 0          ? "[no label]"
                                                      : "[partly labelled]";
    const std::string& col = labelled ? green : dim;
    out << "\n"
        << col << "#" << seg["index"].get<int64_t>() << " turn " << seg["turn"].get<int64_t>()
        << " " << seg["role"].get<std::string>() << " " << kind;
    if (!ids.empty())
      out << "  positions " << pos << ".." << pos + static_cast<int64_t>(ids.size()) - 1;
    out << "  " << mark << reset << "\n";
    if (seg.contains("audio")) {
      const Json& a = v["audio"][seg["audio"].get<size_t>()];
      out << "  " << col << "audio " << a["index"].get<int64_t>() << " ("
          << (a["kind"] == "out" ? "audio-out" : "audio-in") << "): ";
      if (a["frames"].is_null())
        out << "frames ? x codebooks ?";
      else
        out << a["frames"].get<int64_t>() << " frames x " << a["codebooks"].get<int64_t>()
            << " codebooks";
      out << ", "
          << (a["trained"].get<bool>() ? "trained (audio labels)" : "[no label] (not trained)")
          << reset << "  " << a["audio_url"].get<std::string>() << "\n";
      if (kind == "audio_unplaced")
        out << "  (role " << seg["role"].get<std::string>() << " gets no audio placeholder)\n";
    } else {
      out << "  text: " << quoted(seg["text"].get<std::string>()) << "\n";
    }
    if (ids.empty()) continue;
    out << "  ids:";
    for (size_t k = 0; k < ids.size(); ++k)
      out << " " << (labels[k] != kIgnoreIndex ? green : dim) << ids[k] << reset;
    out << "\n  pieces:";
    for (size_t k = 0; k < ids.size(); ++k)
      out << " " << (labels[k] != kIgnoreIndex ? green : dim) << quoted(tok.id_to_token(ids[k]))
          << reset;
    out << "\n";
    pos += static_cast<int64_t>(ids.size());
  }
}

void show_dataset_sample(const ChatMLDataset& dataset, const TextTokenizer& tok, size_t index,
                         ShowSampleOptions opts, std::ostream& out) {
  if (index >= dataset.size())
    throw std::out_of_range("index " + std::to_string(index) +
                            " is out of range: the dataset has " + std::to_string(dataset.size()) +
                            " samples (indices 0.." +
                            std::to_string(static_cast<int64_t>(dataset.size()) - 1) + ")");
  const ChatMLSample& s = dataset.sample(index);
  std::vector<AudioCodesShape> shapes;
  try {
    Example ex = dataset.get(index);
    const at::Tensor& codes = ex.tensors.at("audio_ids_concat");
    const at::Tensor& starts = ex.tensors.at("audio_ids_start");
    const int64_t n = starts.numel(), total = codes.dim() == 2 ? codes.size(1) : 0;
    for (int64_t a = 0; a < n; ++a) {
      const int64_t begin = starts[a].item<int64_t>();
      const int64_t end = a + 1 < n ? starts[a + 1].item<int64_t>() : total;
      shapes.push_back({end - begin, codes.size(0)});
    }
  } catch (const std::exception& e) {
    // Still show the text layout: it is often what explains why the sample is rejected.
    shapes.clear();
    opts.note = std::string("the sample could not be loaded, audio shapes unknown: ") + e.what();
  }
  show_sample(s, tok, shapes, opts, out);
}

int run_show_sample_command(const ShowSampleArgs& args, std::ostream& out, std::ostream& err) {
  if (args.split != "train" && args.split != "eval") {
    err << "show-sample: --split must be train or eval, not \"" << args.split << "\"\n";
    return 2;
  }
  if (args.format != "text" && args.format != "json") {
    err << "show-sample: unknown format \"" << args.format << "\" (use text or json)\n";
    return 2;
  }
  if (args.index < 0) {
    err << "show-sample: --index must be >= 0\n";
    return 2;
  }
  const std::string key = args.split + "_data";
  try {
    RecipeArgs ra;
    ra.recipe = args.recipe;
    ra.load = args.load;
    RecipePlan plan = load_plan(ra, /*check_task=*/false);
    ComponentBuilder components(plan);
    RecipeParts parts(components, RunSettings{plan.settings.seed, plan.settings.device, {}});
    if (!components.has(key)) {
      err << "show-sample: " << args.recipe << " has no " << key << " (the " << args.split
          << " split); add it to the recipe or use --split "
          << (args.split == "train" ? "eval" : "train") << "\n";
      return 1;
    }
    if (!components.has("text_tokenizer")) {
      err << "show-sample: " << args.recipe << " has no text_tokenizer\n";
      return 1;
    }
    auto tok = parts.text_tokenizer();
    auto ds = std::dynamic_pointer_cast<ChatMLDataset>(parts.dataset(key));
    if (!ds) {
      err << "show-sample: " << key << " of " << args.recipe
          << " is not a ChatML dataset (zero_shot_voice_cloning or chatml)\n";
      return 1;
    }
    ShowSampleOptions o;
    o.format = args.format;
    o.color = args.color;
    o.heading = args.split + "[" + std::to_string(args.index) + "] of " +
                std::to_string(ds->size()) + " samples";
    show_dataset_sample(*ds, *tok, static_cast<size_t>(args.index), o, out);
    return 0;
  } catch (const std::exception& e) {
    err << "show-sample: " << args.recipe << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace higgs
