// Task `example_greeting`, registered from a plugin: writes a greeting into the run directory.
//
//   { output_dir: "runs/hello", task: { type: "example_greeting", name: "world", repeat: 2 } }
#include <fstream>

#include "framework/registry/plugin.h"
#include "framework/run/task.h"

namespace {

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
    std::ofstream out(ctx.plan.settings.output_dir + "/greeting.txt");
    for (int64_t i = 0; i < o_.repeat; ++i) out << "hello " << o_.name << "\n";
    return 0;
  }

 private:
  Options o_;
};

}  // namespace

HIGGS_PLUGIN_ENTRY() {
  higgs::register_component<higgs::Task, ExampleGreeting>(
      "example_greeting", "Writes a greeting (example plugin).", __FILE__);
}
