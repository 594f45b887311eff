// kcube compare: how two runs differ in what they ran, and the comparison as JSON.
#include "report/comparison.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <set>

#include "util/json.hpp"
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
void write_labels(json::Writer& w, const std::vector<std::string>& items) {
  w.begin_array(json::Layout::spaced);
  for (const std::string& item : items)
    w.string_or_null(item);
  w.end_array();
}

void write_only_in(json::Writer& w, const OnlyIn& only) {
  write_labels(w.begin_object(json::Layout::spaced).key("only_a"), only.a);
  write_labels(w.key("only_b"), only.b);
  w.end_object();
}

void write_pick(json::Writer& w, const std::optional<SelectionRecord>& r) {
  if (!r) {
    w.null();
    return;
  }
  w.begin_object(json::Layout::spaced).key("status").string(to_string(r->status));
  w.key("k").integer(r->k).key("cost").real(r->cost).key("latency").real(r->latency);
  w.key("accuracy").real(r->accuracy).end_object();
}

void write_run(json::Writer& w, const StoredRun& run, const std::string& store) {
  w.begin_object(json::Layout::spaced).key("store").string(store);
  w.key("run").integer(run.summary.id).key("experiment").string(run.context.experiment);
  w.key("status").string(to_string(run.summary.status));
  w.key("manifest_sha256").string(run.context.manifest_sha256);
  w.key("replications").integer(run.context.replications);
  w.key("engine_version").integer(run.context.engine_version);
  w.key("engine_summary").string(run.engine_summary).end_object();
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
  out.engine_version = a.context.engine_version != b.context.engine_version;
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

std::string engine_difference(const StoredRun& a, const StoredRun& b) {
  const int va = a.context.engine_version, vb = b.context.engine_version;
  if (va == vb)
    return {};
  const bool matters =
      depends_on_engine(a.context.evaluator) || depends_on_engine(b.context.evaluator);
  return "engine versions differ: A was made by engine " + std::to_string(va) + " (" +
         text::printable(a.engine_summary) + "), B by engine " + std::to_string(vb) + " (" +
         text::printable(b.engine_summary) + "); " +
         (matters ? "Monte Carlo numbers differ between engine versions even for one manifest "
                    "and seed, so part of any difference below comes from the engine"
                  : "both runs are exact, whose numbers do not depend on it");
}

std::vector<std::string> describe_differences(const StoredRun& a, const StoredRun& b,
                                              const RunDifferences& d) {
  std::vector<std::string> lines;
  if (d.engine_version)
    lines.push_back(engine_difference(a, b));
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
  json::Writer w(out);
  write_run(w.begin_object(json::Layout::lines).key("a"), a, a_store);
  write_run(w.key("b"), b, b_store);
  w.key("differences").begin_object(json::Layout::spaced).key("experiment").boolean(d.experiment);
  w.key("manifest").boolean(d.manifest).key("replications").boolean(d.replications);
  w.key("engine_version").boolean(d.engine_version);
  write_only_in(w.key("profiles"), d.profiles);
  write_only_in(w.key("scenarios"), d.scenarios);
  write_only_in(w.key("optimizers"), d.optimizers);
  write_only_in(w.key("sweep_points"), d.sweep_points);
  w.end_object().key("picks").begin_array(json::Layout::lines);
  for (const PickDifference& p : picks) {
    if (p.same && !all)
      continue;
    w.begin_object(json::Layout::spaced).key("scenario").string(p.key.scenario);
    w.key("sweep").string_or_null(p.key.sweep).key("profile").string(p.key.profile);
    w.key("replication").integer(p.key.replication).key("optimizer").string(p.key.optimizer);
    write_pick(w.key("same").boolean(p.same).key("a"), p.a);
    write_pick(w.key("b"), p.b);
    w.end_object();
  }
  const PickCounts counts = count_picks(picks);
  w.end_array().key("counts").begin_object(json::Layout::spaced).key("same").integer(counts.same);
  w.key("different").integer(counts.different).key("only_a").integer(counts.only_a);
  w.key("only_b").integer(counts.only_b).end_object().end_object();
  out << '\n';
}

}  // namespace kcube::report
