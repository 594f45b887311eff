// kcube public SDK: the binary boundary between the host and a plugin library.
//
// Every plugin library exports exactly one PluginDescriptor under the symbol name
// `kcube_plugin`, through KCUBE_EXPORT_PLUGIN (a BOOST_DLL_ALIAS). The host reads
// `abi_version`, the descriptor's first member, before anything else and refuses the library
// when it differs from kAbiVersion. There is no static self-registration: the host owns the
// registry.
//
// ABI history (bump kAbiVersion whenever the layout of PluginDescriptor, ParamSpec, or any
// virtual interface in this SDK changes, or when the meaning of an existing field changes):
//   1  kcube 0.1: first release.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include <boost/dll/alias.hpp>

#include "kcube/format.hpp"  // IWYU pragma: export
#include "kcube/params.hpp"

namespace kcube {

/// The plugin ABI version this kcube host and SDK implement.
inline constexpr std::uint32_t kAbiVersion = 1;

/// What a plugin provides.
enum class PluginKind : std::uint32_t {
  model_profile = 1,  ///< Draws per-inference outcomes of an LLM (see model_profile.hpp).
  scenario = 2,       ///< A deployment with budgets (see scenario.hpp).
  optimizer = 3,      ///< A rule that picks k from candidates (see optimizer.hpp).
};

/// "model-profile", "scenario" or "optimizer".
std::string_view to_string(PluginKind kind) noexcept;

/// How the host may use objects a plugin makes from several threads.
enum class ThreadSafety : std::uint32_t {
  /// One object may be called from many threads at once (const methods are thread-safe).
  shared = 1,
  /// Each thread needs its own object; the host creates one per worker thread.
  per_thread = 2,
  /// Only one thread at a time may call into the plugin at all; the host serialises calls.
  serial = 3,
};

/// "shared", "per-thread" or "serial".
std::string_view to_string(ThreadSafety safety) noexcept;

/// Base of every object a plugin makes. Its virtual destructor (defined in libkcube) anchors
/// the type information the host uses to check that a factory made the kind it declared. The
/// interfaces deriving from it are BOOST_SYMBOL_VISIBLE with out-of-line destructors for the
/// same reason: plugins are built with hidden visibility.
class BOOST_SYMBOL_VISIBLE PluginObject {
 public:
  PluginObject() = default;
  PluginObject(const PluginObject&) = delete;
  PluginObject& operator=(const PluginObject&) = delete;
  virtual ~PluginObject();
};

/// Makes a plugin object from validated parameters. May throw (kcube::Error for bad
/// combinations of parameters that the schema cannot express); the host reports the message
/// with the plugin's name and file.
using PluginFactory = std::unique_ptr<PluginObject> (*)(const Params& params);

/// The one thing a plugin library exports. Standard layout; `abi_version` stays first forever.
struct PluginDescriptor {
  /// Must be kAbiVersion of the SDK the plugin was built with.
  std::uint32_t abi_version = 0;
  /// What the plugin provides.
  PluginKind kind = PluginKind::optimizer;
  /// Unique kebab-case name users refer to ("knee-point").
  const char* name = nullptr;
  /// The plugin's own version ("1.0.0").
  const char* version = nullptr;
  /// One line saying what it computes.
  const char* summary = nullptr;
  /// Parameter schema: `param_count` entries (may be nullptr when there are none).
  const ParamSpec* params = nullptr;
  /// Number of entries in `params`.
  std::size_t param_count = 0;
  /// How its objects may be used from threads.
  ThreadSafety thread_safety = ThreadSafety::shared;
  /// Makes an object of the declared kind.
  PluginFactory create = nullptr;
};

/// The factory for plugin class T, which must be constructible from `const Params&`.
template <class T>
std::unique_ptr<PluginObject> construct(const Params& params) {
  return std::make_unique<T>(params);
}

}  // namespace kcube

/// Exports `descriptor` (a namespace-scope kcube::PluginDescriptor) as this library's plugin
/// entry point. Use exactly once per plugin library.
#define KCUBE_EXPORT_PLUGIN(descriptor) BOOST_DLL_ALIAS(descriptor, kcube_plugin)
