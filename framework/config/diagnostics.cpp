#include "framework/config/diagnostics.h"

#include <algorithm>
#include <sstream>

namespace higgs {

void Diagnostics::error(std::string path, std::string message) {
  items_.push_back({std::move(path), std::move(message)});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

void Diagnostics::throw_if_any(const std::string& context) const {
  if (!items_.empty()) throw RecipeError(context, items_);
}

static std::string format_items(const std::string& context, const std::vector<Diagnostic>& items) {
  std::ostringstream os;
  os << context << ": " << items.size() << (items.size() == 1 ? " error" : " errors");
  for (const auto& d : items) {
    os << "\n  " << (d.path.empty() ? std::string("(recipe)") : d.path) << ": " << d.message;
  }
  return os.str();
}

RecipeError::RecipeError(std::string context, std::vector<Diagnostic> items)
    : std::runtime_error(format_items(context, items)), items_(std::move(items)) {}

RecipeError::RecipeError(const std::string& message)
    : std::runtime_error(message), items_{{"", message}} {}

size_t edit_distance(const std::string& a, const std::string& b) {
  // Optimal string alignment: a swap of two neighbours ("sede" for "seed") is one edit.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  // Accept roughly one typo per three characters, and always a single edit.
  size_t limit = std::max<size_t>(1, std::max(word.size(), best.size()) / 3);
  return best_d <= limit ? best : std::string();
}

std::string suggestion_suffix(const std::string& word, const std::vector<std::string>& candidates) {
  auto s = did_you_mean(word, candidates);
  return s.empty() ? std::string() : " (did you mean \"" + s + "\"?)";
}

std::string join_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

std::string index_path(const std::string& prefix, size_t index) {
  return prefix + "[" + std::to_string(index) + "]";
}

}  // namespace higgs
