// Private: what the parts of the manifest loader share. The Loader reads the files (YAML through
// manifest/yaml_tree.hpp, includes, sections: manifest/loader.cpp), applies --set overrides and
// validates the result (run settings, plugin uses, sweeps, the cell count: manifest/validate.cpp),
// collecting every problem; manifest/manifest.cpp holds the public entry points.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "manifest/manifest.hpp"
#include "manifest/yaml_tree.hpp"

namespace kcube::manifest_detail {

namespace fs = std::filesystem;

// A manifest is text written by people; anything larger is refused unread. Like kMaxNodes, the
// limit holds for the manifest and all its includes together.
inline constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{16} << 20;
// Files named by `include:` in a manifest and its includes together. Each one named costs a look
// at the file system even when it is missing: 460,000 missing includes in a 10 MB manifest once
// took 10 s to report. A study is a few files; a generated one fits in hundreds.
inline constexpr std::size_t kMaxIncludes = 1000;
// Beyond this many problems the rest are summarised in one line.
inline constexpr std::size_t kMaxProblems = 100;
// Entry names listed, and searched for "did you mean", in a message about a missing entry: a
// manifest can define hundreds of thousands, and each message would repeat them all.
inline constexpr std::size_t kMaxNamesShown = 20;
inline constexpr std::size_t kMaxNamesSearched = 1000;

// ---------------------------------------------------------------------------------------------
// Problems, each "where: key.path: what; fix".

struct Problem {
  std::string where;
  std::string path;
  std::string message;
};

// Where a problem is shown: file in load order, line, column (--set problems after the files),
// then the order found.
using ProblemRank = std::tuple<std::size_t, std::int64_t, std::int64_t, std::size_t>;

/// "file:line:col" (1-based) of `mark` in `file`; the file alone for a null mark.
std::string where_of(const fs::path& file, const YAML::Mark& mark);

/// Where a problem of the --set override `text` is shown.
std::string override_where(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Values and names

/// A whole number (blanks around it allowed), or nullopt.
std::optional<std::int64_t> parse_int(std::string_view raw);

/// True when `raw` is a whole number that does not fit in 64 bits (parse_int refuses it).
bool beyond_int64(std::string_view raw);

/// An unsigned whole number (blanks around it allowed), or nullopt.
std::optional<std::uint64_t> parse_uint(std::string_view raw);

/// a * b, saturating at UINT64_MAX.
std::uint64_t times(std::uint64_t a, std::uint64_t b);

// The YAML 1.1 merge key, which yaml-cpp does not implement.
inline constexpr std::string_view kMergeKey = "<<";

inline const std::vector<std::string> kRootKeys = {
    "kcube",      "experiment",  "description", "include", "profiles", "scenarios",
    "optimizers", "aggregators", "run",         "sweep",   "store",    "plugin_path"};
inline const std::vector<std::string> kIncludedKeys = {"profiles", "scenarios", "optimizers",
                                                       "aggregators", "include"};
inline const std::vector<std::string> kRunKeys = {"evaluator", "trials",  "replications", "seed",
                                                  "sampling",  "threads", "bootstrap"};
inline const std::vector<std::string> kSweepableRunKeys = {"evaluator", "trials", "seed",
                                                           "sampling"};
inline const std::vector<std::string> kUseKeys = {"plugin", "params", "profiles"};
inline const std::vector<std::string> kSections = {"profiles", "scenarios", "optimizers",
                                                   "aggregators"};
inline constexpr std::array<PluginKind, 4> kSectionKinds = {
    PluginKind::model_profile, PluginKind::scenario, PluginKind::optimizer, PluginKind::aggregator};
// The index of `aggregators` in kSections.
inline constexpr std::size_t kAggregatorSection = 3;

/// The index of section `name` in kSections, or nullopt.
std::optional<std::size_t> section_index(std::string_view name);

bool contains(const std::vector<std::string>& list, std::string_view item);

/// `text` cut at every `separator` (n separators give n + 1 pieces).
std::vector<std::string> split(std::string_view text, char separator);

/// [A-Za-z0-9_-]+: a name of a profile, scenario, optimizer or aggregator.
bool is_plain_name(std::string_view name);

// ---------------------------------------------------------------------------------------------
// The loader

// A value written once, as text, with where it was written. A key written with a list or a
// mapping as its value has `where` but is not `present` (its problem is reported already).
struct RawValue {
  std::string text;
  std::string where;
  bool present = false;
};

// A profile, scenario, optimizer or aggregator as written, before its plugin is checked.
struct RawUse {
  PluginUse use;
  std::string plugin_where;
  std::string params_where;
  /// Where each of use.profiles was written (scenarios only).
  std::vector<std::string> profile_wheres;
  bool has_plugin = false;
};

struct RawAxis {
  SweepAxis axis;
  std::vector<std::string> value_wheres;
};

class Loader {
 public:
  Loader(const PluginRegistry& registry, std::uint64_t max_cells)
      : registry_(registry), max_cells_(max_cells) {}

  Manifest load(const fs::path& file, const std::vector<std::string>& overrides);
  /// Reads the root file for its plugin_path only (read_plugin_path()); problems are dropped.
  std::vector<fs::path> plugin_path_only(const fs::path& file);

  // The axes of the `sweep:` mapping of a root manifest's `text` (called `name` in messages),
  // read as load() reads them, neither validated against plugins nor expanded.
  std::vector<SweepAxis> read_sweep_of(const std::string& text, const fs::path& name);

 private:
  // Throws the problems found so far as one kcube::Error about `file`, if there are any.
  void throw_problems(const fs::path& file) const;

  void problem(std::string where, std::string path, std::string message);
  ProblemRank rank(const std::string& where) const;

  // Files and YAML.
  void load_file(const fs::path& shown, const std::string& via, bool is_root);
  YNodePtr parse(const fs::path& shown, const std::string& text);
  void find_duplicates(const fs::path& file, const YNode& node, const std::string& path);
  std::vector<std::pair<const YNode*, const YNode*>> entries(const YNode& map);
  bool scalar(const fs::path& file, const YNode& node, const std::string& path, RawValue& out);
  // The items of a value written as one scalar or as a list (none for no value); nullopt, after
  // reporting `expected` at `path`, for anything else.
  std::optional<std::vector<const YNode*>> scalar_or_list(const fs::path& file, const YNode& node,
                                                          const std::string& path,
                                                          const std::string& expected);

  // Sections.
  void read_top(const fs::path& file, const YNode& root, bool is_root);
  void read_section(const fs::path& file, std::size_t section, const YNode& node);
  void read_use(const fs::path& file, std::size_t section, const std::string& name,
                const YNode& key, const YNode& node);
  void read_run(const fs::path& file, const YNode& node);
  void read_sweep(const fs::path& file, const YNode& node);
  void read_includes(const fs::path& file, const YNode& node,
                     std::vector<std::pair<fs::path, std::string>>& out);
  void read_plugin_path(const fs::path& file, const YNode& node);

  // The implicit `max-accuracy` aggregator of a manifest that defines none.
  void add_default_aggregator();

  // Overrides.
  void apply_override(const std::string& text);

  // The index in uses_[section] of the entry called `name`, or nullopt after reporting it
  // missing at `where`.
  std::optional<std::size_t> find_use(std::size_t section, const std::string& name,
                                      const std::string& where, const std::string& path);

  // Validation.
  void validate_top();
  void validate_run();
  std::string run_value_problem(const std::string& key, const std::string& value,
                                RunSettings& run) const;
  void validate_uses();
  void validate_sweep();
  void count_cells();

  const PluginRegistry& registry_;
  std::uint64_t max_cells_;
  // The first kMaxProblems problems in the order shown, and how many were found in all: a hostile
  // manifest can have millions, and only these few are ever shown.
  std::vector<std::pair<ProblemRank, Problem>> problems_;
  std::size_t problem_count_ = 0;
  Manifest manifest_;
  fs::path root_file_;
  std::vector<fs::path> chain_shown_;
  std::vector<fs::path> chain_canonical_;
  std::set<fs::path> loaded_;
  // Where merge keys were reported: a key under an anchor is met again at every alias.
  std::set<std::string> merge_keys_;
  // Bytes and YAML nodes of the files loaded so far, and whether they crossed a limit (then no
  // further include is read: one problem says so).
  std::uintmax_t bytes_ = 0;
  std::size_t nodes_ = 0;
  // Files named by include: so far (kMaxIncludes), and whether the limit was reported.
  std::size_t includes_named_ = 0;
  bool includes_over_limit_ = false;
  bool over_limit_ = false;
  // plugin_path_only(): the root's plugin_path is all that is read.
  bool plugin_path_only_ = false;
  RawValue version_, experiment_, description_, store_;
  std::string root_where_;
  std::map<std::string, RawValue> run_;
  std::array<std::vector<RawUse>, 4> uses_;
  std::array<std::map<std::string, std::size_t>, 4> use_index_;  // name -> index in uses_
  std::array<std::vector<std::shared_ptr<const LoadedPlugin>>, 4> plugins_;
  std::vector<RawAxis> sweep_;
};

}  // namespace kcube::manifest_detail
