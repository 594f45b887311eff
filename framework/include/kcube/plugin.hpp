// kcube public SDK: the binary boundary between the host and a plugin library.
//
// Every plugin library exports exactly one PluginDescriptor under the symbol name
// `kcube_plugin`, through KCUBE_EXPORT_PLUGIN (a BOOST_DLL_ALIAS). The host reads
// `abi_version`, the descriptor's first member, before anything else and refuses the library
// when it differs from kAbiVersion; then `build`, and refuses a library built against another
// Boost release or another C++ standard library (or ABI of it) than kcube itself. There is no
// static self-registration: the host owns the registry.
//
// ABI history (bump kAbiVersion whenever the layout of PluginDescriptor, ParamSpec, or any
// virtual interface in this SDK changes, or when the meaning of an existing field changes):
//   1  kcube 0.1: first release.
//   2  kcube 0.1: PluginDescriptor::build (BuildAbi: Boost release, C++ standard library, its
//      release and ABI) after abi_version, filled in where the plugin is compiled; a plugin
//      whose build differs from the host's is refused before any other use.
//   3  kcube 0.2: the aggregator kind (PluginKind::aggregator, kcube/aggregator.hpp);
//      InferenceOutcome gains input_cost, score and answer; ModelProfile gains provides() and
//      question_log(); ParamType gains path.
//   4  kcube 0.3: Deployment::billing (Billing: per-sample, per-call or cached input billing);
//      ModelProfile gains expected_input_cost(), has_curve() and expected_curve() (a profile
//      that serves measured per-k expectations, the `curve` profile); SampleFields::input_cost.
//   5  kcube 0.3: AccuracyForm (model_profile.hpp; Aggregator::IidForm is now an alias of it)
//      gains plurality and best_score; ModelProfile gains has_exact_accuracy() and
//      expected_accuracy() (a profile whose samples are correlated through the question computes
//      the exact accuracy of an aggregation itself, the `difficulty` profile).
//   6  kcube 0.3: RandomStream (random.hpp) holds a buffer of normals made in blocks by the SDK
//      function fill_normals() (SLEEF, vectorized); normals and uniforms are two independent
//      sequences of one stream, and normal() is no longer noexcept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/dll/alias.hpp>
#include <boost/version.hpp>

#include "kcube/format.hpp"  // IWYU pragma: export
#include "kcube/params.hpp"

namespace kcube {

/// The plugin ABI version this kcube host and SDK implement.
inline constexpr std::uint32_t kAbiVersion = 6;

/// What a plugin provides.
enum class PluginKind : std::uint32_t {
  model_profile = 1,  ///< Draws per-inference outcomes of an LLM (see model_profile.hpp).
  scenario = 2,       ///< A deployment with budgets (see scenario.hpp).
  optimizer = 3,      ///< A rule that picks k from candidates (see optimizer.hpp).
  aggregator = 4,     ///< How a request's samples become its answer (see aggregator.hpp).
};

/// "model-profile", "scenario", "optimizer" or "aggregator".
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

/// A C++ standard library.
enum class StdLibrary : std::uint32_t {
  unknown = 0,    ///< Neither of the two below.
  libstdcxx = 1,  ///< GNU libstdc++.
  libcxx = 2,     ///< LLVM libc++.
};

/// What a plugin's code must share with the host's besides this SDK's layout: std::string,
/// std::vector and std::optional cross the boundary in every call, and Boost.DLL reads the
/// descriptor. The default member values are those of the code being compiled: in a plugin's
/// descriptor, the plugin's build; in libkcube, kcube's own.
struct BuildAbi {
  /// BOOST_VERSION: 107400 is Boost 1.74.0.
  std::uint32_t boost_version = BOOST_VERSION;
#if defined(_LIBCPP_VERSION)
  StdLibrary std_library = StdLibrary::libcxx;
  /// The library's release: libstdc++'s _GLIBCXX_RELEASE (its GCC major version), libc++'s
  /// _LIBCPP_VERSION.
  std::uint32_t std_release = _LIBCPP_VERSION;
  /// The library's ABI: libstdc++'s _GLIBCXX_USE_CXX11_ABI (1: the C++11 std::string and
  /// std::list), libc++'s _LIBCPP_ABI_VERSION.
  std::uint32_t std_abi = _LIBCPP_ABI_VERSION;
#elif defined(__GLIBCXX__)
  StdLibrary std_library = StdLibrary::libstdcxx;
  std::uint32_t std_release = _GLIBCXX_RELEASE;
  std::uint32_t std_abi = _GLIBCXX_USE_CXX11_ABI;
#else
  StdLibrary std_library = StdLibrary::unknown;
  std::uint32_t std_release = 0;
  std::uint32_t std_abi = 0;
#endif

  friend bool operator==(const BuildAbi&, const BuildAbi&) = default;
};

/// "Boost 1.74.0, libstdc++ 12 (C++11 ABI)", "Boost 1.83.0, libc++ 160000 (ABI 1)".
std::string to_string(const BuildAbi& build);

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
  /// What the plugin was built against; leave it to its default, the plugin's own build.
  BuildAbi build = {};
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
