// Private: a guard run on YAML text before yaml-cpp parses it.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace kcube {

/// Byte offset of the first flow collection opener ('[' or '{') of `text` nested more than
/// `limit` flow collections deep, or nullopt when there is none.
///
/// Why: yaml-cpp's scanner keeps every token of a run of unclosed flow openers queued (each
/// could still turn out to be a mapping key) until they close, about 300 bytes per '[', so ten
/// megabytes of '[' take gigabytes before the first parser event, and with it the manifest's
/// depth limit, is reached. This scan is linear and allocates nothing.
///
/// It reads YAML closely enough for that purpose: comments, quoted scalars and block scalars
/// (| and >) are skipped, and in block context only an opener where a node starts (at the start
/// of a line, or after "key: ", "- " or "? ") opens a collection, so '[' inside plain text is
/// not counted. Unterminated quotes end the scan (yaml-cpp reports them).
std::optional<std::size_t> flow_too_deep(std::string_view text, std::size_t limit);

}  // namespace kcube
