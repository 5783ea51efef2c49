// A plugin that adds a kind of its own and a task that uses it:
//   kind `greeting_style` (recipe key `greeting_style`), with component `shout`;
//   task `example_greeting`, which writes a greeting into the run directory in that style.
//
//   { output_dir: "runs/hello", greeting_style: "shout",
//     task: { type: "example_greeting", name: "world", repeat: 2 } }
//
// and a task that reuses built-in parts through the installed component headers (it links
// HiggsTrain::higgs_components): `example_audio_report` reads a ChatML file with the ChatML reader
// and writes, per audio item, its sample rate and length as the audio reader sees them.
#include <cctype>
#include <fstream>

#include "components/audio/audio_io.h"
#include "components/chatml/chatml.h"
#include "framework/registry/plugin.h"
#include "framework/registry/registry.h"
#include "framework/run/component_builder.h"
#include "framework/run/task.h"

namespace {

// The plugin's own kind: how a greeting is written.
class GreetingStyle {
 public:
  static constexpr const char* kKind = "greeting_style";
  virtual ~GreetingStyle() = default;
  virtual std::string apply(const std::string& line) const = 0;
};

class Shout : public GreetingStyle {
 public:
  struct Options {
    std::string suffix = "!";
  };
  static void bind(higgs::Binder& b, Options& o) {
    b.opt("suffix", o.suffix, "Appended to each line.");
  }
  explicit Shout(const Options& o) : o_(o) {}
  std::string apply(const std::string& line) const override {
    std::string out = line;
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out + o_.suffix;
  }

 private:
  Options o_;
};

class ExampleGreeting : public higgs::Task {
 public:
  struct Options {
    std::string name = "world";
    int64_t repeat = 1;
  };
  static void bind(higgs::Binder& b, Options& o) {
    b.opt("name", o.name, "Who to greet.");
    b.opt("repeat", o.repeat, "How many lines to write.").min(1);
  }
  explicit ExampleGreeting(const Options& o) : o_(o) {}
  std::vector<std::string> required_keys() const override { return {"output_dir"}; }
  int run(higgs::TaskContext& ctx) override {
    auto style = ctx.components.build_optional<GreetingStyle>("greeting_style");
    std::ofstream out(ctx.plan.settings.output_dir + "/greeting.txt");
    for (int64_t i = 0; i < o_.repeat; ++i) {
      const std::string line = "hello " + o_.name;
      out << (style ? style->apply(line) : line) << "\n";
    }
    return 0;
  }

 private:
  Options o_;
};

class ExampleAudioReport : public higgs::Task {
 public:
  struct Options {
    std::string data;
  };
  static void bind(higgs::Binder& b, Options& o) {
    b.req("data", o.data, "ChatML file (JSONL or JSON array) whose audio is reported.");
  }
  explicit ExampleAudioReport(const Options& o) : o_(o) {}
  std::vector<std::string> required_keys() const override { return {"output_dir"}; }
  int run(higgs::TaskContext& ctx) override {
    std::ofstream out(ctx.plan.settings.output_dir + "/audio_report.txt");
    for (const auto& sample : higgs::load_chatml_file(o_.data)) {
      for (const auto& message : sample.messages) {
        for (const auto& item : message.content) {
          if (!item.is_audio() || item.audio_path.empty()) continue;
          const higgs::AudioBuffer audio = higgs::load_audio(item.audio_path);
          out << sample.source << " " << message.role << " " << item.audio_url << " "
              << audio.sample_rate << " Hz " << audio.samples.size() << " samples\n";
        }
      }
    }
    return 0;
  }

 private:
  Options o_;
};

}  // namespace

HIGGS_PLUGIN_ENTRY() {
  higgs::declare_kind({GreetingStyle::kKind,
                       "How a greeting is written (example plugin).",
                       500,
                       {{"greeting_style"}}});
  higgs::register_component<GreetingStyle, Shout>("shout", "Upper case, with a suffix.", __FILE__);
  higgs::register_component<higgs::Task, ExampleGreeting>(
      "example_greeting", "Writes a greeting (example plugin).", __FILE__);
  higgs::register_component<higgs::Task, ExampleAudioReport>(
      "example_audio_report", "Reports a ChatML file's audio (example plugin).", __FILE__);
}
