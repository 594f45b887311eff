#include "report/sections.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include "engine/selection.hpp"
#include "host/spec.hpp"
#include "report/analysis.hpp"
#include "run/builds.hpp"
#include "util/text.hpp"

namespace kcube::report {
namespace {

// ---------------------------------------------------------------------------------------------
// Formatting

std::string fmt_accuracy(double a) {
  return fmt(a, "%.5f");
}
std::string fmt_cost(double c) {
  return fmt(c, "%.4g");
}
std::string fmt_latency(double t) {
  return fmt(t, "%.4g");
}
std::string fmt_opt(const std::optional<double>& v, std::string (*f)(double)) {
  return v ? f(*v) : "";
}
std::string full(const std::optional<double>& v) {
  return v ? text::format_real(*v) : "";
}
std::string full_k(const std::optional<int>& k) {
  return k ? std::to_string(*k) : "";
}
std::string percent(double share) {
  return fmt(100.0 * share, "%.0f %%");
}

// Seconds between two ISO-8601 UTC times ("2026-11-28T14:39:43Z"); nullopt when unparsable.
std::optional<double> seconds_between(const std::string& from, const std::string& to) {
  auto parse = [](const std::string& s) -> std::optional<std::time_t> {
    std::tm tm{};
    if (s.size() < 20 || std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon,
                                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
      return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
  };
  const auto a = parse(from), b = parse(to);
  if (!a || !b)
    return std::nullopt;
  return std::difftime(*b, *a);
}

std::string status_text(const SelectionRecord& r) {
  return std::string(to_string(r.status));
}

// The k a selection picked, or its status when it picked none.
std::string pick_text(const SelectionRecord& r) {
  return r.k ? std::to_string(*r.k) : status_text(r);
}

// The accuracy of the candidate at k of `cell` for people, with its 95 % bootstrap interval
// " [lo, hi]" when the table has one (run.bootstrap).
std::string accuracy_with_interval(const CellResult& cell, std::optional<int> k,
                                   const std::optional<double>& accuracy) {
  std::string text = fmt_opt(accuracy, fmt_accuracy);
  const auto* lo = cell.candidates.column("accuracy_lo");
  const auto* hi = cell.candidates.column("accuracy_hi");
  if (!k || !accuracy || lo == nullptr || hi == nullptr)
    return text;
  const auto& rows = cell.candidates.rows;
  for (std::size_t i = 0; i < rows.size() && i < lo->size() && i < hi->size(); ++i) {
    if (rows[i].k == *k)
      return text + " [" + fmt_accuracy((*lo)[i]) + ", " + fmt_accuracy((*hi)[i]) + "]";
  }
  return text;
}

// " (P(pick) 0.62)" after a pick with run.bootstrap's share, else "".
std::string share_text(const NamedSelection& s) {
  return s.pick_share ? " (P(pick) " + fmt(*s.pick_share, "%.2f") + ")" : "";
}

}  // namespace

// Whether the picks tables have a P(pick) column: some selection has a bootstrap share, or the
// run has replications to count picks over.
bool has_pick_confidence(const Index& index) {
  if (index.replications > 1)
    return true;
  for (const auto& [id, cell] : index.cells) {
    for (const NamedSelection& s : cell->selections) {
      if (s.pick_share)
        return true;
    }
  }
  return false;
}

// How sure the pick of `optimizer` for `profile` in `g` is: the share of question resamples that
// pick the same k (run.bootstrap); without one, over the replications, the share of the most
// frequent pick (with that k when it is not replication 0's); "" when neither exists.
std::string pick_confidence(const Index& index, const Group& g, const std::string& profile,
                            const std::string& optimizer, const NamedSelection& shown) {
  if (shown.pick_share)
    return fmt(*shown.pick_share, "%.2f");
  if (index.replications < 2)
    return "";
  std::vector<std::optional<int>> picks;
  for (int rep = 0; rep < index.replications; ++rep) {
    const CellResult* cell = index.cell(rep, g, profile);
    const NamedSelection* s = cell != nullptr ? find_selection(*cell, optimizer) : nullptr;
    if (s != nullptr)
      picks.push_back(s->record.k);
  }
  if (picks.empty())
    return "";
  const Stability st = stability(picks, nullptr);
  const double n = static_cast<double>(picks.size());
  if (!st.modal_k || st.no_pick > st.modal_count) {
    const std::string share = fmt(static_cast<double>(st.no_pick) / n, "%.2f");
    return shown.record.k ? share + " (no pick)" : share;
  }
  const std::string share = fmt(static_cast<double>(st.modal_count) / n, "%.2f");
  return shown.record.k == st.modal_k ? share
                                      : share + " (k = " + std::to_string(*st.modal_k) + ")";
}

namespace {

std::string plugin_params_text(const std::string& spec) {
  if (spec.empty())
    return "(parameters not recorded: the run was stored by an older kcube)";
  const PluginSpec parsed = parse_spec(spec);
  std::vector<std::string> items;
  for (const auto& p : parsed.params)
    items.push_back(p.key + " = " + p.value);
  return parsed.name + (items.empty() ? "" : ": " + text::join(items, ", "));
}

// The parts of a run made by `kcube merge` (runs.merged_from, a JSON array), one line each:
// "'part-2.sqlite' run 1, shard 2/4, host node-b, finished, 7 cells". The text as stored when it
// is not such an array.
std::vector<std::string> merged_parts_text(const std::string& json) {
  namespace pt = boost::property_tree;
  pt::ptree parts;
  std::istringstream in(json);
  try {
    pt::read_json(in, parts);
  } catch (const pt::ptree_error&) {
    return {json};
  }
  std::vector<std::string> lines;
  for (const auto& [key, part] : parts) {
    const auto field = [&part = part](const char* name) {
      return part.get<std::string>(name, "?");
    };
    const std::string shard = field("shard");
    lines.push_back("'" + field("store") + "' run " + field("run") +
                    (shard == "null" ? ", whole run" : ", shard " + shard) + ", host " +
                    field("host") + ", " + field("status") + ", " + field("cells") + " cells");
  }
  return lines;
}

// Overrides without run.sampling, canonical: how two runs that differ only in sampling match.
std::string overrides_without_sampling(const std::vector<std::string>& overrides) {
  std::vector<std::string> kept;
  for (const auto& o : overrides)
    if (o.rfind("run.sampling=", 0) != 0)
      kept.push_back(o);
  return canonical_overrides(kept);
}

}  // namespace

void context_section(Document& doc, const Index& index) {
  const StoredRun& run = index.run;
  const RunContext& c = run.context;
  doc.heading(2, "Provenance");
  doc.paragraph(
      "How the run was made: its context, the plugin libraries it loaded and the manifest it "
      "read, enough to make the same numbers again.");
  DocTable t;
  t.name = "run";
  t.header = {"field", "value"};
  auto add = [&](std::string field, std::string value) {
    t.rows.push_back({std::move(field), std::move(value)});
  };
  add("experiment", c.experiment);
  add("run id", std::to_string(run.summary.id));
  add("status", std::string(to_string(run.summary.status)));
  add("started", c.started_at);
  add("finished", run.summary.finished_at.empty() ? "-" : run.summary.finished_at);
  if (const auto wall = seconds_between(c.started_at, run.summary.finished_at))
    add("wall time", fmt(*wall, "%.0f s"));
  double cell_seconds = 0.0, slowest = 0.0;
  for (const auto& cell : run.cells) {
    cell_seconds += cell.seconds;
    slowest = std::max(slowest, cell.seconds);
  }
  add("cell time", fmt(cell_seconds, "%.3g s in all") + fmt(slowest, ", slowest cell %.3g s"));
  add("cells", std::to_string(run.summary.cells_finished) + " finished, " +
                   std::to_string(run.summary.cells_failed) + " errors, " +
                   std::to_string(run.summary.cell_count) + " planned");
  if (c.shard_count > 0) {
    add("shard", std::to_string(c.shard_index) + "/" + std::to_string(c.shard_count) +
                     ": the cells at plan positions p with p % " + std::to_string(c.shard_count) +
                     " = " + std::to_string(c.shard_index - 1) + ", of the plan's " +
                     std::to_string(c.plan_cells));
  }
  if (c.ranks > 1)
    add("MPI processes", std::to_string(c.ranks));
  if (!c.merged_from.empty()) {
    const auto parts = merged_parts_text(c.merged_from);
    for (std::size_t i = 0; i < parts.size(); ++i)
      add(i == 0 ? "merged from" : "", parts[i]);
  }
  add("evaluator", std::string(to_string(c.evaluator)));
  add("trials per cell", c.trials ? std::to_string(*c.trials) : "- (exact)");
  add("replications", std::to_string(c.replications));
  add("sampling", c.sampling.empty() ? "-" : c.sampling);
  add("seed", std::to_string(c.seed));
  add("threads", std::to_string(c.threads));
  add("manifest sha256", c.manifest_sha256);
  add("overrides", c.overrides.empty() ? "-" : text::join(c.overrides, " "));
  add("kcube", c.kcube_version + (c.git_revision.empty() ? "" : " (" + c.git_revision + ")"));
  // Monte Carlo numbers of one manifest and seed are equal exactly when this is (engine.hpp).
  add("engine version",
      std::to_string(c.engine_version) + ": " + engine_version_summary(c.engine_version));
  add("compiler, build", c.compiler + ", " + c.build_type);
  add("host", c.host);
  // Cells of more than one build (resumed or merged with --allow-changed-plugins).
  const auto changes = build_change_lines(c.build_changes);
  for (std::size_t i = 0; i < changes.size(); ++i)
    add(i == 0 ? "builds changed" : "", changes[i]);
  doc.table(std::move(t));

  DocTable plugins;
  plugins.name = "plugins";
  plugins.header = {"plugin", "kind", "version", "sha256", "file"};
  for (const auto& p : c.plugins)
    plugins.rows.push_back(
        {p.name, p.kind, p.version, p.sha256.empty() ? "unknown" : p.sha256, p.file});
  doc.paragraph(changes.empty() ? "Plugins:"
                                : "Plugins the run began with (later builds: 'builds changed' "
                                  "above; the cells come from more than one build):");
  doc.table(std::move(plugins));
  doc.code("Manifest (with its includes)", c.manifest_text);
}

void picks_section(Document& doc, const Index& index, const ProfileNames& names,
                   const std::map<ExactKey, ExactCell>& exact) {
  doc.heading(2, "Picks per scenario");
  std::string intro =
      "Each rule's pick for each profile: k, the expected accuracy, cost (USD per request) and "
      "latency (s per request) of that candidate, and the rule's status.";
  if (index.replications > 1)
    intro += " The run has " + std::to_string(index.replications) +
             " replications; these tables show replication 0 (the manifest's seed), the "
             "stability section all of them.";
  if (!exact.empty())
    intro +=
        " 'exact k' is the same rule's pick on the exact (noise-free) expected values, where "
        "the profile has an exact evaluator.";
  const bool with_confidence = has_pick_confidence(index);
  if (with_confidence)
    intro +=
        " 'P(pick)' is how sure the pick is: with run.bootstrap, the share of the resamples of "
        "the log's questions that pick the same k; otherwise the share of the replications that "
        "pick the most frequent k (named when it is not replication 0's pick). With "
        "run.bootstrap, E[accuracy] is followed by its 95 % interval over the resamples, "
        "[lo, hi].";
  doc.paragraph(intro);
  for (const Group& g : index.groups) {
    doc.heading(3, "Scenario " + g.title());
    if (const CellResult* any = index.any(g))
      doc.paragraph("Scenario parameters: " + plugin_params_text(any->scenario_spec) + ".");

    // Compact: profiles x optimizers -> k.
    DocTable wide;
    wide.header = {"profile"};
    wide.numeric = {false};
    for (const auto& o : index.optimizers) {
      wide.header.push_back(o);
      wide.numeric.push_back(true);
    }
    DocTable t;
    t.name = "picks-" + g.file_stem();
    t.header = {"profile",     "optimizer",     "status",        "k",
                "E[accuracy]", "E[cost] (USD)", "E[latency] (s)"};
    t.numeric = {false, false, false, true, true, true, true};
    if (with_confidence) {
      t.header.insert(t.header.begin() + 7, "P(pick)");
      t.numeric.insert(t.numeric.begin() + 7, true);
    }
    const bool with_exact = !exact.empty();
    if (with_exact) {
      t.header.push_back("exact k");
      t.numeric.push_back(true);
    }
    t.header.push_back("why (when no regular pick)");
    t.numeric.push_back(false);
    for (const auto& profile : index.profiles) {
      std::vector<std::string> wide_row = {names(profile)};
      const CellResult* cell = index.cell(0, g, profile);
      const auto exact_it = exact.find({g.sweep, profile, g.scenario});
      for (const auto& o : index.optimizers) {
        if (cell == nullptr) {
          wide_row.push_back("-");
          continue;
        }
        if (cell->status == CellStatus::error && cell->selections.empty()) {
          wide_row.push_back("error");
          continue;
        }
        const NamedSelection* s = find_selection(*cell, o);
        if (s == nullptr) {
          wide_row.push_back("-");
          continue;
        }
        const SelectionRecord& r = s->record;
        wide_row.push_back(pick_text(r) + share_text(*s));
        std::vector<std::string> row = {names(profile),
                                        o,
                                        status_text(r),
                                        full_k(r.k),
                                        accuracy_with_interval(*cell, r.k, r.accuracy),
                                        fmt_opt(r.cost, fmt_cost),
                                        fmt_opt(r.latency, fmt_latency)};
        std::vector<std::string> values = {
            profile,        o, status_text(r), full_k(r.k), full(r.accuracy), full(r.cost),
            full(r.latency)};
        if (with_confidence) {
          const std::string confidence = pick_confidence(index, g, profile, o, *s);
          row.push_back(confidence);
          values.push_back(s->pick_share ? text::format_real(*s->pick_share) : confidence);
        }
        if (with_exact) {
          std::string exact_k = "-";
          if (exact_it != exact.end()) {
            if (const auto p = exact_it->second.picks.find(o); p != exact_it->second.picks.end())
              exact_k = pick_text(p->second);
          }
          row.push_back(exact_k);
          values.push_back(exact_k);
        }
        const std::string why = r.status == SelectionStatus::selected ? "" : r.reason;
        row.push_back(why);
        values.push_back(why);
        t.rows.push_back(std::move(row));
        t.values.push_back(std::move(values));
      }
      if (cell != nullptr && cell->status == CellStatus::error && cell->selections.empty()) {
        std::vector<std::string> row = {profile, "-", "error", "", "", "", ""};
        if (with_confidence)
          row.push_back("");
        if (with_exact)
          row.push_back("");
        row.push_back(cell->message);
        t.values.push_back(row);
        row.front() = names(profile);
        t.rows.push_back(std::move(row));
      }
      wide.rows.push_back(std::move(wide_row));
    }
    doc.paragraph("k picked (replication 0):");
    doc.table(std::move(wide));
    doc.table(std::move(t));
  }
}

void aggregators_section(Document& doc, const Index& index, const ProfileNames& names) {
  if (index.aggregators.size() < 2)
    return;
  doc.heading(2, "Aggregators");
  doc.paragraph(
      "How a request's samples become its one answer (" + text::join(index.aggregators, ", ") +
      "), compared on the same samples: each aggregator of a cell sees the same random numbers. "
      "With run.bootstrap, an accuracy is followed by its 95 % interval over resamples of the "
      "questions, [lo, hi]. "
      "For each, the expected accuracy at the largest k and the k where it is highest (majority "
      "vote can fall as k grows), the mean samples a stopping policy drew when allowed the "
      "largest k (cost and latency count only those), and each rule's pick with its accuracy and "
      "cost (replication 0).");
  for (const Group& g : index.groups) {
    for (const auto& profile : index.base_profiles) {
      DocTable t;
      t.name = "aggregators-" + g.file_stem() + "--" + slug(profile);
      t.header = {"aggregator",         "largest k",       "E[accuracy] there",
                  "samples used there", "most accurate k", "E[accuracy] at it"};
      t.numeric = {false, true, true, true, true, true};
      for (const auto& o : index.optimizers) {
        t.header.insert(t.header.end(), {o + " k", o + " E[accuracy]", o + " E[cost] (USD)"});
        t.numeric.insert(t.numeric.end(), {true, true, true});
      }
      std::string owner;
      for (const auto& aggregator : index.aggregators) {
        const std::string key = profile + " / " + aggregator;
        const CellResult* cell = index.finished(0, g, key);
        if (cell == nullptr || cell->candidates.rows.empty())
          continue;
        if (owner.empty()) {
          const std::string shown = names(key);
          owner = shown.substr(0, shown.rfind(" / "));
        }
        const auto& rows = cell->candidates.rows;
        const Candidate& last = rows.back();
        const auto best =
            std::max_element(rows.begin(), rows.end(),
                             [](const auto& a, const auto& b) { return a.accuracy < b.accuracy; });
        const auto* used = cell->candidates.column("samples_used");
        std::vector<std::string> shown = {aggregator,
                                          std::to_string(last.k),
                                          fmt_accuracy(last.accuracy),
                                          used != nullptr ? fmt(used->back(), "%.2f") : "all",
                                          std::to_string(best->k),
                                          fmt_accuracy(best->accuracy)};
        std::vector<std::string> values = {
            aggregator,
            std::to_string(last.k),
            text::format_real(last.accuracy),
            used != nullptr ? text::format_real(used->back()) : std::to_string(last.k),
            std::to_string(best->k),
            text::format_real(best->accuracy)};
        for (const auto& o : index.optimizers) {
          const NamedSelection* s = find_selection(*cell, o);
          if (s == nullptr) {
            shown.insert(shown.end(), {"-", "", ""});
            values.insert(values.end(), {"", "", ""});
            continue;
          }
          const SelectionRecord& r = s->record;
          shown.insert(shown.end(),
                       {pick_text(r) + share_text(*s),
                        accuracy_with_interval(*cell, r.k, r.accuracy), fmt_opt(r.cost, fmt_cost)});
          values.insert(values.end(), {full_k(r.k), full(r.accuracy), full(r.cost)});
        }
        t.rows.push_back(std::move(shown));
        t.values.push_back(std::move(values));
      }
      if (t.rows.empty())
        continue;
      doc.heading(3, owner + ", scenario " + g.title());
      doc.table(std::move(t));
    }
  }
}

void stability_section(Document& doc, const Index& index, const ProfileNames& names,
                       const std::vector<StabilityEntry>& all, bool with_exact) {
  doc.heading(2, "Stability over replications");
  std::string intro =
      "How each pick varies over the " + std::to_string(index.replications) +
      " replications (independent seeds): the most frequent k, its share, and the range of "
      "picked k.";
  if (with_exact)
    intro +=
        " Where the profile has an exact evaluator: the exact optimum k* of the same rule, the "
        "share of replications that picked it, and the mean regret of the picks on exact values "
        "(accuracy E[A](k*) - E[A](k); cost and latency E(k) - E(k*); positive = worse than "
        "k*).";
  doc.paragraph(intro);
  for (const Group& g : index.groups) {
    doc.heading(3, "Stability: scenario " + g.title());
    DocTable t;
    t.name = "stability-" + g.file_stem();
    t.header = {"profile", "optimizer", "modal k", "share", "range", "no pick"};
    t.numeric = {false, false, true, true, true, true};
    if (with_exact) {
      for (const char* h :
           {"exact k*", "P(k*)", "regret accuracy", "regret cost (USD)", "regret latency (s)"}) {
        t.header.push_back(h);
        t.numeric.push_back(true);
      }
    }
    for (const auto& e : all) {
      if (e.group.scenario != g.scenario || e.group.sweep != g.sweep)
        continue;
      const Stability& s = e.stability;
      const double share =
          s.replications > 0 ? static_cast<double>(s.modal_count) / s.replications : 0.0;
      const std::string range =
          s.k_min
              ? (*s.k_min == *s.k_max ? std::to_string(*s.k_min)
                                      : std::to_string(*s.k_min) + "-" + std::to_string(*s.k_max))
              : "-";
      std::vector<std::string> row = {names(e.profile),
                                      e.optimizer,
                                      s.modal_k ? std::to_string(*s.modal_k) : "-",
                                      std::to_string(s.modal_count) + "/" +
                                          std::to_string(s.replications) + " (" + percent(share) +
                                          ")",
                                      range,
                                      std::to_string(s.no_pick)};
      std::vector<std::string> values = {
          e.profile,
          e.optimizer,
          full_k(s.modal_k),
          text::format_real(share),
          s.k_min ? std::to_string(*s.k_min) + "-" + std::to_string(*s.k_max) : "",
          std::to_string(s.no_pick)};
      if (with_exact) {
        const bool has = s.p_exact.has_value();
        const std::string exact_k = has ? (s.exact_k ? std::to_string(*s.exact_k) : "none") : "-";
        row.push_back(exact_k);
        values.push_back(has ? exact_k : "");
        row.push_back(has ? percent(*s.p_exact) : "-");
        values.push_back(has ? text::format_real(*s.p_exact) : "");
        for (const auto* v : {&s.regret_accuracy, &s.regret_cost, &s.regret_latency}) {
          row.push_back(!*v ? "-" : **v == 0.0 ? "0" : fmt(**v, "%+.3g"));
          values.push_back(full(*v));
        }
      }
      t.rows.push_back(std::move(row));
      t.values.push_back(std::move(values));
    }
    doc.table(std::move(t));
  }
}

void sampling_section(Document& doc, ResultStore& store, const Index& index,
                      const std::vector<StabilityEntry>& own, Plugins& plugins,
                      std::vector<std::string>& notes) {
  const RunContext& c = index.run.context;
  if (c.evaluator == Evaluator::exact || c.replications < 2 || c.sampling.empty())
    return;
  // The newest other run of the same manifest, differing only in run.sampling.
  std::optional<StoredRun> other;
  const auto runs = store.runs();
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    if (it->id == index.run.summary.id || it->manifest_sha256 != c.manifest_sha256)
      continue;
    StoredRun candidate = store.load_run(it->id);
    const RunContext& oc = candidate.context;
    if (oc.sampling.empty() || oc.sampling == c.sampling || oc.replications < 2 ||
        oc.evaluator != c.evaluator || oc.trials != c.trials ||
        overrides_without_sampling(oc.overrides) != overrides_without_sampling(c.overrides))
      continue;
    other = std::move(candidate);
    break;
  }
  if (!other)
    return;
  const Index other_index(*other);
  std::vector<std::string> other_notes;
  const auto other_exact = exact_references(other_index, plugins, other_notes);
  const auto theirs = stability_entries(other_index, other_exact);

  doc.heading(2, "Nested against independent sampling");
  doc.paragraph("Run " + std::to_string(index.run.summary.id) + " (" + c.sampling + ") and run " +
                std::to_string(other->summary.id) + " (" + other->context.sampling +
                ") are the same manifest with the same trials, differing only in sampling. Per "
                "rule, over every profile and scenario: the mean share of the modal pick, the "
                "mean number of distinct picks, and where exact references exist the mean "
                "share of replications that found the exact optimum and the mean absolute "
                "accuracy regret.");
  DocTable t;
  t.name = "sampling";
  t.header = {"optimizer",   "sampling",   "run",         "groups",
              "modal share", "distinct k", "P(exact k*)", "|regret accuracy|"};
  t.numeric = {false, false, true, true, true, true, true, true};
  auto add_rows = [&](const std::vector<StabilityEntry>& entries, const StoredRun& run,
                      const std::string& optimizer) {
    std::vector<Stability> groups;
    std::vector<int> distinct;
    for (const auto& e : entries) {
      if (e.optimizer == optimizer) {
        groups.push_back(e.stability);
        distinct.push_back(e.distinct);
      }
    }
    const SamplingSummary s = summarise(groups, distinct);
    t.rows.push_back({optimizer, run.context.sampling, std::to_string(run.summary.id),
                      std::to_string(s.groups), percent(s.mean_modal_share),
                      fmt(s.mean_distinct, "%.2f"), s.mean_p_exact ? percent(*s.mean_p_exact) : "-",
                      s.mean_abs_regret_accuracy ? fmt(*s.mean_abs_regret_accuracy, "%.3g") : "-"});
    t.values.push_back({optimizer, run.context.sampling, std::to_string(run.summary.id),
                        std::to_string(s.groups), text::format_real(s.mean_modal_share),
                        text::format_real(s.mean_distinct), full(s.mean_p_exact),
                        full(s.mean_abs_regret_accuracy)});
  };
  for (const auto& optimizer : index.optimizers) {
    add_rows(own, index.run, optimizer);
    add_rows(theirs, *other, optimizer);
  }
  doc.table(std::move(t));
  notes.insert(notes.end(), other_notes.begin(), other_notes.end());
}

void cross_model_section(Document& doc, const Index& index, const ProfileNames& names,
                         Plugins& plugins, const std::map<std::string, GroupPool>& pools) {
  doc.heading(2, "Cross-model view");
  doc.paragraph(
      "Every (profile, k) of a scenario pooled into one candidate set (replication 0). The "
      "Pareto set across models (cost and latency minimised, accuracy maximised, among the "
      "feasible candidates); each rule applied to the pool, so it chooses the model as well as "
      "k (the pool is ordered by cost, so a tie goes to the cheaper candidate); and for each "
      "profile's accuracy-max pick, the cheapest candidate of another profile that reaches at "
      "least its accuracy within the budgets at a strictly lower cost.");
  for (const Group& g : index.groups) {
    doc.heading(3, "Cross-model: scenario " + g.title());
    const auto it = pools.find(g.title());
    if (it == pools.end() || !it->second.valid) {
      doc.paragraph("No finished cell with feasibility: nothing to pool.");
      continue;
    }
    const Pool& p = it->second.pool;
    doc.paragraph(std::to_string(p.table.rows.size()) + " candidates from " +
                  std::to_string(it->second.inputs.size()) + " profiles; " +
                  std::to_string(p.feasible_rows.size()) + " feasible; " +
                  std::to_string(p.pareto.size()) + " on the cross-model Pareto set.");

    // Each rule on the pool.
    const CellResult* any = index.any(g);
    const auto* scenario = any != nullptr ? plugins.get<Scenario>(any->scenario_spec) : nullptr;
    if (scenario != nullptr) {
      AssessedTable assessed;
      assessed.budget = scenario->checked().budget();
      for (const bool f : p.feasible)
        assessed.verdicts.push_back({f, f ? "" : "infeasible for its profile"});
      assessed.feasible = p.feasible_rows;
      assessed.pareto = p.pareto;
      DocTable t;
      t.name = "cross-model-rules-" + g.file_stem();
      t.header = {"optimizer",   "status",        "profile",       "k",
                  "E[accuracy]", "E[cost] (USD)", "E[latency] (s)"};
      t.numeric = {false, false, false, true, true, true, true};
      for (const auto& name : index.optimizers) {
        const NamedSelection* s = nullptr;
        for (const auto& profile : index.profiles) {
          if (const CellResult* c = index.finished(0, g, profile))
            if ((s = find_selection(*c, name)) != nullptr)
              break;
        }
        const auto* optimizer =
            s != nullptr ? plugins.get<Optimizer>(s->record.canonical_spec) : nullptr;
        if (optimizer == nullptr)
          continue;
        const SelectionRecord r = run_selection(*optimizer, p.table, assessed);
        std::string profile = "-", k;
        if (r.k) {
          const PoolOrigin& o = p.origin[static_cast<std::size_t>(*r.k - 1)];
          profile = o.profile;
          k = std::to_string(o.k);
        }
        t.rows.push_back({name, status_text(r), r.k ? names(profile) : profile, k,
                          fmt_opt(r.accuracy, fmt_accuracy), fmt_opt(r.cost, fmt_cost),
                          fmt_opt(r.latency, fmt_latency)});
        t.values.push_back(
            {name, status_text(r), profile, k, full(r.accuracy), full(r.cost), full(r.latency)});
      }
      doc.paragraph("Each rule on the pool:");
      doc.table(std::move(t));
    } else {
      doc.paragraph(
          "The rules on the pool need the scenario plugin, which could not be "
          "re-created (see the notes).");
    }

    // Cheaper alternatives to each profile's accuracy-max pick.
    std::optional<std::string> accuracy_max;
    for (const auto& name : index.optimizers) {
      for (const auto& profile : index.profiles) {
        if (const CellResult* c = index.finished(0, g, profile)) {
          const NamedSelection* s = find_selection(*c, name);
          if (s != nullptr && s->record.optimizer == "accuracy-max")
            accuracy_max = name;
          break;
        }
      }
      if (accuracy_max)
        break;
    }
    if (!accuracy_max) {
      doc.paragraph(
          "No optimizer of the run uses the accuracy-max plugin, so there is no "
          "'cheaper model' table; add one to the manifest to get it.");
    } else {
      std::vector<ReferencePick> refs;
      for (std::size_t i = 0; i < it->second.inputs.size(); ++i) {
        const CellResult* c = index.finished(0, g, it->second.inputs[i].profile);
        const NamedSelection* s = c != nullptr ? find_selection(*c, *accuracy_max) : nullptr;
        if (s != nullptr && s->record.k)
          refs.push_back({i, *s->record.k});
      }
      auto rows = cheaper_alternatives(p, refs);
      std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.reference_values.cost > b.reference_values.cost;
      });
      DocTable t;
      t.name = "cheaper-alternatives-" + g.file_stem();
      // Every column named once: a CSV reader keys columns by name.
      t.header = {"profile",
                  "k",
                  "E[accuracy]",
                  "E[cost] (USD)",
                  "E[latency] (s)",
                  "cheaper alternative",
                  "alternative k",
                  "alternative E[accuracy]",
                  "alternative E[cost] (USD)",
                  "alternative E[latency] (s)",
                  "cost ratio",
                  "latency ratio"};
      t.numeric = {false, true, true, true, true, false, true, true, true, true, true, true};
      for (const auto& row : rows) {
        const Candidate& r = row.reference_values;
        std::vector<std::string> shown = {names(row.reference.profile),
                                          std::to_string(row.reference.k), fmt_accuracy(r.accuracy),
                                          fmt_cost(r.cost), fmt_latency(r.latency)};
        std::vector<std::string> values = {row.reference.profile, std::to_string(row.reference.k),
                                           text::format_real(r.accuracy), text::format_real(r.cost),
                                           text::format_real(r.latency)};
        if (row.alternative) {
          const Candidate& a = row.alternative_values;
          shown.push_back(names(row.alternative->profile));
          values.push_back(row.alternative->profile);
          for (auto* v : {&shown, &values})
            v->push_back(std::to_string(row.alternative->k));
          shown.insert(shown.end(),
                       {fmt_accuracy(a.accuracy), fmt_cost(a.cost), fmt_latency(a.latency),
                        fmt_opt(row.cost_ratio, [](double x) { return fmt(x, "%.3g"); }),
                        fmt_opt(row.latency_ratio, [](double x) { return fmt(x, "%.3g"); })});
          values.insert(values.end(), {text::format_real(a.accuracy), text::format_real(a.cost),
                                       text::format_real(a.latency), full(row.cost_ratio),
                                       full(row.latency_ratio)});
        } else {
          shown.insert(shown.end(), {"none", "", "", "", "", "", ""});
          values.insert(values.end(), {"", "", "", "", "", "", ""});
        }
        t.rows.push_back(std::move(shown));
        t.values.push_back(std::move(values));
      }
      doc.paragraph(
          "Cheaper alternatives to each profile's " + *accuracy_max +
          " pick (most expensive pick first): the cheapest feasible candidate of another "
          "profile whose expected accuracy is at least the pick's and whose expected cost is "
          "strictly lower (ties: lower latency, then manifest order, then smaller k); 'none' "
          "when no other profile reaches that accuracy for less. The cost ratio (alternative / "
          "pick) is therefore below 1; the latency ratio may be above 1 (cheaper, but slower):");
      doc.table(std::move(t));
    }

    DocTable front;
    front.name = "cross-model-pareto-" + g.file_stem();
    front.header = {"profile", "k", "E[accuracy]", "E[cost] (USD)", "E[latency] (s)"};
    front.numeric = {false, true, true, true, true};
    for (const std::size_t row : p.pareto) {
      const Candidate& c = p.table.rows[row];
      const PoolOrigin& o = p.origin[row];
      // With run.bootstrap, the accuracy's interval from the candidate's own cell.
      const CellResult* cell = index.cell(0, g, o.profile);
      front.rows.push_back({names(o.profile), std::to_string(o.k),
                            cell != nullptr ? accuracy_with_interval(*cell, o.k, c.accuracy)
                                            : fmt_accuracy(c.accuracy),
                            fmt_cost(c.cost), fmt_latency(c.latency)});
      front.values.push_back({o.profile, std::to_string(o.k), text::format_real(c.accuracy),
                              text::format_real(c.cost), text::format_real(c.latency)});
    }
    doc.paragraph("The cross-model Pareto set, cheapest first:");
    doc.table(std::move(front));
  }
}

void errors_section(Document& doc, const Index& index, const ProfileNames& names) {
  std::vector<std::string> items;
  std::size_t count = 0;
  for (const auto& c : index.run.cells) {
    if (c.status != CellStatus::error)
      continue;
    if (++count <= 50)
      items.push_back(names(c.profile) + " x " + c.scenario +
                      (c.sweep.empty() ? "" : " at " + c.sweep) + ", replication " +
                      std::to_string(c.replication) + ": " + c.message);
  }
  if (items.empty())
    return;
  doc.heading(2, "Cells that failed");
  if (count > items.size())
    items.push_back("... and " + std::to_string(count - items.size()) + " more");
  doc.bullets(std::move(items));
}

void sweep_section(Document& doc, const Index& index, const ProfileNames& names,
                   const std::vector<SweepSummary>& sweeps,
                   const std::map<std::string, std::vector<DocFigure>>* figures) {
  if (sweeps.empty())
    return;
  std::vector<std::string> paths;
  for (const auto& summary : sweeps)
    for (const auto& axis : summary.axes)
      add_unique(paths, axis);
  doc.heading(2, "Sweep summary");
  doc.paragraph(
      "The run sweeps " + text::join(paths, ", ") + " (" + std::to_string(index.sweeps.size()) +
      " sweep points). Per scenario, each rule's pick for each profile against the swept "
      "values (replication 0): status, k, and the expected accuracy, cost (USD per request) and "
      "latency (s per request) of the candidate picked. A swept parameter of another scenario "
      "is left out of a scenario's table. The sections below have every sweep point in "
      "detail.");
  for (const SweepSummary& summary : sweeps) {
    doc.heading(3, "Sweep: scenario " + summary.scenario);
    DocTable t;
    t.name = "sweep-" + slug(summary.scenario);
    t.header = summary.axes;
    t.numeric.assign(summary.axes.size(), true);
    for (const char* h : {"profile", "optimizer", "status", "k", "E[accuracy]", "E[cost] (USD)",
                          "E[latency] (s)"}) {
      t.header.push_back(h);
      t.numeric.push_back(t.header.size() > summary.axes.size() + 3);
    }
    for (const auto& point : summary.points) {
      for (const auto& profile : index.profiles) {
        for (const auto& optimizer : index.optimizers) {
          const SelectionRecord* r =
              sweep_pick(index, summary.scenario, point.sweep, profile, optimizer);
          std::vector<std::string> row = point.values, values = point.values;
          row.insert(row.end(), {names(profile), optimizer});
          values.insert(values.end(), {profile, optimizer});
          if (r == nullptr) {
            for (auto* v : {&row, &values})
              v->insert(v->end(), {"-", "", "", "", ""});
          } else {
            row.insert(row.end(),
                       {status_text(*r), full_k(r->k), fmt_opt(r->accuracy, fmt_accuracy),
                        fmt_opt(r->cost, fmt_cost), fmt_opt(r->latency, fmt_latency)});
            values.insert(values.end(), {status_text(*r), full_k(r->k), full(r->accuracy),
                                         full(r->cost), full(r->latency)});
          }
          t.rows.push_back(std::move(row));
          t.values.push_back(std::move(values));
        }
      }
    }
    doc.table(std::move(t));
    if (figures != nullptr)
      if (const auto it = figures->find(summary.scenario); it != figures->end())
        doc.figures("", it->second);
  }
}

void figures_section(Document& doc, const Index& index, const FigurePlan& plan) {
  doc.heading(2, "Figures");
  doc.paragraph(
      "Per scenario: every profile's candidates in the (cost, accuracy) plane with the "
      "cross-model Pareto set circled (fronts). Per profile: the feasible space in 3D (each k a "
      "point, coloured by cube volume where feasible, with the labelled budget box, each rule's "
      "pick and the utopia point) beside its (cost, accuracy) projection (space); the accuracy "
      "each step of k buys per extra USD and per extra second, against k, with the picks "
      "(efficiency; per extra sample where costs or latencies are all 0); accuracy against k "
      "(bands: 2.5-97.5 % of requests and the 95 % confidence interval of the mean; feasible k "
      "shaded). With several aggregators: accuracy against k, one line per aggregator, with each "
      "rule's pick (aggregators). Per sample log: the observed pass@k and majority vote against "
      "the fitted model, with its 95 % parametric-bootstrap band where it predicts beyond the "
      "log (fit). Only the kinds chosen with --figures are drawn. Colours: Okabe and Ito's "
      "colour-blind-safe palette, with markers as well past 8 series. Replication 0.");
  for (const Group& g : index.groups) {
    const auto it = plan.by_group.find(g.title());
    if (it == plan.by_group.end())
      continue;
    doc.heading(3, "Figures: scenario " + g.title());
    // The fronts first, then one row of three per profile.
    std::vector<DocFigure> block;
    std::string current;
    for (const GroupFigure& f : it->second) {
      if (f.owner != current && !block.empty()) {
        doc.figures(current, std::move(block));
        block.clear();
      }
      current = f.owner;
      block.push_back(f.figure);
    }
    if (!block.empty())
      doc.figures(current, std::move(block));
  }
}

}  // namespace kcube::report
