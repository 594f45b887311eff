// Private: running another program and collecting what it says (the report's plotter).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace kcube {

/// Runs `argv` (argv[0] searched on PATH), its standard output discarded, and waits for it.
/// Returns its exit status (128 + the signal when a signal ended it; 127 when it cannot be
/// started) and what it wrote to standard error.
std::pair<int, std::string> run_process(const std::vector<std::string>& argv);

}  // namespace kcube
