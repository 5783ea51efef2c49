#include <torch/torch.h>

#include "components/adapters/adaptable_linear.h"

#include <doctest/doctest.h>

#include "components/adapters/lora_linear.h"

using higgs::AdaptableLinear;
using higgs::LoraInit;
using higgs::LoraLinear;

namespace {

std::vector<std::string> names(torch::nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& p : m.named_parameters(true)) out.push_back(p.key());
  return out;
}

}  // namespace

TEST_CASE("AdaptableLinear: same parameters, names and initialisation as torch::nn::Linear") {
  torch::manual_seed(7);
  torch::nn::Linear ref(torch::nn::LinearOptions(5, 3).bias(true));
  torch::manual_seed(7);
  AdaptableLinear lin(5, 3, /*bias=*/true);
  CHECK(names(*lin) == std::vector<std::string>{"weight", "bias"});
  CHECK(torch::equal(lin->weight, ref->weight));
  CHECK(torch::equal(lin->bias, ref->bias));
  auto x = torch::randn({2, 4, 5});
  CHECK(torch::equal(lin->forward(x), ref->forward(x)));

  AdaptableLinear no_bias(5, 3);  // bias defaults to false, as Higgs' linear layers have none
  CHECK(names(*no_bias) == std::vector<std::string>{"weight"});
  CHECK_FALSE(no_bias->bias.defined());
  CHECK(no_bias->weight.sizes() == torch::IntArrayRef{3, 5});
  CHECK(no_bias->in_features() == 5);
  CHECK(no_bias->out_features() == 3);
  AdaptableLinear from_options(torch::nn::LinearOptions(4, 2).bias(false));
  CHECK(from_options->weight.sizes() == torch::IntArrayRef{2, 4});
}

TEST_CASE("AdaptableLinear with LoRA: PEFT names, x (W + s B A)^T, detach restores the layer") {
  torch::manual_seed(1);
  AdaptableLinear lin(6, 4, /*bias=*/true);
  auto lora = std::make_shared<LoraLinear>(6, 4, /*r=*/2, /*scale=*/1.5, /*dropout=*/0.0,
                                           LoraInit::kDefault);
  lin->attach_adapter(lora);
  CHECK(names(*lin) ==
        std::vector<std::string>{"weight", "bias", "lora_A.weight", "lora_B.weight"});
  CHECK(lora->lora_A->weight.sizes() == torch::IntArrayRef{2, 6});
  CHECK(lora->lora_B->weight.sizes() == torch::IntArrayRef{4, 2});
  auto x = torch::randn({3, 6});
  // B starts at zero: the adapted layer is exactly the base layer.
  CHECK(torch::equal(lin->forward(x), torch::nn::functional::linear(x, lin->weight, lin->bias)));

  torch::NoGradGuard no_grad;
  lora->lora_B->weight.normal_();
  auto A = lora->lora_A->weight, B = lora->lora_B->weight;
  auto expected = x.matmul((lin->weight + 1.5 * B.matmul(A)).t()) + lin->bias;
  CHECK(torch::allclose(lin->forward(x), expected, 1e-5, 1e-6));
  CHECK(torch::allclose(lora->delta_weight(), 1.5 * B.matmul(A), 1e-6, 1e-7));

  lora->set_enabled(false);
  CHECK(torch::equal(lin->forward(x), torch::nn::functional::linear(x, lin->weight, lin->bias)));
  lora->set_enabled(true);

  CHECK_THROWS_WITH_AS(lin->attach_adapter(lora),
                       doctest::Contains("an adapter is already attached"), std::logic_error);
  lin->detach_adapter();
  CHECK(names(*lin) == std::vector<std::string>{"weight", "bias"});
  CHECK(torch::equal(lin->forward(x), torch::nn::functional::linear(x, lin->weight, lin->bias)));
}

TEST_CASE("LoRA on a bf16 layer: fp32 adapter weights, bf16 output of base + cast delta") {
  torch::manual_seed(2);
  AdaptableLinear lin(8, 4);
  lin->to(at::kBFloat16);
  auto lora = std::make_shared<LoraLinear>(8, 4, 2, 2.0, 0.0, LoraInit::kDefault);
  lin->attach_adapter(lora);
  torch::NoGradGuard no_grad;
  lora->lora_B->weight.normal_();
  CHECK((lin->weight.scalar_type() == at::kBFloat16));
  CHECK((lora->lora_A->weight.scalar_type() == at::kFloat));
  auto x = torch::randn({5, 8}).to(at::kBFloat16);
  auto y = lin->forward(x);
  CHECK((y.scalar_type() == at::kBFloat16));
  auto xf = x.to(at::kFloat);
  auto delta = (xf.matmul(lora->lora_A->weight.t()).matmul(lora->lora_B->weight.t()) * 2.0)
                   .to(at::kBFloat16);
  CHECK(torch::equal(y, torch::nn::functional::linear(x, lin->weight, {}) + delta));
}

TEST_CASE("LoRA dropout acts in training mode only, following the layer's train()/eval()") {
  torch::manual_seed(3);
  AdaptableLinear lin(32, 4);
  auto lora = std::make_shared<LoraLinear>(32, 4, 4, 1.0, 0.5, LoraInit::kDefault);
  lin->attach_adapter(lora);
  torch::NoGradGuard no_grad;
  lora->lora_B->weight.normal_();
  auto x = torch::randn({16, 32});
  auto exact = x.matmul((lin->weight + lora->delta_weight()).t());

  lin->eval();
  CHECK_FALSE(lora->is_training());
  CHECK_FALSE(lora->lora_dropout->is_training());
  CHECK(torch::allclose(lin->forward(x), exact, 1e-5, 1e-5));
  CHECK(torch::equal(lin->forward(x), lin->forward(x)));

  lin->train();
  CHECK(lora->lora_dropout->is_training());
  auto a = lin->forward(x), b = lin->forward(x);
  CHECK_FALSE(torch::allclose(a, exact, 1e-3, 1e-3));
  CHECK_FALSE(torch::equal(a, b));
  // The same dropout mask, drawn again from the same seed: only the adapter's input is dropped.
  torch::manual_seed(11);
  auto dropped = lin->forward(x);
  torch::manual_seed(11);
  auto noise = torch::dropout(torch::ones_like(x), 0.5, /*train=*/true);
  CHECK(((noise == 0) | (noise == 2)).all().item<bool>());
  auto expected = x.matmul(lin->weight.t()) +
                  (x * noise).matmul(lora->lora_A->weight.t()).matmul(lora->lora_B->weight.t());
  CHECK(torch::allclose(dropped, expected, 1e-5, 1e-5));
}
