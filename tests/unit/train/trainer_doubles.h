// Small components registered only in the test binary to exercise the trainer: a linear
// regression "model" with a loss split into two terms, a synthetic dataset, a stacking collator
// and plain SGD; and the helpers the trainer tests share to run a recipe and read its run
// directory.
#pragma once

#include <torch/torch.h>

#include <sstream>
#include <string>
#include <vector>

#include "framework/registry/registry.h"
#include "framework/run/component_builder.h"
#include "framework/run/runner.h"
#include "framework/train/collator.h"
#include "framework/train/dataset.h"
#include "framework/train/trainer.h"
#include "tests/support/test_support.h"

namespace higgs::test {

struct LinearModel : Model {
  struct Options {
    int64_t dim = 4;
  };
  static void bind(Binder& b, Options& o) { b.opt("dim", o.dim, "Input size."); }
  explicit LinearModel(const Options& o) {
    net = std::make_shared<torch::nn::LinearImpl>(o.dim, 2);
  }
  torch::nn::Module& module() override { return *net; }
  std::vector<LossTerm> loss_terms(const Batch& b) override {
    auto y = net->forward(b.at("x"));
    auto err = (y - b.at("y")).pow(2);
    auto mask = b.at("mask");  // (B, 2): which targets count
    std::vector<LossTerm> terms;
    for (int k = 0; k < 2; ++k) {
      LossTerm t;
      t.name = "out" + std::to_string(k);
      t.group = k == 0 ? "first" : "second";
      t.sum = (err.select(1, k) * mask.select(1, k)).sum();
      t.count = mask.select(1, k).sum().item<int64_t>();
      terms.push_back(t);
    }
    return terms;
  }
  std::map<std::string, int64_t> target_counts(const Batch& b) const override {
    auto mask = b.at("mask");
    return {{"out0", mask.select(1, 0).sum().item<int64_t>()},
            {"out1", mask.select(1, 1).sum().item<int64_t>()}};
  }
  void save(const std::string& dir) const override { torch::save(net->weight, dir + "/weight.pt"); }
  Json config() const override { return Json::object(); }
  std::shared_ptr<torch::nn::LinearImpl> net;
};

struct SyntheticData : Dataset {
  struct Options {
    int64_t size = 32;
    int64_t dim = 4;
    std::vector<int64_t> bad;  // indices that raise SampleError
    double max_bad = 0.0;
    bool lengths = true;                 // info(): lengths 1 + (37 i mod 50)
    std::vector<std::string> languages;  // labels(): language/languages[i mod n]
    std::string name;
  };
  static void bind(Binder& b, Options& o) {
    b.opt("size", o.size, "Samples.");
    b.opt("dim", o.dim, "Input size.");
    b.opt("bad", o.bad, "Indices that fail.");
    b.opt("max_bad_fraction", o.max_bad, "Allowed bad fraction.");
    b.opt("lengths", o.lengths, "Whether info() tells lengths.");
    b.opt("languages", o.languages, "Language labels, cycled over the samples.");
    b.opt("name", o.name, "Dataset name.");
  }
  static int64_t length_of(size_t i) { return 1 + static_cast<int64_t>((37 * i) % 50); }
  std::optional<SampleInfo> info(size_t i) const override {
    if (!o_.lengths) return std::nullopt;
    return SampleInfo{length_of(i), {{"difficulty", double(i % 10)}}};
  }
  std::vector<std::string> labels(size_t i) const override {
    if (o_.languages.empty()) return {};
    return {"language/" + o_.languages[i % o_.languages.size()]};
  }
  std::string name() const override { return o_.name; }
  explicit SyntheticData(const Options& o) : o_(o) {}
  size_t size() const override { return o_.size; }
  Example get(size_t i) const override {
    for (auto b : o_.bad)
      if (b == static_cast<int64_t>(i))
        throw SampleError("synthetic:" + std::to_string(i), "marked bad");
    auto gen = at::detail::createCPUGenerator(1000 + i);
    auto x = at::randn({o_.dim}, gen);
    auto y = at::stack({x.sum(), x[0] - x[1]});
    // Every third sample has no second target: term counts differ per batch.
    auto mask = torch::tensor({1.0, i % 3 == 0 ? 0.0 : 1.0});
    return Example{{{"x", x}, {"y", y}, {"mask", mask}}, Json{{"index", i}}};
  }
  double max_bad_fraction() const override { return o_.max_bad; }
  Options o_;
};

struct StackCollator : Collator {
  struct Options {};
  static void bind(Binder&, Options&) {}
  explicit StackCollator(const Options&) {}
  Batch collate(const std::vector<Example>& ex) const override {
    Batch b;
    for (const char* k : {"x", "y", "mask"}) {
      std::vector<at::Tensor> v;
      for (const auto& e : ex) v.push_back(e.tensors.at(k));
      b.tensors[k] = at::stack(v);
    }
    for (const auto& e : ex) b.infos.push_back(e.info);
    return b;
  }
};

struct PlainSgd : Optimizer {
  struct Options {
    double lr = 0.1;
  };
  static void bind(Binder& b, Options& o) { b.opt("lr", o.lr, "Learning rate."); }
  PlainSgd(const Options& o, const ParameterList& trainable) : lr(o.lr), params(trainable) {}
  void step(double scale) override {
    torch::NoGradGuard g;
    for (auto& p : params) p.tensor.add_(p.tensor.grad(), -lr * scale);
    ++steps;
  }
  void zero_grad() override {
    for (auto& p : params)
      if (p.tensor.grad().defined()) p.tensor.mutable_grad().zero_();
  }
  double base_lr() const override { return lr; }
  TensorMap state() const override { return {{"steps", torch::tensor(steps)}}; }
  void load_state(const TensorMap& s) override { steps = s.at("steps").item<int64_t>(); }
  double lr;
  int64_t steps = 0;
  ParameterList params;
};

/// A recipe of these doubles: the linear model on `train_size` and `eval_size` synthetic samples,
/// stacked, plain SGD at lr 0.05, one thread, and the given trainer options (no progress bar).
inline Json linear_recipe(const std::string& out, Json trainer, int64_t seed = 7,
                          int64_t train_size = 16, int64_t eval_size = 8) {
  trainer["progress_bar"] = false;
  return Json{{"seed", seed},
              {"output_dir", out},
              {"threads", 1},
              {"model", {{"type", "test_linear"}}},
              {"train_data", {{"type", "test_synthetic"}, {"size", train_size}}},
              {"eval_data", {{"type", "test_synthetic"}, {"size", eval_size}}},
              {"collator", "test_stack"},
              {"optimizer", {{"type", "test_sgd"}, {"lr", 0.05}}},
              {"trainer", std::move(trainer)}};
}

/// Plans and runs a recipe given as JSON ("test.json" in messages); returns the exit code.
inline int run_json(const Json& recipe, RunFlags flags = {}) {
  return run_plan(plan_recipe(Config(recipe, "test.json")), flags);
}

/// The records of a JSON-lines file (metrics.jsonl).
inline std::vector<Json> read_jsonl(const std::string& path) {
  std::vector<Json> out;
  std::istringstream in(read_text(path));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(Json::parse(line));
  return out;
}

/// The weight LinearModel saved in OUT/final.
inline at::Tensor final_weight(const std::string& out) {
  at::Tensor w;
  torch::load(w, out + "/final/weight.pt");
  return w;
}

}  // namespace higgs::test
