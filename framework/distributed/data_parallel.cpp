#include "framework/distributed/data_parallel.h"

#include <cstring>
#include <stdexcept>

#include <ATen/ATen.h>

namespace higgs {

namespace {

/// A 52-bit FNV-1a hash of `names`, exact in a double.
double names_hash(const std::vector<std::string>& names) {
  uint64_t h = 1469598103934665603ULL;
  for (const auto& n : names) {
    for (unsigned char c : n) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
  }
  return static_cast<double>(h >> 12);
}

/// True when every rank passed the same `names`.
bool same_names_on_all_ranks(Communicator& comm, const std::vector<std::string>& names) {
  double v = names_hash(names);
  auto r = all_reduce_values(comm, {v, -v}, ReduceOp::Max);
  return r[0] == v && -r[1] == v;
}

std::string joined(const std::vector<std::string>& names) {
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return list;
}

/// Groups parameter indices, in order, into buckets of one dtype and at most `bucket_bytes` (a
/// larger tensor gets a bucket of its own).
std::vector<std::vector<size_t>> make_buckets(const ParameterList& params,
                                              const std::vector<size_t>& which,
                                              int64_t bucket_bytes) {
  std::vector<std::vector<size_t>> buckets;
  int64_t filled = 0;
  at::ScalarType dtype = at::kFloat;
  for (size_t i : which) {
    const at::Tensor& t = params[i].tensor;
    const int64_t n = t.numel() * static_cast<int64_t>(t.element_size());
    if (buckets.empty() || t.scalar_type() != dtype || (filled > 0 && filled + n > bucket_bytes)) {
      buckets.emplace_back();
      filled = 0;
      dtype = t.scalar_type();
    }
    buckets.back().push_back(i);
    filled += n;
  }
  return buckets;
}

}  // namespace

std::vector<double> all_reduce_values(Communicator& comm, std::vector<double> values, ReduceOp op) {
  if (comm.world_size() == 1 || values.empty()) return values;
  at::Tensor t = at::tensor(values, at::kDouble).to(comm.device());
  std::vector<at::Tensor> ts{t};
  comm.all_reduce(ts, op);
  t = ts[0].cpu();
  for (size_t i = 0; i < values.size(); ++i) values[i] = t[static_cast<int64_t>(i)].item<double>();
  return values;
}

Json broadcast_json(Communicator& comm, const Json& value, int root) {
  if (comm.world_size() == 1) return value;
  const std::string text = comm.rank() == root ? value.dump() : std::string();
  // The length first, so every rank can size the byte tensor.
  std::vector<at::Tensor> size{
      at::tensor({static_cast<int64_t>(text.size())}, at::kLong).to(comm.device())};
  comm.broadcast(size, root);
  const int64_t n = size[0].cpu().item<int64_t>();
  at::Tensor bytes = at::zeros({n}, at::kByte);
  if (comm.rank() == root && n > 0)
    std::memcpy(bytes.data_ptr<uint8_t>(), text.data(), text.size());
  std::vector<at::Tensor> payload{bytes.to(comm.device())};
  comm.broadcast(payload, root);
  const at::Tensor got = payload[0].cpu().contiguous();
  return Json::parse(
      std::string(reinterpret_cast<const char*>(got.data_ptr<uint8_t>()), static_cast<size_t>(n)));
}

namespace {

// Moves the tensors of params[which] through one collective per flat bucket, in the parameters'
// dtype (bf16 gradients are reduced in bf16, as DDP does; Gloo and NCCL both reduce bf16 in
// LibTorch 2.x): `pack(p, slot)` fills the parameter's 1-D slot of the bucket,
// `collective({flat})` runs on the whole bucket, and `unpack(p, slot)` reads the slot back,
// viewed in the parameter's shape.
template <class Pack, class Collective, class Unpack>
void walk_buckets(Communicator& comm, const ParameterList& params, const std::vector<size_t>& which,
                  int64_t bucket_bytes, Pack pack, Collective collective, Unpack unpack) {
  for (const auto& bucket : make_buckets(params, which, bucket_bytes)) {
    int64_t total = 0;
    for (size_t i : bucket) total += params[i].tensor.numel();
    const auto opts =
        at::TensorOptions(params[bucket.front()].tensor.scalar_type()).device(comm.device());
    at::Tensor flat = at::empty({total}, opts);
    int64_t off = 0;
    for (size_t i : bucket) {
      pack(params[i].tensor, flat.narrow(0, off, params[i].tensor.numel()));
      off += params[i].tensor.numel();
    }
    std::vector<at::Tensor> one{flat};
    collective(one);
    off = 0;
    for (size_t i : bucket) {
      at::Tensor p = params[i].tensor;
      unpack(p, flat.narrow(0, off, p.numel()).view(p.sizes()));
      off += p.numel();
    }
  }
}

}  // namespace

void all_reduce_gradients(Communicator& comm, const ParameterList& params, int64_t bucket_bytes) {
  if (comm.world_size() == 1 || params.empty()) return;
  at::NoGradGuard no_grad;
  // Which gradients exist on some rank.
  std::vector<double> defined(params.size());
  for (size_t i = 0; i < params.size(); ++i) defined[i] = params[i].tensor.grad().defined();
  defined = all_reduce_values(comm, defined, ReduceOp::Max);
  std::vector<size_t> which;
  for (size_t i = 0; i < params.size(); ++i)
    if (defined[i] > 0) which.push_back(i);

  walk_buckets(
      comm, params, which, bucket_bytes,
      [&](const at::Tensor& p, at::Tensor slot) {
        if (p.grad().defined())
          slot.copy_(p.grad().reshape({-1}));
        else
          slot.zero_();
      },
      [&](std::vector<at::Tensor>& flat) { comm.all_reduce(flat, ReduceOp::Sum); },
      [&](at::Tensor p, const at::Tensor& slot) {  // p shares the parameter's TensorImpl
        if (p.grad().defined())
          p.mutable_grad().copy_(slot);
        else
          p.mutable_grad() = slot.to(p.device(), p.scalar_type(), false, /*copy=*/true);
      });
}

void broadcast_parameters(Communicator& comm, const ParameterList& params, int64_t bucket_bytes) {
  if (comm.world_size() == 1 || params.empty()) return;
  at::NoGradGuard no_grad;
  std::vector<size_t> all(params.size());
  for (size_t i = 0; i < params.size(); ++i) all[i] = i;
  walk_buckets(
      comm, params, all, bucket_bytes,
      [](const at::Tensor& p, at::Tensor slot) { slot.copy_(p.reshape({-1})); },
      [&](std::vector<at::Tensor>& flat) { comm.broadcast(flat, 0); },
      [](at::Tensor p, const at::Tensor& slot) { p.copy_(slot); });
}

bool global_window_counts(Communicator& comm, bool have_batches,
                          std::map<std::string, int64_t>& counts) {
  if (comm.world_size() == 1) return have_batches;
  std::vector<std::string> names;
  std::vector<double> values;
  for (const auto& [k, v] : counts) names.push_back(k), values.push_back(static_cast<double>(v));
  // [any batch, number of terms, max hash, -min hash]; a rank without batches knows no term
  // names and passes values below any real one.
  constexpr double kNone = -1e300;
  double h = names_hash(names);
  auto r = all_reduce_values(comm,
                             have_batches ? std::vector<double>{1, double(names.size()), h, -h}
                                          : std::vector<double>{0, 0, kNone, kNone},
                             ReduceOp::Max);
  if (r[0] == 0) return false;
  if (r[2] != -r[3])
    throw std::runtime_error("rank " + std::to_string(comm.rank()) +
                             ": the ranks' models report different loss terms (this rank: " +
                             (have_batches ? joined(names) : std::string("no batch")) +
                             "); every rank must run the same build and recipe");
  if (!have_batches) values.assign(static_cast<size_t>(r[1]), 0.0);
  values = all_reduce_values(comm, values, ReduceOp::Sum);
  size_t i = 0;
  for (auto& [k, v] : counts) v = static_cast<int64_t>(values[i++] + 0.5);
  return true;
}

bool all_reduce_totals(Communicator& comm, LossAccumulator& acc) {
  if (comm.world_size() == 1) return true;
  auto totals = acc.totals();
  std::vector<std::string> names;
  std::vector<double> values;
  for (const auto& [k, v] : totals) {
    names.push_back(k);
    values.insert(values.end(), v.begin(), v.end());
  }
  if (!same_names_on_all_ranks(comm, names)) return false;
  values = all_reduce_values(comm, values, ReduceOp::Sum);
  size_t i = 0;
  for (auto& [k, v] : totals)
    for (double& x : v) x = values[i++];
  acc.set_totals(totals);
  return true;
}

}  // namespace higgs
