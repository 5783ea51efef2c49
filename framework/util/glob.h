// Shell-style name matching for parameter and module names ("layers.*.self_attn.q_proj").
#pragma once

#include <string>
#include <vector>

namespace higgs {

/// '*' matches any run of characters (dots included), '?' one character.
bool glob_match(const std::string& pattern, const std::string& text);
bool glob_match_any(const std::vector<std::string>& patterns, const std::string& text);

}  // namespace higgs
