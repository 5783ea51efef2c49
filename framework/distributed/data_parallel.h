// Data parallelism by hand over a Communicator (LibTorch's C++ API has no
// DistributedDataParallel): gradients summed in flat fp32 buckets, rank 0's weights broadcast at
// the start, target counts and loss totals summed so that every rank normalises and logs with
// the numbers of the whole global batch.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "framework/distributed/communicator.h"
#include "framework/train/loss_metrics.h"
#include "framework/train/optimizer.h"

namespace higgs {

/// Sums the gradients of `params` over all ranks, in place. Gradients are copied into flat fp32
/// buckets of at most `bucket_bytes` (Gloo cannot reduce bf16, and one call per bucket is much
/// cheaper than one per tensor), reduced, and copied back in the parameters' dtype. A gradient
/// that is undefined on some ranks counts as zeros there; one undefined on every rank stays
/// undefined, as in a single process.
void all_reduce_gradients(Communicator& comm, const ParameterList& params,
                          int64_t bucket_bytes = int64_t{25} << 20);

/// Overwrites `params` on every rank with rank 0's values.
void broadcast_parameters(Communicator& comm, const ParameterList& params,
                          int64_t bucket_bytes = int64_t{25} << 20);

/// One accumulation window of a data-parallel step: returns false when no rank has a batch left
/// in this epoch; otherwise sums `counts` (target counts per loss term of this rank's window)
/// over all ranks, in place. A rank whose window is empty (its samples were all skipped) takes
/// part with zeros. Ranks whose models report different terms stop with an error.
bool global_window_counts(Communicator& comm, bool have_batches,
                          std::map<std::string, int64_t>& counts);

/// Sums the loss sums, target counts and hits of `acc` over all ranks, so that its metrics are
/// those of the global batch. Returns false (and leaves `acc` alone) when ranks hold different
/// terms, which happens only when some rank saw no batch since the last reduction.
bool all_reduce_totals(Communicator& comm, LossAccumulator& acc);

/// Reduces a few numbers over all ranks (in double precision).
std::vector<double> all_reduce_values(Communicator& comm, std::vector<double> values,
                                      ReduceOp op = ReduceOp::Sum);

/// `root`'s `value` on every rank (its JSON text sent as bytes); every rank must call it.
Json broadcast_json(Communicator& comm, const Json& value, int root = 0);

}  // namespace higgs
