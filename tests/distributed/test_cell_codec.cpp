// The bytes a cell's results travel in between MPI ranks (cell_codec.hpp): every field arrives
// as it left, reals bit for bit; damaged, cut or padded messages are refused with a message that
// says where, never read past their end, and never make a huge allocation.
#include <doctest/doctest.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "kcube/error.hpp"
#include "run/cell_codec.hpp"

namespace {

using kcube::CellResult;
using kcube::CellStatus;
using kcube::SelectionStatus;

// Reals that a text round trip or a careless copy would change.
const double kAwkward[] = {0.1,
                           -0.0,
                           std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::min(),
                           1.0 / 3.0,
                           0.30000000000000004,
                           123456789.123456789};

CellResult full_cell() {
  CellResult c;
  c.replication = 7;
  c.profile = "gpt-5 \"nano\"";
  c.scenario = "balanced|edge";  // the cell key separator inside a name
  c.sweep = "cost_max=0.5";
  c.position = 1234567890123;
  c.profile_spec = "gaussian:k_max=16,mean=0.5";
  c.scenario_spec = "budget:cost_max=1";
  c.aggregator = "vote";
  c.aggregator_spec = "esc:window=4";
  c.notes = {"3 questions left out", "", "a note with \xc3\xa9"};
  c.seed = 18446744073709551615ull;
  c.status = CellStatus::finished;
  c.message = std::string("bytes \0 inside\n", 15);
  c.seconds = 0.0625;
  for (int k = 1; k <= 8; ++k) {
    const double v = kAwkward[k - 1];
    c.candidates.rows.push_back({k, v, -v, v / 7.0});
  }
  for (const char* name : {"accuracy_std", "cost_p95", "trials"}) {
    std::vector<double> values;
    for (int k = 0; k < 8; ++k)
      values.push_back(kAwkward[(k + 3) % 8] * (name[0] == 't' ? 0.0 : 1.0));
    c.candidates.columns[name] = values;
  }
  c.feasible = {true, false, true, true, false, false, true, false};
  kcube::NamedSelection picked;
  picked.name = "cube";
  picked.record.optimizer = "cube-max";
  picked.record.spec = "cube-max";
  picked.record.canonical_spec = "cube-max:tie=cheapest";
  picked.record.status = SelectionStatus::selected;
  picked.record.k = 3;
  picked.record.cost = 0.1;
  picked.record.latency = -0.0;
  picked.record.accuracy = 1.0 / 3.0;
  picked.record.score = std::numeric_limits<double>::denorm_min();
  picked.record.feasible = 4;
  picked.record.pareto = 2;
  picked.record.reason = "largest cube";
  picked.pick_share = 1.0 / 3.0;
  picked.pick_distribution = "{\"3\":0.3333333333333333,\"4\":0.6666666666666666}";
  kcube::NamedSelection none;
  none.name = "utopia";
  none.record.optimizer = "utopia-closest";
  none.record.status = SelectionStatus::infeasible;
  none.record.reason = "no feasible k";
  c.selections = {picked, none};
  return c;
}

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

bool same_bits(const std::optional<double>& a, const std::optional<double>& b) {
  return a.has_value() == b.has_value() && (!a || same_bits(*a, *b));
}

void check_equal(const CellResult& a, const CellResult& b) {
  CHECK(a.replication == b.replication);
  CHECK(a.profile == b.profile);
  CHECK(a.scenario == b.scenario);
  CHECK(a.sweep == b.sweep);
  CHECK(a.position == b.position);
  CHECK(a.profile_spec == b.profile_spec);
  CHECK(a.scenario_spec == b.scenario_spec);
  CHECK(a.aggregator == b.aggregator);
  CHECK(a.aggregator_spec == b.aggregator_spec);
  CHECK(a.notes == b.notes);
  CHECK(a.seed == b.seed);
  CHECK(a.status == b.status);
  CHECK(a.message == b.message);
  CHECK(same_bits(a.seconds, b.seconds));
  REQUIRE(a.candidates.rows.size() == b.candidates.rows.size());
  for (std::size_t i = 0; i < a.candidates.rows.size(); ++i) {
    CHECK(a.candidates.rows[i].k == b.candidates.rows[i].k);
    CHECK(same_bits(a.candidates.rows[i].cost, b.candidates.rows[i].cost));
    CHECK(same_bits(a.candidates.rows[i].latency, b.candidates.rows[i].latency));
    CHECK(same_bits(a.candidates.rows[i].accuracy, b.candidates.rows[i].accuracy));
  }
  REQUIRE(a.candidates.columns.size() == b.candidates.columns.size());
  for (const auto& [name, values] : a.candidates.columns) {
    const auto* other = b.candidates.column(name);
    REQUIRE(other != nullptr);
    REQUIRE(other->size() == values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
      CHECK(same_bits(values[i], (*other)[i]));
  }
  CHECK(a.feasible == b.feasible);
  REQUIRE(a.selections.size() == b.selections.size());
  for (std::size_t i = 0; i < a.selections.size(); ++i) {
    const auto& x = a.selections[i];
    const auto& y = b.selections[i];
    CHECK(x.name == y.name);
    CHECK(x.record.optimizer == y.record.optimizer);
    CHECK(x.record.spec == y.record.spec);
    CHECK(x.record.canonical_spec == y.record.canonical_spec);
    CHECK(x.record.status == y.record.status);
    CHECK(x.record.k == y.record.k);
    CHECK(same_bits(x.record.cost, y.record.cost));
    CHECK(same_bits(x.record.latency, y.record.latency));
    CHECK(same_bits(x.record.accuracy, y.record.accuracy));
    CHECK(same_bits(x.record.score, y.record.score));
    CHECK(x.record.feasible == y.record.feasible);
    CHECK(x.record.pareto == y.record.pareto);
    CHECK(x.record.reason == y.record.reason);
    CHECK(same_bits(x.pick_share, y.pick_share));
    CHECK(x.pick_distribution == y.pick_distribution);
  }
}

}  // namespace

TEST_CASE("a cell with every field set arrives bit for bit") {
  const CellResult cell = full_cell();
  const std::string bytes = kcube::encode_cell(cell);
  CHECK(bytes.substr(0, 4) == "KCC3");
  check_equal(kcube::decode_cell(bytes, "rank 1 (test)"), cell);
  // Encoding is deterministic: the same cell, the same bytes.
  CHECK(kcube::encode_cell(kcube::decode_cell(bytes, "rank 1 (test)")) == bytes);
}

TEST_CASE("an error cell without results or optional fields arrives as it left") {
  CellResult cell;
  cell.profile = "p";
  cell.scenario = "s";
  cell.status = CellStatus::error;
  cell.message = "profile 'x' failed in draw_path: boom";
  cell.seconds = 1.0;
  const CellResult back = kcube::decode_cell(kcube::encode_cell(cell), "rank 1 (test)");
  check_equal(back, cell);
  CHECK_FALSE(back.position.has_value());
  CHECK_FALSE(back.seed.has_value());
  CHECK(back.candidates.rows.empty());
  CHECK(back.feasible.empty());
}

TEST_CASE("the layout is fixed little-endian, whatever the machine") {
  CellResult cell;
  cell.replication = 1;
  const std::string bytes = kcube::encode_cell(cell);
  // "KCC3", then the replication as 8 little-endian bytes.
  REQUIRE(bytes.size() > 12);
  CHECK(bytes.substr(4, 8) == std::string("\x01\0\0\0\0\0\0\0", 8));
}

TEST_CASE("every cut of a message is refused with where it broke, never read past its end") {
  const std::string bytes = kcube::encode_cell(full_cell());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CAPTURE(n);
    try {
      (void)kcube::decode_cell(std::string_view(bytes).substr(0, n), "rank 3 (node17)");
      FAIL("a message cut to " << n << " bytes was accepted");
    } catch (const kcube::RuntimeFailure& e) {
      const std::string what = e.what();
      CHECK(what.find("rank 3 (node17)") != std::string::npos);
      CHECK(what.find("damaged at byte") != std::string::npos);
    }
  }
}

TEST_CASE("bytes left over, a wrong tag and unknown enum values are refused") {
  const std::string bytes = kcube::encode_cell(full_cell());
  CHECK_THROWS_WITH_AS(kcube::decode_cell(bytes + "x", "rank 1 (a)"),
                       doctest::Contains("1 bytes are left over"), kcube::RuntimeFailure);
  std::string tag = bytes;
  tag[3] = '1';  // the format without aggregators
  CHECK_THROWS_WITH_AS(kcube::decode_cell(tag, "rank 1 (a)"), doctest::Contains("format tag"),
                       kcube::RuntimeFailure);
  CellResult cell;
  cell.aggregator.clear();
  std::string status = kcube::encode_cell(cell);
  // The cell status follows magic (4), replication (8), four empty strings (32), the position
  // flag (1), three empty specs (24), no notes (8) and the seed flag (1).
  const std::size_t at = 4 + 8 + 32 + 1 + 24 + 8 + 1;
  status[at] = 9;
  CHECK_THROWS_WITH_AS(kcube::decode_cell(status, "rank 1 (a)"),
                       doctest::Contains("cell status has the unknown value 9"),
                       kcube::RuntimeFailure);
}

TEST_CASE("a huge count is refused before anything is allocated") {
  CellResult cell;
  std::string bytes = kcube::encode_cell(cell);
  // The profile name's length: 2^62 bytes.
  const std::size_t at = 4 + 8;
  bytes.replace(at, 8, std::string("\0\0\0\0\0\0\0\x40", 8));
  CHECK_THROWS_WITH_AS(kcube::decode_cell(bytes, "rank 1 (a)"),
                       doctest::Contains("the profile name runs past the end"),
                       kcube::RuntimeFailure);
}

TEST_CASE("randomly damaged messages decode or are refused, and never crash") {
  const std::string bytes = kcube::encode_cell(full_cell());
  std::mt19937_64 random(20261128);
  int refused = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    std::string damaged = bytes;
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; ++f)
      damaged[random() % damaged.size()] ^= static_cast<char>(1 + random() % 255);
    try {
      (void)kcube::decode_cell(damaged, "rank 1 (a)");
    } catch (const kcube::RuntimeFailure&) {
      ++refused;
    }
  }
  // Flips in names or values decode to other names or values; flips in lengths, counts, flags or
  // enums are refused. Both happen.
  CHECK(refused > 0);
  CHECK(refused < 4000);
}
