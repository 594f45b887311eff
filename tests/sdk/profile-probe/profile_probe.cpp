// profile_probe PLUGIN.so N [key=value ...]
//
// Loads one model-profile plugin library, makes the profile from its schema's defaults (and the
// key=value overrides, given in the host's canonical text form), draws N inferences from
// RandomStream(seed 2024, cell 0, trial 0) and prints, as one JSON object, the display name and
// the minimum, maximum, mean and standard deviation of cost (USD), latency (s) and accuracy, plus
// a hash of every value drawn (to compare two runs bit for bit). Exit 2 on a usage error, 1 when
// the library is not a loadable model profile.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/dll/shared_library.hpp>
#include <kcube/model_profile.hpp>

namespace {

/// Running minimum, maximum, mean and variance (Welford) of one outcome field.
class Summary {
 public:
  void add(double x) {
    ++n_;
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
    const double delta = x - mean_;
    mean_ += delta / static_cast<double>(n_);
    m2_ += delta * (x - mean_);
  }
  /// `"name": {"min": .., "max": .., "mean": .., "std": ..}` (sample standard deviation).
  std::string json(std::string_view name) const {
    const double sd = n_ > 1 ? std::sqrt(m2_ / static_cast<double>(n_ - 1)) : 0.0;
    return "\"" + std::string(name) + "\": {\"min\": " + number(min_) +
           ", \"max\": " + number(max_) + ", \"mean\": " + number(mean_) +
           ", \"std\": " + number(sd) + "}";
  }

 private:
  /// Round-trip text; JSON has no NaN or Inf, so those become null (and fail any check).
  static std::string number(double x) {
    if (!std::isfinite(x))
      return "null";
    std::array<char, 32> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%.17g", x);
    return buffer.data();
  }

  std::size_t n_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  double mean_ = 0.0;
  double m2_ = 0.0;
};

/// FNV-1a over the bits of every drawn value.
void mix(std::uint64_t& hash, double x) {
  const auto bits = std::bit_cast<std::uint64_t>(x);
  for (int byte = 0; byte < 8; ++byte) {
    hash ^= (bits >> (8 * byte)) & 0xffU;
    hash *= 0x100000001b3ULL;
  }
}

int probe(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: profile_probe PLUGIN.so N [key=value ...]\n";
    return 2;
  }
  const std::string file = argv[1];
  const long n = std::stol(argv[2]);
  if (n < 1) {
    std::cerr << "profile_probe: N must be >= 1\n";
    return 2;
  }

  boost::dll::shared_library library(
      file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  const auto& descriptor = library.get_alias<const kcube::PluginDescriptor>("kcube_plugin");
  if (descriptor.abi_version != kcube::kAbiVersion ||
      descriptor.kind != kcube::PluginKind::model_profile) {
    std::cerr << "profile_probe: " << file << " is not a model profile of plugin ABI "
              << kcube::kAbiVersion << "\n";
    return 1;
  }

  // What the host would hand the factory: every default, then the overrides.
  kcube::Params params;
  for (std::size_t i = 0; i < descriptor.param_count; ++i) {
    const kcube::ParamSpec& spec = descriptor.params[i];
    if (spec.default_value != nullptr)
      params.put(spec.key, spec.default_value);
  }
  for (int i = 3; i < argc; ++i) {
    const std::string pair = argv[i];
    const std::size_t eq = pair.find('=');
    if (eq == std::string::npos) {
      std::cerr << "profile_probe: '" << pair << "' is not key=value\n";
      return 2;
    }
    params.put(pair.substr(0, eq), pair.substr(eq + 1));
  }

  // The object must die before the library: declared after it.
  const std::unique_ptr<kcube::PluginObject> object = descriptor.create(params);
  const auto* profile = dynamic_cast<const kcube::ModelProfile*>(object.get());
  if (profile == nullptr) {
    std::cerr << "profile_probe: " << file << " made an object that is not a ModelProfile\n";
    return 1;
  }

  std::vector<kcube::InferenceOutcome> path(static_cast<std::size_t>(n));
  kcube::RandomStream stream(2024, 0, 0);
  profile->draw_path(stream, path);

  Summary cost;
  Summary latency;
  Summary accuracy;
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const kcube::InferenceOutcome& outcome : path) {
    cost.add(outcome.cost);
    latency.add(outcome.latency);
    accuracy.add(outcome.accuracy);
    mix(hash, outcome.cost);
    mix(hash, outcome.latency);
    mix(hash, outcome.accuracy);
  }
  std::cout << "{\"display_name\": \"" << profile->display_name() << "\", \"n\": " << n << ", "
            << cost.json("cost") << ", " << latency.json("latency") << ", "
            << accuracy.json("accuracy") << ", \"hash\": \"" << std::hex << hash << "\"}\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return probe(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "profile_probe: " << e.what() << "\n";
    return 1;
  }
}
