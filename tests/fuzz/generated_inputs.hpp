// Fuzz support: hostile inputs too large to commit, made on the fly for the replay test.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kcube::fuzz {

/// One generated input: a name for messages and its bytes.
struct GeneratedInput {
  std::string name;
  std::string bytes;
};

/// The size of the large inputs unless told otherwise: "a 10 MB file".
inline constexpr std::size_t kLargeInputBytes = std::size_t{10} << 20;

/// The generated inputs of fuzz target `target` ("manifest", "candidate_csv", "spec"): large
/// files of several shapes (many entries, one huge value, huge headers or lists) of about
/// `large_bytes` each, nesting far deeper than 64 levels, alias bombs, a file over the 16 MiB
/// manifest limit. The same bytes on every call with the same size. Not thread-safe.
std::vector<GeneratedInput> generated_inputs(std::string_view target,
                                             std::size_t large_bytes = kLargeInputBytes);

}  // namespace kcube::fuzz
