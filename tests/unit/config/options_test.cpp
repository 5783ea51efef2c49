#include <torch/torch.h>

#include "framework/config/options.h"

#include <doctest/doctest.h>

using higgs::Json;

namespace {

struct Opts {
  double lr = 1e-3;
  int64_t steps = 10;
  bool flag = false;
  std::string mode = "mean";
  std::string path;
  std::vector<std::string> targets{"q_proj"};
  std::optional<double> clip;
  static void bind(higgs::Binder& b, Opts& o) {
    b.opt("lr", o.lr, "Learning rate.").min(0.0);
    b.opt("steps", o.steps, "Steps.").min(1).max(100);
    b.opt("flag", o.flag, "A flag.");
    b.choice("mode", o.mode, {"mean", "sum"}, "Reduction.");
    b.req("path", o.path, "Checkpoint directory");
    b.opt("targets", o.targets, "Modules.");
    b.opt("clip", o.clip, "Clip value.");
  }
};

higgs::Diagnostics read(const Json& node, Opts& o) {
  higgs::Diagnostics d;
  higgs::OptionReader r(node, "model", d);
  Opts::bind(r, o);
  r.finish();
  return d;
}

}  // namespace

TEST_CASE("strict reading fills values and keeps defaults") {
  Opts o;
  auto d =
      read({{"type", "x"}, {"lr", 0.5}, {"path", "/m"}, {"targets", {"a", "b"}}, {"clip", 1}}, o);
  CHECK(d.empty());
  CHECK(o.lr == 0.5);
  CHECK(o.steps == 10);
  CHECK(o.path == "/m");
  CHECK(o.targets == std::vector<std::string>{"a", "b"});
  REQUIRE(o.clip.has_value());
  CHECK(*o.clip == 1.0);
}

TEST_CASE("every problem is reported with its path") {
  Opts o;
  auto d = read({{"lr", "fast"},
                 {"steps", 1000},
                 {"mode", "meen"},
                 {"flag", 1},
                 {"lrr", 1},
                 {"targets", {"a", 3}}},
                o);
  std::vector<std::string> lines;
  for (const auto& item : d.items()) lines.push_back(item.path + ": " + item.message);
  REQUIRE(lines.size() == 7);
  CHECK(lines[0] == "model.lr: expected a number, got string \"fast\"");
  CHECK(lines[1] == "model.steps: value 1000 is above the maximum 100");
  CHECK(lines[2] == "model.flag: expected a boolean, got number 1");
  CHECK(lines[3] == "model.mode: \"meen\" is not one of: mean, sum (did you mean \"mean\"?)");
  CHECK(lines[4] == "model.path: missing required option (Checkpoint directory)");
  CHECK(lines[5] == "model.targets[1]: expected a string, got number 3");
  CHECK(lines[6] == "model.lrr: unknown key \"lrr\" (did you mean \"lr\"?)");
}

TEST_CASE("integers accept integral floats only, null means default only for optionals") {
  Opts o;
  auto d = read({{"path", "p"}, {"steps", 20.0}, {"clip", nullptr}}, o);
  CHECK(d.empty());
  CHECK(o.steps == 20);
  CHECK_FALSE(o.clip.has_value());
  Opts o2;
  auto d2 = read({{"path", "p"}, {"steps", 2.5}, {"lr", nullptr}}, o2);
  REQUIRE(d2.size() == 2);
  CHECK(d2.items()[0].message.find("null is not allowed") != std::string::npos);
  CHECK(d2.items()[1].message == "expected an integer, got number 2.5");
}

TEST_CASE("writer and schema reflect declared options") {
  Opts o;
  higgs::OptionWriter w;
  Opts::bind(w, o);
  w.finish();
  CHECK(w.out["lr"] == 1e-3);
  CHECK(w.out["mode"] == "mean");
  CHECK(w.out["clip"].is_null());
  CHECK(w.out.size() == 7);
  higgs::OptionDescriber desc;
  Opts::bind(desc, o);
  desc.finish();
  REQUIRE(desc.fields.size() == 7);
  Json s = higgs::field_schema(desc.fields[1], desc.refs[1]);
  CHECK(s["type"] == "integer");
  CHECK(s["minimum"] == 1.0);
  CHECK(s["maximum"] == 100.0);
  CHECK(s["default"] == 10);
  Json m = higgs::field_schema(desc.fields[3], desc.refs[3]);
  CHECK(m["enum"] == Json::array({"mean", "sum"}));
  Json p = higgs::field_schema(desc.fields[4], desc.refs[4]);
  CHECK_FALSE(p.contains("default"));
}
