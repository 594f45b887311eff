// Fuzz support: hostile inputs too large to commit, made on the fly for the replay test.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kcube::fuzz {

/// One generated input: a name for messages and its bytes.
struct GeneratedInput {
  std::string name;
  std::string bytes;
};

/// The generated inputs of fuzz target `target` ("manifest", "candidate_csv", "spec"): 10 MB
/// files of several shapes (many entries, one huge value, huge headers or lists), nesting far
/// deeper than 64 levels, alias bombs. The same bytes on every call.
std::vector<GeneratedInput> generated_inputs(std::string_view target);

}  // namespace kcube::fuzz
