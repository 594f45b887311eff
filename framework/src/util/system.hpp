// Private: what this process knows about the machine and the build it runs, for the run
// context the store records and the header of a benchmark report.
#pragma once

#include <string>

namespace kcube {

/// The compiler that built libkcube, from its version macros: "gcc 13.2.0", "clang 17.0.6 ...",
/// or "unknown".
std::string compiler();

/// This machine's host name (gethostname); "unknown-host" when it has none.
std::string host_name();

}  // namespace kcube
