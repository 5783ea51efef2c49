// Activation checkpointing for one decoder layer: LibTorch's C++ frontend has no
// torch.utils.checkpoint, so a custom autograd Function keeps only the layer input and re-runs the
// layer in backward. The base layers draw no random numbers, but an attached adapter may (LoRA
// dropout), so the generators the layer draws from (the CPU one and, for CUDA inputs, the input
// device's) are saved in forward and replayed for the recompute; and the recompute runs under the
// autocast state of the forward (bf16 training), as torch.utils.checkpoint does.
#include <torch/torch.h>

#include <mutex>

#include <ATen/Context.h>

#include "components/models/higgs_audio/model.h"
#include "framework/util/autocast.h"

namespace higgs::higgs_audio {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The generators a layer on `device` draws from: the CPU's, plus the CUDA device's.
std::vector<at::Generator> generators_for(const at::Device& device) {
  std::vector<at::Generator> out{at::detail::getDefaultCPUGenerator()};
  if (device.is_cuda()) out.push_back(at::globalContext().defaultGenerator(device));
  return out;
}

std::vector<at::Tensor> rng_states(std::vector<at::Generator>& gens) {
  std::vector<at::Tensor> out;
  for (auto& g : gens) {
    std::lock_guard<std::mutex> lock(g.mutex());
    out.push_back(g.get_state());
  }
  return out;
}

void set_rng_states(std::vector<at::Generator>& gens, const std::vector<at::Tensor>& states) {
  for (size_t i = 0; i < gens.size(); ++i) {
    std::lock_guard<std::mutex> lock(gens[i].mutex());
    gens[i].set_state(states[i]);
  }
}

struct CheckpointedLayerFn : public torch::autograd::Function<CheckpointedLayerFn> {
  // `params` are passed only so that autograd routes their gradients through this node.
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::TensorList params,
                               DecoderLayerImpl* layer, const LayerInputs* in) {
    ctx->save_for_backward({x});
    auto gens = generators_for(x.device());
    ctx->saved_data["rng"] = rng_states(gens);
    const auto autocast = AutocastState::of(x.device().type());
    ctx->saved_data["autocast"] = autocast.enabled;
    ctx->saved_data["autocast_dtype"] = static_cast<int64_t>(autocast.dtype);
    // The layer and the shared inputs outlive backward: the model owns the layer, and the shared
    // inputs are copied (tensor handles only) into the context.
    ctx->saved_data["layer"] = reinterpret_cast<int64_t>(layer);
    ctx->saved_data["num_params"] = static_cast<int64_t>(params.size());
    ctx->saved_data["cos"] = in->cos;
    ctx->saved_data["sin"] = in->sin;
    ctx->saved_data["attn_mask"] = in->attn_mask;
    ctx->saved_data["ff_attn_mask"] = in->ff_attn_mask;
    ctx->saved_data["audio_mask"] = in->audio_mask;
    ctx->saved_data["has_audio"] = in->has_audio;
    if (in->audio_idx.defined()) {
      ctx->saved_data["audio_idx"] = in->audio_idx;
      ctx->saved_data["text_idx"] = in->text_idx;
    }
    return layer->forward(x, *in);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto x = ctx->get_saved_variables()[0];
    auto* layer = reinterpret_cast<DecoderLayerImpl*>(ctx->saved_data["layer"].toInt());
    LayerInputs in;
    in.cos = ctx->saved_data["cos"].toTensor();
    in.sin = ctx->saved_data["sin"].toTensor();
    in.attn_mask = ctx->saved_data["attn_mask"].toTensor();
    in.ff_attn_mask = ctx->saved_data["ff_attn_mask"].toTensor();
    in.audio_mask = ctx->saved_data["audio_mask"].toTensor();
    in.has_audio = ctx->saved_data["has_audio"].toBool();
    if (ctx->saved_data.count("audio_idx")) {
      in.audio_idx = ctx->saved_data["audio_idx"].toTensor();
      in.text_idx = ctx->saved_data["text_idx"].toTensor();
    }
    const int64_t n = ctx->saved_data["num_params"].toInt();

    torch::AutoGradMode enable(true);
    auto xd = x.detach().requires_grad_(true);
    auto gens = generators_for(x.device());
    const auto current = rng_states(gens);
    set_rng_states(gens, ctx->saved_data["rng"].toTensorVector());
    torch::Tensor y;
    try {
      AutocastScope autocast(
          x.device().type(), ctx->saved_data["autocast"].toBool(),
          static_cast<at::ScalarType>(ctx->saved_data["autocast_dtype"].toInt()));
      y = layer->forward(xd, in);
    } catch (...) {
      set_rng_states(gens, current);
      throw;
    }
    set_rng_states(gens, current);
    std::vector<torch::Tensor> wrt{xd};
    std::vector<int64_t> slot{0};
    auto params = layer->parameters();
    for (int64_t i = 0; i < n; ++i)
      if (params[i].requires_grad()) {
        wrt.push_back(params[i]);
        slot.push_back(1 + i);
      }
    auto grads = torch::autograd::grad({y}, wrt, {grad_out[0]}, /*retain_graph=*/false,
                                       /*create_graph=*/false, /*allow_unused=*/true);
    variable_list out(1 + n + 2);  // x, params..., layer, inputs (the last two never get grads)
    for (size_t i = 0; i < grads.size(); ++i) out[slot[i]] = grads[i];
    if (!x.requires_grad()) out[0] = torch::Tensor();
    return out;
  }
};

}  // namespace

torch::Tensor checkpointed_layer(DecoderLayer& layer, const torch::Tensor& x,
                                 const LayerInputs& in) {
  auto params = layer->parameters();
  return CheckpointedLayerFn::apply(x, torch::TensorList(params), layer.get(), &in);
}

}  // namespace higgs::higgs_audio
