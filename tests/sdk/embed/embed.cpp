// Runs an experiment into a results store through kcube's public run API and prints the picks.
//   usage: embed MANIFEST STORE [PATH=VALUE]...
#include <iostream>
#include <string>

#include "kcube/error.hpp"
#include "kcube/run.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: embed MANIFEST STORE [PATH=VALUE]...\n";
    return 2;
  }
  kcube::ExperimentOptions options;
  options.manifest = argv[1];
  options.store = argv[2];
  for (int i = 3; i < argc; ++i)
    options.overrides.emplace_back(argv[i]);
  try {
    const kcube::ExperimentSummary summary = kcube::run_experiment(options);
    for (const kcube::ExperimentPick& pick : summary.picks) {
      std::cout << pick.profile << " " << pick.scenario << " " << pick.optimizer << " "
                << (pick.k ? std::to_string(*pick.k) : pick.status) << "\n";
    }
    std::cout << summary.cells_run << " cells run into " << summary.store << " (run "
              << summary.run_id << ")\n";
    return summary.cells_failed == 0 ? 0 : 1;
  } catch (const kcube::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "failure: " << e.what() << "\n";
    return 1;
  }
}
