// Fuzz target `candidate_csv`: read_candidate_csv() on arbitrary bytes, then, for a table it
// accepts, what `kcube select` does with it: every built-in optimizer under budget scenarios.
//
// kcube::Error is the right answer to a bad table. For an accepted one, the reader's promises
// are checked (rows in strictly increasing k >= 1, finite values in range, every optional
// column one value per row), the table must survive write_candidate_csv() and reading back
// bit for bit, and no built-in optimizer may break its contract (status `error`). Any other
// exception, a crash or a sanitizer report is a bug.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "engine/selection.hpp"
#include "fuzz_support.hpp"
#include "host/spec.hpp"
#include "kcube/candidate_csv.hpp"
#include "kcube/error.hpp"

namespace {

using kcube::fuzz::bug;

constexpr std::string_view kTarget = "candidate_csv";

// The plugins `kcube select` would run, made once: tight and loose budgets on a fine grid, and
// chance constraints (which need quantile columns: without them assess() says so, an Error).
struct Select {
  std::vector<kcube::PluginInstance<kcube::Scenario>> scenarios;
  std::vector<kcube::PluginInstance<kcube::Optimizer>> optimizers;
};

const Select& plugins() {
  static const Select select = [] {
    const kcube::PluginRegistry& registry = kcube::fuzz::builtin_registry();
    Select s;
    for (const char* spec :
         {"budget:cost_max=0.5,latency_max=60,accuracy_min=0.5,k_max=1048576,k_step=1",
          "budget:k_max=1048576,parallelism=4,latency_model=max-wave",
          "budget:cost_max=1,latency_max=100,constraint_mode=chance,k_max=1048576,k_step=1"}) {
      s.scenarios.push_back(registry.create<kcube::Scenario>(kcube::parse_spec(spec)));
    }
    for (const char* spec :
         {"accuracy-max", "cube-max", "cube-max:accuracy_term=normalized", "utopia-closest",
          "knee-point", "knee-point:method=curvature,normalize=range",
          "knee-point:method=reference-2d,fallback=none"}) {
      s.optimizers.push_back(registry.create<kcube::Optimizer>(kcube::parse_spec(spec)));
    }
    return s;
  }();
  return select;
}

bool same_bits(double a, double b) {
  return std::signbit(a) == std::signbit(b) && (a == b || (std::isnan(a) && std::isnan(b)));
}

void check_table(const kcube::CandidateTable& table) {
  if (table.rows.empty())
    bug(kTarget, "an accepted table without rows");
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const kcube::Candidate& c = table.rows[i];
    if (c.k < 1 || (i > 0 && c.k <= table.rows[i - 1].k))
      bug(kTarget, "row " + std::to_string(i) + ": k " + std::to_string(c.k) +
                       " is not >= 1 and strictly increasing");
    if (!std::isfinite(c.cost) || !std::isfinite(c.latency) || !(c.accuracy >= 0.0) ||
        !(c.accuracy <= 1.0) || c.cost < 0.0 || c.latency < 0.0)
      bug(kTarget, "row " + std::to_string(i) + " has a value out of range");
  }
  for (const auto& [name, values] : table.columns) {
    if (values.size() != table.rows.size())
      bug(kTarget, "column " + name + " has " + std::to_string(values.size()) + " values");
    for (const double v : values) {
      if (!std::isfinite(v))
        bug(kTarget, "column " + name + " holds a non-finite value");
    }
  }
}

void check_round_trip(const kcube::CandidateTable& table) {
  std::vector<std::string> names;
  for (const auto& [name, values] : table.columns)
    names.push_back(name);
  std::ostringstream out;
  kcube::write_candidate_csv(out, table, names);
  std::istringstream in(out.str());
  kcube::CandidateTable back;
  try {
    back = kcube::read_candidate_csv(in, "round-trip.csv");
  } catch (const kcube::Error& e) {
    bug(kTarget, std::string("write_candidate_csv wrote a table it cannot read back: ") + e.what() +
                     "\n" + out.str());
  }
  bool same = back.rows.size() == table.rows.size() && back.columns.size() == table.columns.size();
  for (std::size_t i = 0; same && i < table.rows.size(); ++i) {
    const kcube::Candidate& a = table.rows[i];
    const kcube::Candidate& b = back.rows[i];
    same = a.k == b.k && same_bits(a.cost, b.cost) && same_bits(a.latency, b.latency) &&
           same_bits(a.accuracy, b.accuracy);
  }
  for (const auto& [name, values] : table.columns) {
    const std::vector<double>* other = back.column(name);
    same = same && other != nullptr && other->size() == values.size();
    for (std::size_t i = 0; same && i < values.size(); ++i)
      same = same_bits(values[i], (*other)[i]);
  }
  if (!same)
    bug(kTarget, "write_candidate_csv and read_candidate_csv disagree:\n" + out.str());
}

void check_selection(const kcube::CandidateTable& table) {
  for (const auto& scenario : plugins().scenarios) {
    kcube::AssessedTable assessed;
    try {
      assessed = kcube::assess(scenario, table);
    } catch (const kcube::Error&) {
      continue;  // chance constraints without the quantile columns
    }
    for (const auto& optimizer : plugins().optimizers) {
      const kcube::SelectionRecord record = kcube::run_selection(optimizer, table, assessed);
      if (record.status == kcube::SelectionStatus::error) {
        bug(kTarget, "built-in optimizer " + record.canonical_spec + " failed under " +
                         scenario.spec() + ": " + record.reason);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)plugins();
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const kcube::CandidateTable table = kcube::read_candidate_csv(in, "fuzz.csv");
    check_table(table);
    check_round_trip(table);
    check_selection(table);
  } catch (const kcube::Error&) {
    // The documented answer to a bad table.
  } catch (const std::exception& e) {
    kcube::fuzz::unexpected(kTarget, e);
  }
  return 0;
}
