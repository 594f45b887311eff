// The `curve` model profile (plugins/model-profile/curve): a measured per-k table served as it is
// (interpolate: none) or linearly in log k between its rows (interpolate: linear), with its spread
// columns; errors at the file's line; a grid with none of its k; the checked wrapper's contract
// (CheckedProfile::expected_curve); and the engine: the exact evaluator takes the curve as the
// candidate table, another aggregator and the Monte Carlo evaluator are refused.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "engine/exact.hpp"
#include "host/checked.hpp"
#include "kcube/aggregator.hpp"
#include "kcube/candidate_csv.hpp"
#include "kcube/error.hpp"
#include "kcube/model_profile.hpp"
#include "message_of.hpp"
#include "samples_profile.hpp"

namespace {

using kcube::CandidateTable;
using kcube::CheckedProfile;
using kcube::Deployment;
using kcube::test::LoadedProfile;
using kcube::test::ParamValues;
using kcube::test::WrittenLog;

/// The shipped example table (k = 4, 8, 16, 32, 64).
std::filesystem::path measured_candidates() {
  return std::filesystem::path(KCUBE_TEST_SOURCE_DIR) / "experiments" / "examples" /
         "measured-candidates.csv";
}

/// A `curve` profile of the table at `path` with the other parameters `values`.
LoadedProfile curve_profile(const std::filesystem::path& path, ParamValues values = {}) {
  values["path"] = path.string();
  return {"curve", values};
}

/// The checked curve of `profile` on the grid of `deployment`.
CandidateTable curve_on(const LoadedProfile& profile, const Deployment& deployment,
                        std::vector<std::string>& notes) {
  const std::vector<int> grid = deployment.k_grid();
  return CheckedProfile(*profile).expected_curve(grid, notes);
}

/// A synthetic table with a quantile column and trials: k = 1, 4, 16.
constexpr const char* kSynthetic =
    "k,cost,latency,accuracy,cost_p95,accuracy_se,trials\n"
    "1,1,10,0.5,2,0.04,100\n"
    "4,4,20,0.7,8,0.02,50\n"
    "16,16,40,0.8,32,0.01,80\n";

/// Keeps the best sample: max-accuracy's exact form.
class BestOf final : public kcube::Aggregator {
 public:
  kcube::SampleFields needs() const override { return {}; }
  void aggregate(std::span<const kcube::InferenceOutcome> path, std::span<double> accuracy,
                 std::span<std::int32_t> used) const override {
    double best = 0.0;
    for (std::size_t j = 0; j < path.size(); ++j) {
      best = std::max(best, path[j].accuracy);
      accuracy[j] = best;
      used[j] = static_cast<std::int32_t>(j + 1);
    }
  }
  IidForm iid_form() const override { return IidForm::best_of_k; }
};

/// Some sample is correct: pass-at-k's exact form, which a measured curve cannot take.
class AnyCorrect final : public kcube::Aggregator {
 public:
  kcube::SampleFields needs() const override { return {}; }
  void aggregate(std::span<const kcube::InferenceOutcome> path, std::span<double> accuracy,
                 std::span<std::int32_t> used) const override {
    double miss = 1.0;
    for (std::size_t j = 0; j < path.size(); ++j) {
      miss *= 1.0 - path[j].accuracy;
      accuracy[j] = 1.0 - miss;
      used[j] = static_cast<std::int32_t>(j + 1);
    }
  }
  IidForm iid_form() const override { return IidForm::any_correct; }
};

/// A profile whose curve breaks the contract in the way `kind` names.
class BrokenCurve final : public kcube::ModelProfile {
 public:
  explicit BrokenCurve(int kind) : kind_(kind) {}
  std::string display_name() const override { return "broken"; }
  void draw_path(kcube::RandomStream&, std::span<kcube::InferenceOutcome>) const override {}
  bool has_curve() const override { return true; }
  CandidateTable expected_curve(std::span<const int>, std::vector<std::string>&) const override {
    CandidateTable t;
    switch (kind_) {
      case 0:
        t.rows = {{3, 1.0, 1.0, 0.5}};  // not on a grid of multiples of 2
        break;
      case 1:
        t.rows = {{4, 1.0, 1.0, 0.5}, {2, 1.0, 1.0, 0.5}};  // decreasing k
        break;
      case 2:
        t.rows = {{2, 1.0, 1.0, 1.5}};  // accuracy above 1
        break;
      case 3:
        t.rows = {{2, std::nan(""), 1.0, 0.5}};
        break;
      case 4:
        t.rows = {{2, 1.0, 1.0, 0.5}};
        t.columns["cost_p95"] = {1.0, 2.0};  // two values for one row
        break;
      default:
        break;  // no rows
    }
    return t;
  }

 private:
  int kind_;
};

}  // namespace

TEST_CASE("curve: interpolate none serves the table's own rows on the grid, exactly as read") {
  const LoadedProfile profile = curve_profile(measured_candidates());
  CHECK(profile->has_curve());
  CHECK_FALSE(profile->has_exact());
  CHECK(profile->display_name() == "measured-candidates");
  const CandidateTable file = kcube::read_candidate_csv_file(measured_candidates().string());
  std::vector<std::string> notes;
  const CandidateTable table =
      curve_on(profile, {.parallelism = 4, .k_max = 64, .k_step = 4}, notes);
  REQUIRE(table.rows.size() == file.rows.size());
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    CHECK(table.rows[i].k == file.rows[i].k);
    CHECK(table.rows[i].cost == file.rows[i].cost);
    CHECK(table.rows[i].latency == file.rows[i].latency);
    CHECK(table.rows[i].accuracy == file.rows[i].accuracy);
  }
  // 16 grid k (4 to 64), 5 of them in the table: the other 11 are named once.
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("serves k = 4, 8, 16, 32, 64") != std::string::npos);
  CHECK(notes[0].find("the other 11 grid k are not in the table") != std::string::npos);
}

TEST_CASE("curve: interpolate none leaves out table k off the grid and keeps spread columns") {
  const WrittenLog csv("synthetic-curve.csv", kSynthetic);
  const LoadedProfile profile = curve_profile(csv.path, {{"display_name", "mine"}});
  CHECK(profile->display_name() == "mine");
  std::vector<std::string> notes;
  // Grid 2, 4, ..., 16: k = 1 is not on it.
  const CandidateTable table = curve_on(profile, {.k_max = 16, .k_step = 2}, notes);
  REQUIRE(table.rows.size() == 2);
  CHECK(table.rows[0].k == 4);
  CHECK(table.rows[1].k == 16);
  REQUIRE(table.column("cost_p95") != nullptr);
  CHECK(*table.column("cost_p95") == std::vector<double>{8, 32});
  CHECK(*table.column("accuracy_se") == std::vector<double>{0.02, 0.01});
  CHECK(*table.column("trials") == std::vector<double>{50, 80});
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("the table's k = 1 are not on the grid") != std::string::npos);
}

TEST_CASE("curve: a grid with none of the table's k is an error listing both") {
  const LoadedProfile profile = curve_profile(measured_candidates());
  std::vector<std::string> notes;
  const std::string message =
      kcube::test::message_of([&] { curve_on(profile, {.k_max = 30, .k_step = 3}, notes); });
  CHECK(message.find("measured-candidates.csv: none of the table's k (4, 8, 16, 32, 64) is on "
                     "the deployment's k grid (3, 6, ..., 30") != std::string::npos);
  CHECK(message.find("interpolate: linear") != std::string::npos);
  // Linear interpolation serves that grid between 4 and 64: 6, 9, ..., 30.
  const LoadedProfile linear = curve_profile(measured_candidates(), {{"interpolate", "linear"}});
  const CandidateTable table = curve_on(linear, {.k_max = 30, .k_step = 3}, notes);
  REQUIRE(table.rows.size() == 9);
  CHECK(table.rows.front().k == 6);
  CHECK(table.rows.back().k == 30);
  // Beyond the table's range on both sides: an error too.
  const std::string outside =
      kcube::test::message_of([&] { curve_on(linear, {.k_max = 3, .k_step = 1}, notes); });
  CHECK(outside.find("no k of the deployment's k grid (1, 2, 3") != std::string::npos);
  CHECK(outside.find("within the table's k 4 to 64") != std::string::npos);
}

TEST_CASE("curve: interpolate linear is linear in log k, exact at the table's k") {
  const WrittenLog csv("synthetic-curve.csv", kSynthetic);
  const LoadedProfile profile = curve_profile(csv.path, {{"interpolate", "linear"}});
  std::vector<std::string> notes;
  const CandidateTable table = curve_on(profile, {.k_max = 20, .k_step = 1}, notes);
  REQUIRE(table.rows.size() == 16);  // k = 1..16; 17..20 lie beyond the table
  const auto row = [&](int k) { return table.rows[static_cast<std::size_t>(k - 1)]; };
  // By hand: k = 2 is halfway from 1 to 4 in log k (ln 2 / ln 4 = 1/2), k = 8 halfway from 4 to
  // 16; so each value is the mean of its two neighbours.
  CHECK(row(2).accuracy == doctest::Approx(0.6).epsilon(1e-14));
  CHECK(row(2).cost == doctest::Approx(2.5).epsilon(1e-14));
  CHECK(row(2).latency == doctest::Approx(15.0).epsilon(1e-14));
  CHECK(row(8).accuracy == doctest::Approx(0.75).epsilon(1e-14));
  CHECK(row(8).cost == doctest::Approx(10.0).epsilon(1e-14));
  CHECK(row(8).latency == doctest::Approx(30.0).epsilon(1e-14));
  // k = 3: t = ln 3 / ln 4.
  const double t = std::log(3.0) / std::log(4.0);
  CHECK(row(3).accuracy == doctest::Approx(0.5 + t * 0.2).epsilon(1e-14));
  // The spread columns the same way; trials the smaller neighbour.
  const std::vector<double>& p95 = *table.column("cost_p95");
  const std::vector<double>& se = *table.column("accuracy_se");
  const std::vector<double>& trials = *table.column("trials");
  CHECK(p95[1] == doctest::Approx(5.0).epsilon(1e-14));
  CHECK(se[7] == doctest::Approx(0.015).epsilon(1e-14));
  CHECK(trials[1] == 50);
  CHECK(trials[7] == 50);
  // Exact at the table's k.
  CHECK(row(1).accuracy == 0.5);
  CHECK(row(4).accuracy == 0.7);
  CHECK(row(16).accuracy == 0.8);
  CHECK(row(16).cost == 16);
  CHECK(trials[15] == 80);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("left out: grid k = 17 to 20 (4 k;") != std::string::npos);
}

TEST_CASE("curve: every mistake of the table is a construction error at its file and line") {
  const WrittenLog csv("synthetic-bad.csv",
                       "k,cost,latency,accuracy\n4,0.1,1,0.9\n8,0.2,two,0.95\n8,0.3,3,0.97\n");
  const std::string message = kcube::test::message_of([&] { curve_profile(csv.path); });
  CHECK(message.find(csv.path.string() + ":3:") != std::string::npos);
  CHECK(message.find(csv.path.string() + ":4:") != std::string::npos);
  const std::string missing =
      kcube::test::message_of([&] { curve_profile(csv.path.parent_path() / "absent.csv"); });
  CHECK(missing.find("cannot open") != std::string::npos);
  CHECK(missing.find("absent.csv") != std::string::npos);
}

TEST_CASE("curve: the checked wrapper refuses a curve that breaks the contract") {
  const std::vector<int> grid = Deployment{.k_max = 8, .k_step = 2}.k_grid();
  const char* expected[] = {"k = 3, which is not on the deployment's k grid",
                            "k = 2, which is not on the deployment's k grid or not in increasing",
                            "accuracy 1.5 at k = 2",
                            "cost nan at k = 2",
                            "column 'cost_p95' has 2 values for 1 rows",
                            "with no rows"};
  for (int kind = 0; kind < 6; ++kind) {
    CAPTURE(kind);
    const BrokenCurve profile(kind);
    std::vector<std::string> notes;
    const std::string message = kcube::test::message_of<kcube::RuntimeFailure>(
        [&] { CheckedProfile(profile).expected_curve(grid, notes); });
    CHECK(message.find(expected[kind]) != std::string::npos);
    CHECK(message.find("this is a bug in the profile plugin") != std::string::npos);
  }
}

TEST_CASE("curve: the exact evaluator takes the curve as it is, with max-wave latency too") {
  const LoadedProfile profile = curve_profile(measured_candidates());
  const BestOf best;
  for (const auto model : {kcube::LatencyModel::mean_wave, kcube::LatencyModel::max_wave}) {
    std::vector<std::string> notes;
    const Deployment deployment{.parallelism = 4, .k_max = 64, .k_step = 4, .latency_model = model};
    const CandidateTable table = kcube::exact_candidates(*profile, best, deployment, notes);
    const CandidateTable file = kcube::read_candidate_csv_file(measured_candidates().string());
    REQUIRE(table.rows.size() == file.rows.size());
    CHECK(table.rows.back().latency == file.rows.back().latency);
    CHECK(table.rows.back().accuracy == file.rows.back().accuracy);
  }
}

TEST_CASE("curve: another aggregator and the Monte Carlo evaluator are refused") {
  const LoadedProfile profile = curve_profile(measured_candidates());
  const Deployment deployment{.parallelism = 4, .k_max = 64, .k_step = 4};
  std::vector<std::string> notes;
  const AnyCorrect any;
  const std::string aggregated =
      kcube::test::message_of([&] { kcube::exact_candidates(*profile, any, deployment, notes); });
  CHECK(aggregated.find("serves a measured curve, which is already aggregated") !=
        std::string::npos);
  kcube::SimulationOptions sim;
  sim.trials = 10;
  const BestOf best;
  const std::string drawn =
      kcube::test::message_of([&] { kcube::simulate(*profile, best, 1, deployment, sim); });
  CHECK(drawn.find("serves a measured curve (expected values per k), which has no samples to "
                   "draw; use the exact evaluator") != std::string::npos);
}
