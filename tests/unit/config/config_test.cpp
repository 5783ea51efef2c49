#include <torch/torch.h>

#include "framework/config/config.h"

#include <filesystem>

#include <doctest/doctest.h>

#include "tests/support/test_support.h"

using higgs::Json;

TEST_CASE("yaml scalars follow the YAML 1.2 core schema") {
  Json j = higgs::yaml_to_json(
      "a: 1\nb: 2.5\nc: true\nd: null\ne: '1'\nf: hello\ng: [1, x]\nh: 1e-4\ni: ~\n", "t.yaml");
  CHECK(j["a"] == 1);
  CHECK(j["a"].is_number_integer());
  CHECK(j["b"] == 2.5);
  CHECK(j["c"] == true);
  CHECK(j["d"].is_null());
  CHECK(j["e"] == "1");  // quoted stays a string
  CHECK(j["f"] == "hello");
  CHECK(j["g"] == Json::array({1, "x"}));
  CHECK(j["h"].get<double>() == doctest::Approx(1e-4));
  CHECK(j["i"].is_null());
}

TEST_CASE("invalid yaml names the file and line") {
  try {
    higgs::yaml_to_json("a: [1, 2\nb: 3\n", "bad.yaml");
    FAIL("no error");
  } catch (const higgs::RecipeError& e) {
    CHECK(std::string(e.what()).find("bad.yaml: invalid YAML at line") != std::string::npos);
  }
}

TEST_CASE("yaml aliases: shared values expand, cycles and alias bombs are recipe errors") {
  Json j = higgs::yaml_to_json("base: &b {lr: 0.5, n: [1, 2]}\nother: *b\n", "ok.yaml");
  CHECK(j["other"]["lr"].get<double>() == 0.5);
  CHECK(j["other"]["n"] == Json::array({1, 2}));
  CHECK(j["base"] == j["other"]);

  auto error_of = [](const std::string& text) {
    try {
      higgs::yaml_to_json(text, "r.yaml");
    } catch (const higgs::RecipeError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // The input the fuzzer found: a map that merges itself overflowed the stack.
  std::string cyc = error_of("base: &b\n  <<: *b\n");
  CHECK(cyc.find("r.yaml: invalid YAML at line 1") == 0);
  CHECK(cyc.find("a cycle") != std::string::npos);
  CHECK(error_of("a: &x [1, *x]\n").find("a cycle") != std::string::npos);
  // Ten levels of ten aliases each would be 10^10 values.
  std::string bomb = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    std::string prev = "*l" + std::to_string(i - 1);
    bomb += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) bomb += (k ? ", " : "") + prev;
    bomb += "]\n";
  }
  CHECK(error_of(bomb).find("aliases expand to more than 1000000 values") != std::string::npos);
}

TEST_CASE("jsonnet recipes: imports, ext vars and top-level arguments") {
  higgs::test::TempDir dir("config-jsonnet");
  higgs::test::write_text(dir.file("lib/common.libsonnet"), "{ lr: 0.5 }\n");
  higgs::test::write_text(dir.file("r.jsonnet"),
                          "local c = import 'lib/common.libsonnet';\n"
                          "function(steps=1) { optimizer: { lr: c.lr }, name: std.extVar('who'),"
                          " steps: steps, code: std.extVar('n') }\n");
  higgs::LoadOptions opts;
  opts.ext_str = {{"who", "me"}};
  opts.ext_code = {{"n", "1 + 2"}};
  opts.tla_code = {{"steps", "7"}};
  auto cfg = higgs::load_recipe(dir.file("r.jsonnet"), opts);
  CHECK(cfg.root()["optimizer"]["lr"] == 0.5);
  CHECK(cfg.root()["name"] == "me");
  CHECK(cfg.root()["steps"] == 7);
  CHECK(cfg.root()["code"] == 3);
}

TEST_CASE("jsonnet imports: only the recipe's folder, --jpath folders and the shipped recipes") {
  higgs::test::TempDir dir("config-imports");
  namespace fs = std::filesystem;
  higgs::test::write_text(dir.file("outside/secret.txt"), "password");
  higgs::test::write_text(dir.file("outside/lib.libsonnet"), "{ lr: 0.25 }\n");
  higgs::test::write_text(dir.file("recipe/sub/part.libsonnet"), "{ lr: 0.5 }\n");
  fs::create_symlink(dir.file("outside/secret.txt"), dir.file("recipe/link.txt"));
  auto recipe = [&](const std::string& body) {
    higgs::test::write_text(dir.file("recipe/r.jsonnet"), body + "\n");
    return dir.file("recipe/r.jsonnet");
  };
  // Below the recipe's folder, and the shipped library: allowed.
  CHECK(higgs::load_recipe(recipe("{ lr: (import 'sub/part.libsonnet').lr }"), {}).root()["lr"] ==
        0.5);
  CHECK_NOTHROW(higgs::load_recipe(recipe("local h = import 'lib/higgs.libsonnet'; {}"), {}));
  // Outside, by an absolute path, by .., through a symlink: refused, naming the import.
  for (const std::string& body : std::vector<std::string>{
           "{ d: importstr '" + dir.file("outside/secret.txt") + "' }",
           "{ d: importstr '../outside/secret.txt' }", "{ d: importstr 'link.txt' }",
           "{ lr: (import '../outside/lib.libsonnet').lr }"}) {
    CAPTURE(body);
    CHECK_THROWS_WITH_AS(higgs::load_recipe(recipe(body), {}),
                         doctest::Contains("is outside the folders a recipe may read"),
                         higgs::RecipeError);
  }
  // A folder named with --jpath may be read.
  higgs::LoadOptions opts;
  opts.jpath = {dir.file("outside")};
  CHECK(higgs::load_recipe(recipe("{ lr: (import 'lib.libsonnet').lr }"), opts).root()["lr"] ==
        0.25);
  CHECK(higgs::load_recipe(recipe("{ d: importstr '../outside/secret.txt' }"), opts).root()["d"] ==
        "password");
}

TEST_CASE("jsonnet errors are recipe errors naming the file") {
  higgs::test::TempDir dir("config-jsonnet-err");
  higgs::test::write_text(dir.file("r.jsonnet"), "{ a: std.extVar('missing') }\n");
  CHECK_THROWS_WITH_AS(higgs::load_recipe(dir.file("r.jsonnet"), {}),
                       doctest::Contains("Jsonnet evaluation failed"), higgs::RecipeError);
  CHECK_THROWS_WITH_AS(higgs::load_recipe(dir.file("nope.jsonnet"), {}),
                       doctest::Contains("recipe file not found"), higgs::RecipeError);
  higgs::test::write_text(dir.file("list.json"), "[1, 2]\n");
  CHECK_THROWS_WITH_AS(higgs::load_recipe(dir.file("list.json"), {}),
                       doctest::Contains("must evaluate to an object"), higgs::RecipeError);
}

TEST_CASE("--set overrides parse JSON, fall back to strings and record provenance") {
  higgs::Config cfg(
      Json{{"optimizer", {{"lr", 0.1}}}, {"callbacks", Json::array({Json{{"every", 1}}})}},
      "r.jsonnet");
  higgs::Diagnostics d;
  cfg.apply_override("optimizer.lr=0.001", d);
  cfg.apply_override("optimizer.betas=[0.8, 0.9]", d);
  cfg.apply_override("name=fast run", d);
  cfg.apply_override("new.deep.key=true", d);
  cfg.apply_override("callbacks[0].every=5", d);
  cfg.apply_override("callbacks.0.name=x", d);
  CHECK(d.empty());
  CHECK(cfg.root()["optimizer"]["lr"] == 0.001);
  CHECK(cfg.root()["optimizer"]["betas"] == Json::array({0.8, 0.9}));
  CHECK(cfg.root()["name"] == "fast run");
  CHECK(cfg.root()["new"]["deep"]["key"] == true);
  CHECK(cfg.root()["callbacks"][0]["every"] == 5);
  CHECK(cfg.root()["callbacks"][0]["name"] == "x");
  auto p = cfg.provenance("optimizer.lr");
  CHECK(p.origin == higgs::Origin::kOverride);
  CHECK(p.detail == "--set optimizer.lr=0.001");
  CHECK(cfg.provenance("optimizer").origin == higgs::Origin::kRecipe);
  CHECK(cfg.overrides()["callbacks[0].every"] == 5);

  cfg.apply_override("callbacks[3].every=1", d);
  cfg.apply_override("no_equals", d);
  cfg.apply_override("optimizer.lr.x=1", d);
  REQUIRE(d.size() == 3);
  CHECK(d.items()[0].message.find("is a list of 1 items") != std::string::npos);
  CHECK(d.items()[1].message.find("expected KEY=VALUE") != std::string::npos);
  CHECK(d.items()[2].message.find("not an object") != std::string::npos);
}

TEST_CASE("flatten and split_path") {
  Json j = {{"a", {{"b", 1}, {"c", Json::array({2, Json{{"d", 3}}})}}}, {"e", Json::object()}};
  auto flat = higgs::flatten(j);
  REQUIRE(flat.size() == 4);
  CHECK(flat[0].first == "a.b");
  CHECK(flat[1].first == "a.c[0]");
  CHECK(flat[2].first == "a.c[1].d");
  CHECK(flat[3].first == "e");
  CHECK(higgs::split_path("a.b[2].c") == std::vector<std::string>{"a", "b", "2", "c"});
}

TEST_CASE("did-you-mean suggestions") {
  CHECK(higgs::did_you_mean("weight_decy", {"lr", "weight_decay", "betas"}) == "weight_decay");
  CHECK(higgs::did_you_mean("cosin", {"constant", "linear", "cosine"}) == "cosine");
  CHECK(higgs::did_you_mean("zzzzzz", {"lr", "betas"}).empty());
  CHECK(higgs::edit_distance("kitten", "sitting") == 3);
}
