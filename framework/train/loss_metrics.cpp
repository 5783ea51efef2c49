#include "framework/train/loss_metrics.h"

#include <array>

#include <ATen/ATen.h>

namespace higgs {

at::Tensor window_loss(const std::vector<LossTerm>& terms,
                       const std::map<std::string, int64_t>& window_counts) {
  at::Tensor total;
  for (const auto& t : terms) {
    auto it = window_counts.find(t.name);
    int64_t n = it == window_counts.end() ? t.count : it->second;
    if (n <= 0) continue;  // nothing to learn from this term in this window
    at::Tensor part = t.sum * (t.weight / static_cast<double>(n));
    total = total.defined() ? total + part : part;
  }
  if (!total.defined() && !terms.empty()) total = terms.front().sum * 0.0;
  return total;
}

void LossAccumulator::add(const std::vector<LossTerm>& terms) {
  for (const auto& t : terms) {
    auto [it, inserted] = totals_.try_emplace(t.name);
    if (inserted) order_.push_back(t.name);
    Total& tot = it->second;
    tot.group = t.group;
    tot.weight = t.weight;
    tot.sum += t.sum.detach().to(at::kDouble).item<double>();
    tot.count += t.count;
    if (t.correct >= 0) tot.correct += t.correct, tot.has_correct = true;
  }
}

Json LossAccumulator::metrics(const std::string& prefix) const {
  Json m = Json::object();
  double total = 0.0;
  std::map<std::string, double> group_loss;
  std::map<std::string, std::pair<int64_t, int64_t>> group_acc;
  std::vector<std::string> groups;
  for (const auto& name : order_) {
    const Total& t = totals_.at(name);
    if (t.count == 0) continue;
    double loss = t.sum / static_cast<double>(t.count);
    total += t.weight * loss;
    if (!group_loss.count(t.group)) groups.push_back(t.group);
    group_loss[t.group] += t.weight * loss;
    if (t.has_correct) {
      group_acc[t.group].first += t.correct;
      group_acc[t.group].second += t.count;
    }
  }
  m[prefix + "loss"] = total;
  for (const auto& g : groups) {
    m[prefix + g + "_loss"] = group_loss[g];
    auto acc = group_acc.find(g);
    if (acc != group_acc.end() && acc->second.second > 0)
      m[prefix + g + "_acc"] = double(acc->second.first) / double(acc->second.second);
  }
  for (const auto& name : order_) {
    const Total& t = totals_.at(name);
    if (t.count == 0 || name == t.group) continue;
    m[prefix + name + "_loss"] = t.sum / static_cast<double>(t.count);
    if (t.has_correct) m[prefix + name + "_acc"] = double(t.correct) / double(t.count);
  }
  return m;
}

std::map<std::string, std::array<double, 3>> LossAccumulator::totals() const {
  std::map<std::string, std::array<double, 3>> out;
  for (const auto& [name, t] : totals_) out[name] = {t.sum, double(t.count), double(t.correct)};
  return out;
}

void LossAccumulator::set_totals(const std::map<std::string, std::array<double, 3>>& in) {
  for (const auto& [name, v] : in) {
    auto it = totals_.find(name);
    if (it == totals_.end()) continue;
    it->second.sum = v[0];
    it->second.count = static_cast<int64_t>(v[1]);
    it->second.correct = static_cast<int64_t>(v[2]);
  }
}

}  // namespace higgs
