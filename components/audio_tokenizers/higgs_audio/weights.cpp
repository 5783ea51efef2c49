#include <torch/torch.h>

#include "components/audio_tokenizers/higgs_audio/weights.h"

#include <sstream>
#include <stdexcept>

namespace higgs::higgs_audio {
namespace {

std::string shape_str(at::IntArrayRef s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
  o << "]";
  return o.str();
}

std::string join_limited(const std::vector<std::string>& v, size_t limit) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < limit; ++i) out += "\n    " + v[i];
  if (v.size() > limit) out += "\n    ... and " + std::to_string(v.size() - limit) + " more";
  return out;
}

}  // namespace

WeightReader::WeightReader(const TensorMap* weights, at::TensorOptions options)
    : weights_(weights), options_(options) {}

const at::Tensor* WeightReader::find(const std::string& name, const std::vector<int64_t>& shape) {
  auto it = weights_->find(name);
  if (it == weights_->end()) return nullptr;
  used_.insert(name);
  if (it->second.sizes() != at::IntArrayRef(shape)) {
    mismatched_.push_back(name + ": expected " + shape_str(shape) + ", found " +
                          shape_str(it->second.sizes()));
    return nullptr;
  }
  return &it->second;
}

at::Tensor WeightReader::take(const std::string& name, const std::vector<int64_t>& shape) {
  spec_.emplace_back(name, shape);
  if (spec_only()) return at::empty(shape, options_);
  auto it = weights_->find(name);
  if (it == weights_->end()) {
    missing_.push_back(name + " " + shape_str(shape));
    return at::zeros(shape, options_);
  }
  const at::Tensor* t = find(name, shape);
  if (!t) return at::zeros(shape, options_);
  return t->to(options_).contiguous();
}

at::Tensor WeightReader::take_weight_norm(const std::string& prefix,
                                          const std::vector<int64_t>& shape, int64_t dim,
                                          WeightNormNames names) {
  std::vector<int64_t> g_shape(shape.size(), 1);
  g_shape[dim] = shape[dim];
  const bool gv = names == WeightNormNames::kGV;
  const std::string g_name = prefix + (gv ? ".weight_g" : ".parametrizations.weight.original0");
  const std::string v_name = prefix + (gv ? ".weight_v" : ".parametrizations.weight.original1");
  spec_.emplace_back(g_name, g_shape);
  spec_.emplace_back(v_name, shape);
  if (spec_only()) return at::empty(shape, options_);

  // Any of the three spellings; the first one present is used.
  const std::pair<std::string, std::string> forms[] = {
      {prefix + ".weight_g", prefix + ".weight_v"},
      {prefix + ".parametrizations.weight.original0",
       prefix + ".parametrizations.weight.original1"}};
  for (const auto& [gn, vn] : forms) {
    if (!weights_->count(gn) && !weights_->count(vn)) continue;
    if (!weights_->count(gn) || !weights_->count(vn)) {
      missing_.push_back((weights_->count(gn) ? vn : gn) + " (its pair is present)");
      used_.insert(gn);
      used_.insert(vn);
      return at::zeros(shape, options_);
    }
    const at::Tensor* g = find(gn, g_shape);
    const at::Tensor* v = find(vn, shape);
    if (!g || !v) return at::zeros(shape, options_);
    // Folded in fp32 with torch's own kernel, as nn.utils.weight_norm computes it.
    at::Tensor w = at::_weight_norm(v->to(at::kFloat), g->to(at::kFloat), dim);
    return w.to(options_).contiguous();
  }
  if (weights_->count(prefix + ".weight")) {
    const at::Tensor* w = find(prefix + ".weight", shape);
    return w ? w->to(options_).contiguous() : at::zeros(shape, options_);
  }
  missing_.push_back(g_name + " " + shape_str(g_shape));
  missing_.push_back(v_name + " " + shape_str(shape));
  return at::zeros(shape, options_);
}

void WeightReader::skip(const std::string& name, const std::vector<int64_t>& shape) {
  spec_.emplace_back(name, shape);
  if (spec_only()) return;
  if (!weights_->count(name)) {
    missing_.push_back(name + " " + shape_str(shape));
    return;
  }
  find(name, shape);
}

void WeightReader::finish(const std::string& source) const {
  if (spec_only()) return;
  std::vector<std::string> unexpected;
  for (const auto& [name, t] : *weights_)
    if (!used_.count(name)) unexpected.push_back(name + " " + shape_str(t.sizes()));
  if (missing_.empty() && unexpected.empty() && mismatched_.empty()) return;
  std::ostringstream o;
  o << source << ": the tensors do not match the Higgs audio tokenizer built from its config.json ("
    << missing_.size() << " missing, " << unexpected.size() << " unexpected, " << mismatched_.size()
    << " with another shape)";
  if (!missing_.empty()) o << "\n  missing:" << join_limited(missing_, 20);
  if (!unexpected.empty()) o << "\n  unexpected:" << join_limited(unexpected, 20);
  if (!mismatched_.empty()) o << "\n  shape mismatch:" << join_limited(mismatched_, 20);
  o << "\n  Check that config.json belongs to this checkpoint.";
  throw std::runtime_error(o.str());
}

}  // namespace higgs::higgs_audio
