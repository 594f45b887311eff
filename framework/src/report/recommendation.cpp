#include "report/recommendation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "engine/selection.hpp"
#include "host/spec.hpp"
#include "kcube/error.hpp"
#include "report/report.hpp"
#include "report/sections.hpp"
#include "util/text.hpp"

namespace kcube::report {
namespace {

// ---------------------------------------------------------------------------------------------
// Numbers in sentences

std::string usd(double x) {
  return "$" + fmt(x, "%.3g");
}
std::string seconds(double x) {
  return fmt(x, "%.3g s");
}
// A signed change of seconds, "+35 s", "-8.7 s", "+0.04 s" (no exponents for people).
std::string seconds_change(double delta) {
  return fmt(delta, std::abs(delta) >= 10.0 ? "%+.0f s" : "%+.2g s");
}
// A change of accuracy in percentage points, signed: "+1.3 pp", "-0.04 pp".
std::string points(double delta_accuracy) {
  const double pp = 100.0 * delta_accuracy;
  return fmt(pp, std::abs(pp) >= 0.1 || pp == 0.0 ? "%+.1f pp" : "%+.2g pp");
}

// The plugin the run's optimizer `name` uses (its selections' SelectionRecord::optimizer), and
// the canonical spec it was made from; empty when no cell has a selection of it.
const SelectionRecord* any_record(const Index& index, const std::string& name) {
  for (const auto& [id, cell] : index.cells)
    if (const NamedSelection* s = find_selection(*cell, name))
      return &s->record;
  return nullptr;
}

// The value of parameter `key` in a canonical spec, "" when absent or unreadable.
std::string spec_param(const std::string& spec, const std::string& key) {
  if (spec.empty())
    return "";
  try {
    for (const auto& p : parse_spec(spec).params)
      if (p.key == key)
        return p.value;
  } catch (const std::exception&) {
    // A spec the store holds but this kcube cannot parse: the sentence goes without the detail.
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Why a pick

// The rows of `cell` a rule could pick from: its feasible candidates (all when feasibility was
// not assessed).
std::vector<const Candidate*> feasible_rows(const CellResult& cell) {
  std::vector<const Candidate*> rows;
  const auto& all = cell.candidates.rows;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (cell.feasible.empty() || (i < cell.feasible.size() && cell.feasible[i]))
      rows.push_back(&all[i]);
  return rows;
}

const Candidate* row_at(const CellResult& cell, int k) {
  for (const Candidate& c : cell.candidates.rows)
    if (c.k == k)
      return &c;
  return nullptr;
}

// What one point of accuracy is paid in along a cell's curve: dollars when requests cost
// something, else seconds when they take time, else samples (logs without prices or times).
struct Price {
  enum class Unit { usd, seconds, samples } unit = Unit::samples;
  double of(const Candidate& c) const {
    switch (unit) {
      case Unit::usd:
        return c.cost;
      case Unit::seconds:
        return c.latency;
      case Unit::samples:
        break;
    }
    return static_cast<double>(c.k);
  }
  std::string text(double x) const {
    switch (unit) {
      case Unit::usd:
        return usd(x);
      case Unit::seconds:
        return seconds(x);
      case Unit::samples:
        break;
    }
    return fmt(x, "%.3g samples");
  }
};

Price price_of(const CellResult& cell) {
  const auto& rows = cell.candidates.rows;
  if (std::any_of(rows.begin(), rows.end(), [](const Candidate& c) { return c.cost > 0.0; }))
    return {Price::Unit::usd};
  if (std::any_of(rows.begin(), rows.end(), [](const Candidate& c) { return c.latency > 0.0; }))
    return {Price::Unit::seconds};
  return {Price::Unit::samples};
}

// The average price of one percentage point of accuracy from `from` to `to`, (P(to) - P(from)) /
// (100 (A(to) - A(from))); empty when `to` is not more accurate.
std::optional<double> price_per_point(const Price& p, const Candidate& from, const Candidate& to) {
  const double gain = 100.0 * (to.accuracy - from.accuracy);
  if (!(gain > 0.0))
    return std::nullopt;
  return (p.of(to) - p.of(from)) / gain;
}

// The knee in numbers: what a percentage point of accuracy costs on average up to the pick (from
// the cheapest feasible k) and beyond it (to the most accurate feasible k).
std::string knee_sentence(const CellResult& cell, const Candidate& pick,
                          const std::string& method) {
  std::string text = "the knee of the Pareto front" + (method.empty() ? "" : " (" + method + ")");
  const auto rows = feasible_rows(cell);
  if (rows.empty())
    return text;
  const Candidate& first = *rows.front();
  const Candidate& best = **std::max_element(rows.begin(), rows.end(), [](auto* a, auto* b) {
    return a->accuracy < b->accuracy;  // ties: the first, the smallest k
  });
  const Price price = price_of(cell);
  const auto before = price_per_point(price, first, pick);
  const auto after = price_per_point(price, pick, best);
  if (!after)
    return text + ": no feasible k is more accurate";
  const std::string beyond = price.text(*after) + " beyond it (to k = " + std::to_string(best.k) +
                             ", the most accurate within the budget)";
  if (before && *before > 0.0) {
    return text + ": a percentage point of accuracy costs " + price.text(*before) +
           " per request up to k = " + std::to_string(pick.k) + " and " + beyond + ", " +
           fmt(*after / *before, "%.2g") + " times as much";
  }
  return text + ": each further percentage point of accuracy costs " + beyond;
}

// How far `c` is outside `budget`: the largest of C / cost_max, T / latency_max and
// accuracy_min / A (1 is on the edge), with the axis and a phrase saying how.
struct Miss {
  double ratio = 0.0;
  std::string how;
};

Miss budget_miss(const Candidate& c, const Budget& b) {
  Miss worst;
  auto consider = [&](double ratio, std::string how) {
    if (ratio > worst.ratio)
      worst = {ratio, std::move(how)};
  };
  if (std::isfinite(b.cost_max) && b.cost_max > 0.0)
    consider(c.cost / b.cost_max, "cost " + usd(c.cost) + " exceeds the limit " + usd(b.cost_max));
  if (std::isfinite(b.latency_max) && b.latency_max > 0.0)
    consider(c.latency / b.latency_max,
             "latency " + seconds(c.latency) + " exceeds the limit " + seconds(b.latency_max));
  if (b.accuracy_min > 0.0)
    consider(
        c.accuracy > 0.0 ? b.accuracy_min / c.accuracy : std::numeric_limits<double>::infinity(),
        "accuracy " + fmt(c.accuracy, "%.3f") + " against a minimum of " +
            fmt(b.accuracy_min, "%.3f"));
  return worst;
}

// "no k meets the budget; the closest is k = 3, whose cost $0.012 exceeds the limit $0.01"
// (the candidate with the smallest largest miss, ties to the smaller k).
std::string infeasible_sentence(const CellResult& cell, Plugins& plugins,
                                const std::string& reason) {
  const auto* scenario = plugins.get<Scenario>(cell.scenario_spec);
  if (scenario == nullptr || cell.candidates.rows.empty())
    return "no k meets the budget" + (reason.empty() ? "" : " (" + reason + ")");
  const Budget budget = scenario->checked().budget();
  const Candidate* closest = nullptr;
  Miss closest_miss;
  for (const Candidate& c : cell.candidates.rows) {
    const Miss m = budget_miss(c, budget);
    if (closest == nullptr || m.ratio < closest_miss.ratio) {
      closest = &c;
      closest_miss = m;
    }
  }
  return "no k meets the budget; the closest is k = " + std::to_string(closest->k) + ", whose " +
         closest_miss.how;
}

// One sentence why `rule` picked what it did in `cell`.
std::string why_sentence(const CellResult& cell, const SelectionRecord& r, Plugins& plugins) {
  switch (r.status) {
    case SelectionStatus::infeasible:
      return infeasible_sentence(cell, plugins, r.reason);
    case SelectionStatus::fallback:
      return "the rule could not apply: " + r.reason;
    case SelectionStatus::too_few_points:
      return "no pick: " + r.reason;
    case SelectionStatus::error:
      return "the rule failed: " + r.reason;
    case SelectionStatus::selected:
      break;
  }
  const Candidate* pick = r.k ? row_at(cell, *r.k) : nullptr;
  if (pick == nullptr)
    return r.reason;
  if (r.optimizer == "knee-point")
    return knee_sentence(cell, *pick, spec_param(r.canonical_spec, "method"));
  if (r.optimizer == "accuracy-max") {
    const auto rows = feasible_rows(cell);
    const bool largest = !rows.empty() && rows.back()->k == pick->k;
    return std::string("the most accurate k within the budget") +
           (largest ? ", which is also the largest k the budget allows" : "") +
           (spec_param(r.canonical_spec, "tolerance").empty() ||
                    spec_param(r.canonical_spec, "tolerance") == "0"
                ? ""
                : " (or the smallest k within the rule's tolerance of it)");
  }
  if (r.optimizer == "cube-max")
    return "the largest cube between the candidate and the budget's limits: the most room left "
           "on cost, latency and accuracy together";
  if (r.optimizer == "utopia-closest")
    return "the Pareto point nearest the ideal ($0, 0 s, accuracy 1), each axis scaled by its "
           "budget";
  return r.reason;
}

// ---------------------------------------------------------------------------------------------
// The other rules against the recommendation

// "accuracy-max k = 52: +1.3 pp accuracy for 2.6x the cost and +0.8 s latency"; `names` are
// the rules that picked o.k.
std::string relative_text(const std::string& names, const SelectionRecord& o,
                          const SelectionRecord& rec) {
  std::string text = names + " k = " + std::to_string(*o.k) + ": ";
  if (!rec.k || !rec.accuracy || !o.accuracy) {
    // Nothing to be relative to: the other pick's own numbers.
    return text + "accuracy " + fmt(o.accuracy.value_or(0.0), "%.3f") + ", " +
           usd(o.cost.value_or(0.0)) + ", " + seconds(o.latency.value_or(0.0));
  }
  text += points(*o.accuracy - *rec.accuracy) + " accuracy";
  std::vector<std::string> costs;
  const double c_rec = rec.cost.value_or(0.0), c_o = o.cost.value_or(0.0);
  if (c_rec > 0.0)
    costs.push_back(fmt(c_o / c_rec, "%.2gx") + " the cost");
  else if (c_o > 0.0)
    costs.push_back("+" + usd(c_o) + " cost");
  const double t_rec = rec.latency.value_or(0.0), t_o = o.latency.value_or(0.0);
  if (t_rec > 0.0 || t_o > 0.0)
    costs.push_back(seconds_change(t_o - t_rec) + " latency");
  if (costs.empty())  // free and instant (logs without prices or times): samples are the price
    costs.push_back(fmt(static_cast<double>(*o.k) / *rec.k, "%.2gx") + " the samples");
  return text + " for " + text::join(costs, " and ");
}

// Each other rule's pick relative to the recommendation `rec`, rules that pick the same k named
// together, in the order of their first appearance.
std::string others_text(const CellResult& cell, const Index& index, const std::string& rule,
                        const SelectionRecord& rec) {
  std::vector<std::string> same;
  std::vector<std::pair<const SelectionRecord*, std::vector<std::string>>> by_k;
  std::map<std::string, std::vector<std::string>> none;  // status -> rules without a pick
  std::size_t others = 0;
  for (const auto& name : index.optimizers) {
    if (name == rule)
      continue;
    const NamedSelection* s = find_selection(cell, name);
    if (s == nullptr)
      continue;
    ++others;
    const SelectionRecord& o = s->record;
    if (!o.k) {
      none[std::string(to_string(o.status))].push_back(name);
    } else if (o.k == rec.k) {
      same.push_back(name);
    } else {
      const auto it = std::find_if(by_k.begin(), by_k.end(),
                                   [&o](const auto& entry) { return entry.first->k == o.k; });
      if (it == by_k.end())
        by_k.push_back({&o, {name}});
      else
        it->second.push_back(name);
    }
  }
  if (others > 1 && same.size() == others)
    return "every other rule agrees";
  std::vector<std::string> parts;
  for (const auto& [o, names] : by_k)
    parts.push_back(relative_text(text::join(names, ", "), *o, rec));
  if (!same.empty())
    parts.push_back(text::join(same, ", ") + (same.size() == 1 ? " agrees" : " agree"));
  for (const auto& [status, rules] : none)
    parts.push_back(text::join(rules, ", ") + ": no pick (" + status + ")" +
                    (!rec.k && status == to_string(rec.status) ? " either" : ""));
  return parts.empty() ? "-" : text::join(parts, "; ");
}

// ---------------------------------------------------------------------------------------------
// The section

std::string intro_text(const Index& index, const RecommendRule& rule) {
  std::string text =
      "For each scenario and profile: the k that " + rule.optimizer +
      " picks (replication 0), in "
      "one sentence why, its expected accuracy, cost (USD per request) and latency (s per "
      "request), how sure the pick is, and what each other rule's pick buys and costs instead.";
  if (rule.asked) {
    text += " The recommending rule is " + rule.optimizer + ", chosen with --recommend.";
  } else if (rule.fallback) {
    text += " " + rule.fallback_note;
  } else {
    text += std::string(" The recommending rule is ") + kDefaultRecommendRule +
            ", the default (choose another with --recommend RULE): it stops where further "
            "samples stop paying for themselves, whereas the most accurate k within the budget "
            "often buys its last fraction of a point at several times the cost.";
  }
  if (index.aggregators.size() > 1)
    text += " The run compares " + std::to_string(index.aggregators.size()) +
            " aggregators, so each profile and aggregator pair has its row: the aggregator changes "
            "both the accuracy and the k worth paying for (the Aggregators section sets them side "
            "by side).";
  if (has_pick_confidence(index))
    text +=
        " P(pick) is the share of question resamples (run.bootstrap), or else of replications, "
        "that pick the same k; a k in parentheses is the more frequent pick.";
  else
    text +=
        " The run has one replication and no bootstrap, so no pick has a confidence; "
        "run.bootstrap (sample logs) or run.replications gives one.";
  return text;
}

}  // namespace

RecommendRule choose_recommend_rule(const Index& index, const std::optional<std::string>& asked) {
  const auto& all = index.optimizers;
  const auto has = [&all](const std::string& name) {
    return std::find(all.begin(), all.end(), name) != all.end();
  };
  if (asked) {
    if (!has(*asked))
      throw Error("kcube report: --recommend '" + *asked + "' is not an optimizer of this run" +
                  text::did_you_mean(*asked, all) +
                  (all.empty() ? "; the run has no optimizers"
                               : "; its optimizers are: " + text::join(all, ", ")) +
                  ". Give one of them (the manifest's keys under optimizers:).");
    return {*asked, true, false, ""};
  }
  if (all.empty())
    return {};
  if (has(kDefaultRecommendRule))
    return {kDefaultRecommendRule, false, false, ""};
  // The same rule under another key is the closest stand-in; then the manifest's first.
  std::string chosen = all.front(), why = "the first optimizer of the manifest";
  for (const auto& name : all) {
    if (const SelectionRecord* r = any_record(index, name);
        r != nullptr && r->optimizer == kDefaultRecommendRule) {
      chosen = name;
      why = std::string("the first that uses the ") + kDefaultRecommendRule + " plugin";
      break;
    }
  }
  return {chosen, false, true,
          std::string("The default rule, ") + kDefaultRecommendRule +
              ", is not an optimizer of this run (its optimizers: " + text::join(all, ", ") +
              "), so the recommendation uses " + chosen + ", " + why +
              "; choose another with --recommend RULE."};
}

void recommendation_section(Document& doc, const Index& index, const ProfileNames& names,
                            Plugins& plugins, const RecommendRule& rule) {
  doc.heading(2, "Recommendation");
  if (rule.optimizer.empty()) {
    doc.paragraph("The run has no optimizer, so there is nothing to recommend.");
    return;
  }
  doc.paragraph(intro_text(index, rule));
  const bool several_groups = index.groups.size() > 1;
  for (const Group& g : index.groups) {
    if (several_groups)
      doc.heading(3, "Recommendation for scenario " + g.title());
    DocTable t;
    t.name = "recommendation-" + g.file_stem();
    t.header = {"profile",        "k",       "E[accuracy]", "E[cost] (USD)",
                "E[latency] (s)", "P(pick)", "why",         "the other rules"};
    t.numeric = {false, true, true, true, true, true, false, false};
    for (const auto& profile : index.profiles) {
      const CellResult* cell = index.cell(0, g, profile);
      if (cell == nullptr)  // the profile is not in this scenario
        continue;
      const NamedSelection* s = find_selection(*cell, rule.optimizer);
      std::vector<std::string> shown = {names(profile)}, values = {profile};
      if (s == nullptr) {
        const std::string why = cell->status == CellStatus::error
                                    ? "the cell failed: " + cell->message
                                    : "the run has no pick of " + rule.optimizer + " here";
        shown.insert(shown.end(), {"-", "", "", "", "", why, "-"});
        values.insert(values.end(), {"", "", "", "", "", why, ""});
      } else {
        const SelectionRecord& r = s->record;
        std::string confidence = pick_confidence(index, g, profile, rule.optimizer, *s);
        const std::string confidence_value =
            s->pick_share ? text::format_real(*s->pick_share) : confidence;
        if (confidence.empty())
          confidence = "single run, no confidence";
        const std::string why = why_sentence(*cell, r, plugins);
        const std::string others = others_text(*cell, index, rule.optimizer, r);
        shown.insert(
            shown.end(),
            {r.k ? std::to_string(*r.k) : "none (" + std::string(to_string(r.status)) + ")",
             r.accuracy ? fmt(*r.accuracy, "%.4f") : "", r.cost ? fmt(*r.cost, "%.4g") : "",
             r.latency ? fmt(*r.latency, "%.4g") : "", confidence, why, others});
        values.insert(
            values.end(),
            {r.k ? std::to_string(*r.k) : "", r.accuracy ? text::format_real(*r.accuracy) : "",
             r.cost ? text::format_real(*r.cost) : "",
             r.latency ? text::format_real(*r.latency) : "", confidence_value, why, others});
      }
      t.row_anchors.push_back(shown.front());
      t.rows.push_back(std::move(shown));
      t.values.push_back(std::move(values));
    }
    if (t.rows.empty()) {
      doc.paragraph("No cell of this scenario was stored.");
      continue;
    }
    doc.table(std::move(t));
  }
}

}  // namespace kcube::report
