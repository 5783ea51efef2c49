#include "components/tasks/data_composition.h"

#include <cstdio>

#include "framework/train/batch_plan.h"
#include "framework/train/sampler.h"

namespace higgs {

namespace {

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

Json padding_json(const PaddingReport& p) {
  return {{"batches", p.batches},
          {"examples", p.examples},
          {"positions", p.positions},
          {"padded_positions", p.padded_positions},
          {"padding_fraction", p.padding_fraction()}};
}

}  // namespace

Histogram::Histogram(std::vector<double> e) : edges(std::move(e)), counts(edges.size(), 0) {}

void Histogram::add(double v) {
  for (size_t i = edges.size(); i-- > 0;)
    if (v >= edges[i]) {
      ++counts[i];
      return;
    }
}

Json Histogram::to_json() const {
  Json bins = Json::array();
  for (size_t i = 0; i < edges.size(); ++i)
    bins.push_back({{"from", edges[i]},
                    {"to", i + 1 < edges.size() ? Json(edges[i + 1]) : Json(nullptr)},
                    {"count", counts[i]}});
  return bins;
}

std::string Histogram::to_text(const std::string& unit) const {
  std::string out;
  for (size_t i = 0; i < edges.size(); ++i) {
    if (counts[i] == 0) continue;
    out += (out.empty() ? "" : "  ") + short_number(edges[i]) +
           (i + 1 < edges.size() ? "-" + short_number(edges[i + 1]) : "+") + " " + unit + ": " +
           std::to_string(counts[i]);
  }
  return out.empty() ? "none" : out;
}

PaddingReport padding_of(const std::vector<std::vector<size_t>>& plan, const Dataset& ds) {
  PaddingReport p;
  for (const auto& batch : plan) {
    int64_t longest = 0;
    for (size_t i : batch) {
      const int64_t len = ds.info(i)->length;
      longest = std::max(longest, len);
      p.positions += len;
    }
    p.padded_positions += longest * static_cast<int64_t>(batch.size());
    p.examples += static_cast<int64_t>(batch.size());
    ++p.batches;
  }
  return p;
}

CompositionReport composition_of(const Dataset& ds, const Sampler* sampler, int64_t batch_size,
                                 int64_t seed) {
  CompositionReport r;
  for (const auto& d : ds.dropped()) {
    ++r.dropped_by_reason[d.reason];
    ++r.dropped;
  }
  for (size_t i = 0; i < ds.size(); ++i)
    for (const auto& l : ds.labels(i)) ++r.labels[l];
  r.has_info = ds.size() > 0 && ds.info(0).has_value();
  if (!r.has_info) return r;
  for (size_t i = 0; i < ds.size(); ++i) {
    const auto info = ds.info(i);
    auto field = [&](const char* k) {
      auto it = info->fields.find(k);
      return it == info->fields.end() ? -1.0 : it->second;
    };
    if (field("target_seconds") >= 0) r.target_seconds.add(field("target_seconds"));
    if (field("reference_seconds") >= 0) r.reference_seconds.add(field("reference_seconds"));
    if (field("target_seconds") > 0) r.chars_per_second.add(field("chars_per_second"));
  }
  r.fixed = padding_of(
      fixed_size_batches(epoch_permutation(ds.size(), seed, 0), batch_size, 0, 1, true, false), ds);
  if (sampler) {
    PlanContext ctx;
    ctx.seed = seed;
    ctx.batch_size = batch_size;
    r.has_sampler = true;
    r.sampler = sampler->describe();
    r.sampled = padding_of(sampler->plan(ds, ctx), ds);
  }
  return r;
}

Json composition_json(const CompositionReport& r) {
  Json j = {
      {"dropped", r.dropped}, {"dropped_by_reason", r.dropped_by_reason}, {"labels", r.labels}};
  if (r.has_info) {
    j["target_seconds_histogram"] = r.target_seconds.to_json();
    j["reference_seconds_histogram"] = r.reference_seconds.to_json();
    j["chars_per_second_histogram"] = r.chars_per_second.to_json();
    j["fixed_size_batches"] = padding_json(r.fixed);
    if (r.has_sampler) {
      j["sampler"] = padding_json(r.sampled);
      j["sampler"]["describe"] = r.sampler;
    }
  }
  return j;
}

void print_composition(const CompositionReport& r) {
  if (r.dropped > 0) {
    std::printf("  filtered out: %lld samples\n", (long long)r.dropped);
    for (const auto& [why, n] : r.dropped_by_reason)
      std::printf("    %lld: %s\n", (long long)n, why.c_str());
  }
  if (!r.labels.empty()) {
    std::string line;
    for (const auto& [label, n] : r.labels)
      line += (line.empty() ? "" : ", ") + label + " " + std::to_string(n);
    std::printf("  samples by label: %s\n", line.c_str());
  }
  if (!r.has_info) return;
  std::printf("  target durations: %s\n", r.target_seconds.to_text("s").c_str());
  std::printf("  reference durations: %s\n", r.reference_seconds.to_text("s").c_str());
  std::printf("  speaking rate (transcript characters per second): %s\n",
              r.chars_per_second.to_text("c/s").c_str());
  std::printf("  epoch 0 in fixed-size batches: %lld batches, %.1f%% of positions padding\n",
              (long long)r.fixed.batches, 100 * r.fixed.padding_fraction());
  if (r.has_sampler)
    std::printf("  epoch 0 with the sampler (%s): %lld batches of %lld samples, %.1f%% padding\n",
                r.sampler.c_str(), (long long)r.sampled.batches, (long long)r.sampled.examples,
                100 * r.sampled.padding_fraction());
}

}  // namespace higgs
