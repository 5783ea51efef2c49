#include "framework/train/mixed_dataset.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace higgs {

MixedDataset::MixedDataset(std::vector<Member> members) : members_(std::move(members)) {
  std::set<std::string> names;
  for (const auto& m : members_) {
    if (!names.insert(m.name).second)
      throw std::invalid_argument("two mixed datasets are named \"" + m.name +
                                  "\"; give each a different name");
    begins_.push_back(size_);
    size_ += m.dataset->size();
  }
}

std::pair<const MixedDataset::Member*, size_t> MixedDataset::locate(size_t index) const {
  if (index >= size_) throw std::out_of_range("mixed dataset index " + std::to_string(index));
  const size_t m = std::upper_bound(begins_.begin(), begins_.end(), index) - begins_.begin() - 1;
  return {&members_[m], index - begins_[m]};
}

Example MixedDataset::get(size_t index) const {
  auto [m, i] = locate(index);
  return m->dataset->get(i);
}

Example MixedDataset::get(size_t index, int64_t epoch) const {
  auto [m, i] = locate(index);
  return m->dataset->get(i, epoch);
}

std::string MixedDataset::describe(size_t index) const {
  auto [m, i] = locate(index);
  return m->dataset->describe(i);
}

double MixedDataset::max_bad_fraction() const {
  // The members' allowances in samples, as a fraction of the whole.
  double allowed = 0;
  for (const auto& m : members_) allowed += m.dataset->max_bad_fraction() * m.dataset->size();
  return size_ ? allowed / double(size_) : 0.0;
}

std::vector<std::string> MixedDataset::source_files() const {
  std::vector<std::string> files;
  for (const auto& m : members_)
    for (auto& f : m.dataset->source_files()) files.push_back(std::move(f));
  return files;
}

std::optional<SampleInfo> MixedDataset::info(size_t index) const {
  auto [m, i] = locate(index);
  return m->dataset->info(i);
}

std::vector<std::string> MixedDataset::labels(size_t index) const {
  auto [m, i] = locate(index);
  std::vector<std::string> out{"dataset/" + m->name};
  for (auto& l : m->dataset->labels(i)) out.push_back(std::move(l));
  return out;
}

std::vector<Dataset::Part> MixedDataset::parts() const {
  std::vector<Part> out;
  for (size_t k = 0; k < members_.size(); ++k)
    out.push_back({members_[k].name, begins_[k], members_[k].dataset->size()});
  return out;
}

std::vector<Dataset::Dropped> MixedDataset::dropped() const {
  std::vector<Dropped> out;
  for (const auto& m : members_)
    for (auto& d : m.dataset->dropped()) out.push_back(std::move(d));
  return out;
}

}  // namespace higgs
