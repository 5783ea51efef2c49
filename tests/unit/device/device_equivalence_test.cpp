// The model, LoRA, gradient checkpointing and c10d on the accelerator against the CPU. With a CUDA
// device (scripts/gpu_check.sh runs these there) the comparison is CUDA vs CPU and the process
// group is NCCL; without one (CI) the same code compares the CPU with an independent CPU copy and
// the group is Gloo, which checks the harness, the CPU half of every comparison, the weight and
// batch moves and the RNG replay on the CPU. HIGGS_TEST_DEVICE (cpu, cuda, cuda:N) overrides.
// clang-format off
#include <torch/torch.h>  // before doctest, or glog's CHECK replaces doctest's
#include <doctest/doctest.h>
// clang-format on

#include <sys/socket.h>

#include <cstdlib>
#include <map>

#include <netinet/in.h>

#include "components/adapters/lora.h"
#include "components/models/higgs_audio/higgs_audio.h"
#include "framework/distributed/communicator.h"
#include "framework/util/autocast.h"
#include "framework/util/device.h"
#include "tests/unit/models/higgs_audio_fixture.h"

namespace {

using Grads = std::map<std::string, torch::Tensor>;

torch::Device device_under_test() {
  const char* env = std::getenv("HIGGS_TEST_DEVICE");
  const std::string spec = env && *env ? env : "auto";
  const torch::Device d = higgs::resolve_device(spec, 0, "HIGGS_TEST_DEVICE");
  if (!d.is_cuda()) MESSAGE("no CUDA device: comparing the CPU with an independent CPU copy");
  return d;
}

higgs::HiggsAudioModel make_model(const higgs_test::fs::path& dir, const torch::Device& device) {
  higgs_test::write_json(dir / "config.json", higgs_test::tiny_config_json());
  higgs::HiggsAudioModel::Options o;
  o.path = dir.string();
  o.init = "random";  // seeded: the same weights on every device (initialised on the CPU)
  o.seed = 5;
  return higgs::HiggsAudioModel(o, higgs::RunSettings{0, device.str()});
}

struct StepResult {
  double loss = 0.0;
  Grads grads;  // on the CPU
};

// Loss and gradients of one step, autocast bf16 when `bf16`.
StepResult step(higgs::HiggsAudioModel& model, const higgs::Batch& batch, bool bf16) {
  model.module().zero_grad();
  torch::Tensor total;
  {
    const auto device = model.module().parameters().front().device().type();
    higgs::Bf16Autocast autocast(device, bf16);
    auto terms = model.loss_terms(batch);
    total = torch::zeros({}, torch::TensorOptions().device(terms[0].sum.device()));
    for (const auto& t : terms) total = total + t.sum * t.weight / std::max<int64_t>(t.count, 1);
  }
  total.backward();
  StepResult r;
  r.loss = total.item<double>();
  for (const auto& p : model.module().named_parameters(true))
    if (p.value().grad().defined()) r.grads[p.key()] = p.value().grad().to(torch::kCPU);
  return r;
}

// |a - b| over the gradient vector, relative to |a|.
double relative_grad_error(const Grads& a, const Grads& b) {
  double diff = 0.0, norm = 0.0;
  for (const auto& [name, g] : a) {
    REQUIRE_MESSAGE(b.count(name), name);
    diff += (g - b.at(name)).pow(2).sum().item<double>();
    norm += g.pow(2).sum().item<double>();
  }
  REQUIRE(norm > 0.0);
  return std::sqrt(diff / norm);
}

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t n = sizeof(a);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  const int port = ntohs(a.sin_port);
  ::close(s);
  return port;
}

}  // namespace

TEST_CASE("device: fp32 forward and backward on the device equal the CPU's (1e-4 relative)") {
  const auto dev = device_under_test();
  auto dir = higgs_test::temp_dir("device_fp32");
  auto cpu = make_model(dir, torch::kCPU);
  auto other = make_model(dir, dev);
  REQUIRE(other.module().parameters().front().device() == dev);
  const auto batch = higgs_test::two_sample_batch();  // CPU tensors: the model moves them
  const auto a = step(cpu, batch, false), b = step(other, batch, false);
  CHECK(std::abs(a.loss - b.loss) <= 1e-4 * std::abs(a.loss));
  CHECK(a.grads.size() == b.grads.size());
  CHECK(a.grads.size() == cpu.module().parameters().size());
  CHECK(relative_grad_error(a.grads, b.grads) < 1e-4);
  higgs_test::fs::remove_all(dir);
}

TEST_CASE("device: bf16 autocast forward and backward within bf16 rounding of the fp32 CPU run") {
  const auto dev = device_under_test();
  auto dir = higgs_test::temp_dir("device_bf16");
  auto cpu = make_model(dir, torch::kCPU);
  auto other = make_model(dir, dev);
  const auto batch = higgs_test::two_sample_batch();
  const auto ref = step(cpu, batch, false);
  const auto b = step(other, batch, true);
  // bf16 keeps 8 significant bits (relative rounding 2^-9); through a few layers the loss moves
  // by a few of those, the gradient vector by a few percent. fp32 weights and gradients stay.
  CHECK(std::abs(ref.loss - b.loss) <= 2e-2 * std::abs(ref.loss));
  CHECK(relative_grad_error(ref.grads, b.grads) < 5e-2);
  for (const auto& [name, g] : b.grads) CHECK_MESSAGE((g.scalar_type() == torch::kFloat), name);
  const auto again = step(other, batch, true);  // and the device's bf16 run is repeatable
  CHECK(relative_grad_error(b.grads, again.grads) < 1e-6);
  higgs_test::fs::remove_all(dir);
}

TEST_CASE("device: gradient checkpointing with LoRA dropout equals no checkpointing") {
  const auto dev = device_under_test();
  auto dir = higgs_test::temp_dir("device_ckpt");
  auto run = [&](bool checkpointing, uint64_t seed) {
    auto model = make_model(dir, dev);
    higgs::LoraAdapter::Options o;
    o.r = 4;
    o.alpha = 8;
    o.dropout = 0.3;  // draws from the generator of the device the activations are on
    o.target_modules = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                        "gate_proj", "up_proj", "down_proj"};
    torch::manual_seed(3);  // lora_A's initialisation draws from the CPU generator
    higgs::LoraAdapter lora(o);
    lora.attach(model);
    {
      torch::NoGradGuard no_grad;
      for (auto& p : lora.parameters())
        if (p.name.find("lora_B") != std::string::npos) p.tensor.normal_(0.0, 0.1);
    }
    model.module().train();
    model.net().gradient_checkpointing = checkpointing;
    torch::manual_seed(seed);  // every device's default generator
    return step(model, higgs_test::two_sample_batch(), false);
  };
  const auto plain = run(false, 11), ckpt = run(true, 11), other_draw = run(false, 12);
  CHECK(plain.grads.size() == ckpt.grads.size());
  CHECK(plain.loss == doctest::Approx(ckpt.loss).epsilon(1e-6));
  CHECK(relative_grad_error(plain.grads, ckpt.grads) < 1e-5);
  // The dropout masks matter: another draw gives other gradients, so equality above means the
  // recompute replayed the forward's random numbers.
  CHECK(relative_grad_error(plain.grads, other_draw.grads) > 1e-3);
  higgs_test::fs::remove_all(dir);
}

TEST_CASE("device: a one-process NCCL (Gloo on the CPU) group all-reduces and broadcasts") {
  const auto dev = device_under_test();
  higgs::DistributedConfig cfg;
  cfg.world_size = 1;
  cfg.rank = 0;
  cfg.local_rank = dev.is_cuda() ? dev.index() : 0;
  cfg.master_addr = "127.0.0.1";
  cfg.master_port = free_port();
  cfg.backend = dev.is_cuda() ? "nccl" : "gloo";
  cfg.timeout = std::chrono::seconds(60);
  auto comm = higgs::init_communicator(cfg, dev.str());
  CHECK(comm->backend() == cfg.backend);
  CHECK(comm->world_size() == 1);
  CHECK(comm->device() == (dev.is_cuda() ? dev : torch::Device(torch::kCPU)));
  auto opts = torch::TensorOptions().device(comm->device());
  std::vector<torch::Tensor> t{torch::tensor({1.0f, -2.0f, 3.5f}, opts),
                               torch::tensor({7.0, 8.0}, opts.dtype(torch::kBFloat16))};
  comm->all_reduce(t, higgs::ReduceOp::Sum);
  CHECK(torch::equal(t[0].cpu(), torch::tensor({1.0f, -2.0f, 3.5f})));
  CHECK(torch::equal(t[1].cpu(), torch::tensor({7.0, 8.0}, torch::kBFloat16)));
  comm->all_reduce(t, higgs::ReduceOp::Max);
  comm->broadcast(t, 0);
  CHECK(torch::equal(t[0].cpu(), torch::tensor({1.0f, -2.0f, 3.5f})));
  CHECK(comm->agree(true));
  CHECK_FALSE(comm->agree(false));
}
