// Recipe and usage errors, collected so that every problem is reported at once.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace higgs {

/// One problem found in a recipe, with the dotted recipe path it concerns.
struct Diagnostic {
  std::string path;     // e.g. "optimizer.weight_decy"; empty for whole-recipe problems
  std::string message;  // what is wrong and what to do
};

/// Collects diagnostics while a recipe is read; thrown as a RecipeError when non-empty.
class Diagnostics {
 public:
  void error(std::string path, std::string message);
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  void append(const Diagnostics& other);
  /// Throws RecipeError listing every diagnostic, if there is any.
  void throw_if_any(const std::string& context) const;

 private:
  std::vector<Diagnostic> items_;
};

/// A recipe or usage error; the CLI prints it and exits with code 2.
class RecipeError : public std::runtime_error {
 public:
  RecipeError(std::string context, std::vector<Diagnostic> items);
  explicit RecipeError(const std::string& message);
  const std::vector<Diagnostic>& items() const { return items_; }

 private:
  std::vector<Diagnostic> items_;
};

/// Levenshtein distance, used for did-you-mean suggestions.
size_t edit_distance(const std::string& a, const std::string& b);

/// The closest candidate to `word` when it is close enough to be a plausible typo, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

/// " (did you mean \"x\"?)" or "".
std::string suggestion_suffix(const std::string& word, const std::vector<std::string>& candidates);

/// Joins a recipe path and a key: join_path("a.b", "c") == "a.b.c"; join_path("", "c") == "c".
std::string join_path(const std::string& prefix, const std::string& key);
std::string index_path(const std::string& prefix, size_t index);  // "callbacks[2]"

}  // namespace higgs
