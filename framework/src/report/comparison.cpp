// kcube compare: how two runs differ in what they ran, and the comparison as JSON.
#include "report/comparison.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <set>

#include "util/text.hpp"

namespace kcube::report {

namespace {

// Names in `a` and not in `b`, and the other way round.
OnlyIn only_in(const std::set<std::string>& a, const std::set<std::string>& b) {
  OnlyIn out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out.a));
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(out.b));
  return out;
}

std::set<std::string> names(
    const StoredRun& run,
    const std::function<void(const CellResult&, std::set<std::string>&)>& of) {
  std::set<std::string> out;
  for (const CellResult& cell : run.cells)
    of(cell, out);
  return out;
}

// A person reads a few names; the JSON has them all.
constexpr std::size_t kNamesShown = 10;

std::string listed(const std::vector<std::string>& items) {
  std::vector<std::string> shown(
      items.begin(),
      items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), kNamesShown)));
  std::string text = text::join(shown, ", ");
  if (items.size() > kNamesShown)
    text += " and " + std::to_string(items.size() - kNamesShown) + " more";
  return text::printable(text);
}

void add_only_in(std::vector<std::string>& lines, const std::string& what, const OnlyIn& only) {
  if (!only.a.empty())
    lines.push_back(what + " only in A: " + listed(only.a));
  if (!only.b.empty())
    lines.push_back(what + " only in B: " + listed(only.b));
}

// ---- JSON ----

// A sweep label of "" (no sweep) is null, as `sweep` is in the picks and the exports.
std::string json_labels(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i == 0 ? "" : ", ") + (items[i].empty() ? "null" : text::json_quote(items[i]));
  return out + "]";
}

std::string json_only_in(const OnlyIn& only) {
  return "{\"only_a\": " + json_labels(only.a) + ", \"only_b\": " + json_labels(only.b) + "}";
}

std::string json_real(const std::optional<double>& value) {
  return value ? text::format_real(*value) : "null";
}

std::string json_bool(bool value) {
  return value ? "true" : "false";
}

std::string json_pick(const std::optional<SelectionRecord>& r) {
  if (!r)
    return "null";
  return "{\"status\": " + text::json_quote(to_string(r->status)) +
         ", \"k\": " + (r->k ? std::to_string(*r->k) : "null") +
         ", \"cost\": " + json_real(r->cost) + ", \"latency\": " + json_real(r->latency) +
         ", \"accuracy\": " + json_real(r->accuracy) + "}";
}

std::string json_run(const StoredRun& run, const std::string& store) {
  return "{\"store\": " + text::json_quote(store) + ", \"run\": " + std::to_string(run.summary.id) +
         ", \"experiment\": " + text::json_quote(run.context.experiment) +
         ", \"status\": " + text::json_quote(to_string(run.summary.status)) +
         ", \"manifest_sha256\": " + text::json_quote(run.context.manifest_sha256) +
         ", \"replications\": " + std::to_string(run.context.replications) + "}";
}

}  // namespace

bool RunDifferences::unmatched() const {
  return experiment || replications || !profiles.empty() || !scenarios.empty() ||
         !optimizers.empty() || !sweep_points.empty();
}

RunDifferences run_differences(const StoredRun& a, const StoredRun& b) {
  RunDifferences out;
  out.experiment = a.context.experiment != b.context.experiment;
  out.manifest = a.context.manifest_sha256 != b.context.manifest_sha256;
  out.replications = a.context.replications != b.context.replications;
  const auto profile = [](const CellResult& c, std::set<std::string>& s) { s.insert(c.profile); };
  const auto scenario = [](const CellResult& c, std::set<std::string>& s) { s.insert(c.scenario); };
  const auto optimizer = [](const CellResult& c, std::set<std::string>& s) {
    for (const NamedSelection& selection : c.selections)
      s.insert(selection.name);
  };
  // "" is the single point of a run without a sweep.
  const auto sweep = [](const CellResult& c, std::set<std::string>& s) { s.insert(c.sweep); };
  out.profiles = only_in(names(a, profile), names(b, profile));
  out.scenarios = only_in(names(a, scenario), names(b, scenario));
  out.optimizers = only_in(names(a, optimizer), names(b, optimizer));
  out.sweep_points = only_in(names(a, sweep), names(b, sweep));
  return out;
}

std::vector<std::string> describe_differences(const StoredRun& a, const StoredRun& b,
                                              const RunDifferences& d) {
  std::vector<std::string> lines;
  if (d.experiment) {
    lines.push_back("experiments differ: A is '" + text::printable(a.context.experiment) +
                    "', B is '" + text::printable(b.context.experiment) + "'");
  }
  if (d.manifest) {
    lines.push_back("manifests differ: A's SHA-256 is " + a.context.manifest_sha256.substr(0, 12) +
                    ", B's " + b.context.manifest_sha256.substr(0, 12));
  }
  if (d.replications) {
    lines.push_back("replications differ: A has " + std::to_string(a.context.replications) +
                    ", B " + std::to_string(b.context.replications));
  }
  add_only_in(lines, "profiles", d.profiles);
  add_only_in(lines, "scenarios", d.scenarios);
  add_only_in(lines, "optimizers", d.optimizers);
  OnlyIn points = d.sweep_points;
  for (auto* labels : {&points.a, &points.b})
    std::replace(labels->begin(), labels->end(), std::string(), std::string("(no sweep)"));
  add_only_in(lines, "sweep points", points);
  return lines;
}

void write_comparison_json(std::ostream& out, const StoredRun& a, const std::string& a_store,
                           const StoredRun& b, const std::string& b_store, const RunDifferences& d,
                           const std::vector<PickDifference>& picks, bool all) {
  out << "{\n  \"a\": " << json_run(a, a_store) << ",\n  \"b\": " << json_run(b, b_store)
      << ",\n  \"differences\": {\"experiment\": " << json_bool(d.experiment)
      << ", \"manifest\": " << json_bool(d.manifest)
      << ", \"replications\": " << json_bool(d.replications)
      << ", \"profiles\": " << json_only_in(d.profiles)
      << ", \"scenarios\": " << json_only_in(d.scenarios)
      << ", \"optimizers\": " << json_only_in(d.optimizers)
      << ", \"sweep_points\": " << json_only_in(d.sweep_points) << "},\n  \"picks\": [";
  std::size_t same = 0, different = 0, only_a = 0, only_b = 0;
  bool first = true;
  for (const PickDifference& p : picks) {
    if (p.same)
      ++same;
    else if (!p.b)
      ++only_a;
    else if (!p.a)
      ++only_b;
    else
      ++different;
    if (p.same && !all)
      continue;
    out << (first ? "\n    {" : ",\n    {") << "\"scenario\": " << text::json_quote(p.key.scenario)
        << ", \"sweep\": " << (p.key.sweep.empty() ? "null" : text::json_quote(p.key.sweep))
        << ", \"profile\": " << text::json_quote(p.key.profile)
        << ", \"replication\": " << p.key.replication
        << ", \"optimizer\": " << text::json_quote(p.key.optimizer)
        << ", \"same\": " << json_bool(p.same) << ", \"a\": " << json_pick(p.a)
        << ", \"b\": " << json_pick(p.b) << "}";
    first = false;
  }
  out << (first ? "]" : "\n  ]") << ",\n  \"counts\": {\"same\": " << same
      << ", \"different\": " << different << ", \"only_a\": " << only_a
      << ", \"only_b\": " << only_b << "}\n}\n";
}

}  // namespace kcube::report
