// Private: --set overrides in canonical form, so that `kcube run --resume` finds a run by what
// its overrides mean, not how they were typed: run.trials=020 and run.trials=20 are one run.
#pragma once

#include <string>
#include <vector>

#include "host/plugin_host.hpp"
#include "manifest/manifest.hpp"

namespace kcube {

/// The overrides of `manifest` (loaded with them, so every value is checked and typed) as
/// "PATH=VALUE" with each PATH trimmed and each VALUE in the canonical form of its type, read
/// back from the manifest: run settings as the manifest holds them (integers in decimal,
/// threads 0 as "auto"), plugin parameters in their schema's canonical text (ParamType), text
/// as it is; a PATH given twice once, with the value that counts (the last). Sorted.
std::vector<std::string> canonical_override_values(const Manifest& manifest,
                                                   const std::vector<std::string>& overrides,
                                                   const PluginRegistry& registry);

}  // namespace kcube
