// check-example-aggregator PLUGIN.so
//
// The unit test of `example-aggregator`: loads the plugin library, makes the aggregator and
// compares aggregate() on hand-made paths with values worked out by hand. Prints each mismatch;
// exit 0 when all hold, 1 otherwise (also when the library is not a loadable aggregator), 2 on a
// usage error. Add a case for every rule and edge case you change.
#include <cstdint>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <boost/dll/shared_library.hpp>
#include <kcube/aggregator.hpp>

namespace {

/// One hand-made path and what the rule must give on it at every prefix length j = 1, 2, ...
struct Case {
  const char* what;
  std::vector<kcube::InferenceOutcome> path;
  std::vector<double> accuracy;
  std::vector<std::int32_t> used;
};

/// A sample with answer id `answer` (0 = none) that is correct with probability `accuracy`.
kcube::InferenceOutcome sample(std::uint32_t answer, double accuracy) {
  kcube::InferenceOutcome o;
  o.cost = 1.0;
  o.latency = 1.0;
  o.accuracy = accuracy;
  o.answer = answer;
  return o;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"the first sample answers: one sample is drawn whatever the allowance",
       {sample(4, 1.0), sample(5, 0.0), sample(4, 1.0)},
       {1.0, 1.0, 1.0},
       {1, 1, 1}},
      {"two samples without an answer, then a wrong one",
       {sample(0, 0.0), sample(0, 0.0), sample(7, 0.0), sample(8, 1.0)},
       {0.0, 0.0, 0.0, 0.0},
       {1, 2, 3, 3}},
      {"no sample answers: every allowed sample is drawn, and the request is wrong",
       {sample(0, 0.0), sample(0, 0.0)},
       {0.0, 0.0},
       {1, 2}},
      {"a fractional accuracy is returned as it is",
       {sample(0, 0.0), sample(2, 0.25)},
       {0.0, 0.25},
       {1, 2}},
  };
  return all;
}

int check(const std::string& file) {
  boost::dll::shared_library library(file, boost::dll::load_mode::rtld_now);
  const auto& descriptor = library.get_alias<const kcube::PluginDescriptor>("kcube_plugin");
  if (descriptor.abi_version != kcube::kAbiVersion ||
      descriptor.kind != kcube::PluginKind::aggregator) {
    std::cerr << file << " is not an aggregator plugin of this kcube's ABI\n";
    return 1;
  }
  // No parameters: the host would give an empty set too.
  const std::unique_ptr<kcube::PluginObject> object = descriptor.create(kcube::Params{});
  const auto* aggregator = dynamic_cast<const kcube::Aggregator*>(object.get());
  if (aggregator == nullptr) {
    std::cerr << file << ": its factory made no kcube::Aggregator\n";
    return 1;
  }
  int failures = 0;
  for (const Case& c : cases()) {
    std::vector<double> accuracy(c.path.size(), -1.0);
    std::vector<std::int32_t> used(c.path.size(), -1);
    aggregator->aggregate(c.path, accuracy, used);
    for (std::size_t j = 0; j < c.path.size(); ++j) {
      if (accuracy[j] != c.accuracy[j] || used[j] != c.used[j]) {
        std::cerr << c.what << ": allowed " << j + 1 << " samples, got accuracy " << accuracy[j]
                  << " and " << used[j] << " used, expected " << c.accuracy[j] << " and "
                  << c.used[j] << "\n";
        ++failures;
      }
    }
  }
  std::cout << cases().size() << " paths checked, " << failures << " mismatches\n";
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: check-example-aggregator PLUGIN.so\n";
    return 2;
  }
  try {
    return check(argv[1]);
  } catch (const std::exception& e) {
    std::cerr << "check-example-aggregator: " << e.what() << "\n";
    return 1;
  }
}
