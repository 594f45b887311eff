// kcube merge OUT PART... [--partial]: the runs of shard stores (`kcube run MANIFEST --shard I/N
// --store part-I.sqlite`) merged into one run of OUT, as if one process had run the whole plan.
// The rules of which runs may be merged are merge_parts()'s (run/merge.hpp).
//
// The parts are checked before OUT is opened, so that a refusal writes nothing and creates no
// file: they must be runs of one manifest (same --set options), of the same builds (kcube
// version, plugin versions and file SHA-256s, unless --allow-changed-plugins: then the merged
// run records every build), hold disjoint cells, and together hold every cell of the plan,
// finished (unless --partial). ResultStore::merge_runs() then copies them in one transaction.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "kcube/error.hpp"
#include "run/merge.hpp"
#include "util/text.hpp"

namespace kcube::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

// "PATH:ID" names run ID of PATH, unless a file has that very name.
MergePart parse_part(const std::string& argument) {
  MergePart part;
  part.path = argument;
  std::error_code ec;
  const std::size_t colon = argument.rfind(':');
  if (colon == std::string::npos || colon + 1 == argument.size() || fs::exists(argument, ec))
    return part;
  const std::string id = argument.substr(colon + 1);
  if (!std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return part;
  std::int64_t run = 0;
  const auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), run);
  if (error != std::errc() || end != id.data() + id.size() || run <= 0 || colon == 0) {
    throw Error("kcube merge: '" + argument + "' is not PART.sqlite or PART.sqlite:ID (ID: a run " +
                "id, as `kcube runs PART.sqlite` lists them)");
  }
  part.path = argument.substr(0, colon);
  part.requested = run;
  return part;
}

// `kcube run MANIFEST --store OUT --resume` with the parts' --set options.
std::string resume_command(const std::string& out, const RunContext& context) {
  std::string command = "kcube run MANIFEST --store " + out + " --resume";
  for (const std::string& o : context.overrides)
    command += " --set " + o;
  return command;
}

}  // namespace

int cmd_merge(const Args& args, const GlobalOptions&) {
  po::options_description options("Options");
  options.add_options()("partial",
                        "merge even when cells are missing or failed or a part did not finish: "
                        "the merged run is marked failed, and `kcube run MANIFEST --store OUT "
                        "--resume` runs the rest")(
      "allow-changed-plugins",
      "merge parts made with different builds of kcube or a plugin (version or file SHA-256); "
      "the merged run records every build")("help,h", "show this help");
  po::options_description hidden;
  hidden.add_options()("out", po::value<std::string>())("parts",
                                                        po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("out", 1).add("parts", -1);
  const auto vm = parse(args, all, positional, "merge");
  if (vm.count("help") != 0) {
    std::cout << usage(
        "kcube merge OUT.sqlite PART.sqlite... [--partial] [--allow-changed-plugins]\n"
        "\nMerges the runs of shard stores (kcube run MANIFEST --shard I/N --store\n"
        "part-I.sqlite) into one new run of OUT, created if it does not exist. From each PART\n"
        "it takes the newest run; PART.sqlite:ID takes run ID of PART.sqlite. The parts must be\n"
        "runs of one manifest (same --set options) and, unless --allow-changed-plugins, of the\n"
        "same builds (kcube and plugin versions, plugin file SHA-256s), that hold no cell twice\n"
        "and, unless --partial, every cell of the plan, finished. Parts are read without\n"
        "writing them; on a refusal nothing is written.",
        options);
    return 0;
  }
  if (vm.count("out") == 0 || vm.count("parts") == 0) {
    throw Error(
        "kcube merge: give the output store and at least one part, e.g. 'kcube merge "
        "merged.sqlite part-1.sqlite part-2.sqlite'; see 'kcube merge --help'");
  }
  const auto start = std::chrono::steady_clock::now();
  const std::string out = vm["out"].as<std::string>();
  MergeRequest request;
  request.out = out;
  for (const std::string& argument : vm["parts"].as<std::vector<std::string>>())
    request.parts.push_back(parse_part(argument));
  request.partial = vm.count("partial") != 0;
  request.allow_changed_plugins = vm.count("allow-changed-plugins") != 0;
  request.on_note = [](const std::string& note) {
    std::cerr << "kcube merge: note: " << note << "\n";
  };
  const MergeReport merged = merge_parts(std::move(request));
  const MergeGaps& gaps = merged.gaps;
  const std::int64_t run = merged.run;
  if (!gaps.complete()) {
    std::cerr << "kcube merge: warning: the merged run " << run << " is incomplete (" << gaps.text()
              << "): it is stored with status failed, so that `"
              << resume_command(out, merged.context) << "` runs its " << cells_text(gaps.missing)
              << " missing and retries its " << cells_text(gaps.errors) << " with an error\n";
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "merged " << merged.parts << (merged.parts == 1 ? " part" : " parts") << " ("
            << merged.cells << " cells copied) of " << merged.context.experiment << " into run "
            << run << ", status " << to_string(merged.status) << ", in "
            << text::format_fixed(seconds, 3) << " s\nstore: " << out << " (run " << run << ")\n";
  return 0;
}

}  // namespace kcube::cli