#include "run/cell_codec.hpp"

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "kcube/error.hpp"

namespace kcube {
namespace {

constexpr std::string_view kMagic = "KCC3";

class Writer {
 public:
  void bytes(std::string_view b) { out_.append(b); }
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
      out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFFU));
  }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void i32(std::int32_t v) { i64(v); }
  void real(double v) { u64(std::bit_cast<std::uint64_t>(v)); }
  void text(std::string_view s) {
    u64(s.size());
    bytes(s);
  }
  template <class T, class Put>
  void optional(const std::optional<T>& v, Put put) {
    u8(v ? 1 : 0);
    if (v)
      (this->*put)(*v);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  Reader(std::string_view in, std::string_view origin) : in_(in), origin_(origin) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw RuntimeFailure("the results of a cell from " + std::string(origin_) +
                         " are damaged at byte " + std::to_string(at_) + " of " +
                         std::to_string(in_.size()) + ": " + what +
                         "; every process of a run must be the same kcube build");
  }
  void need(std::uint64_t n, const char* what) const {
    if (n > in_.size() - at_)
      fail(std::string(what) + " runs past the end");
  }
  std::string_view bytes(std::size_t n, const char* what) {
    need(n, what);
    const auto b = in_.substr(at_, n);
    at_ += n;
    return b;
  }
  std::uint8_t u8(const char* what) { return static_cast<std::uint8_t>(bytes(1, what)[0]); }
  std::uint64_t u64(const char* what) {
    const auto b = bytes(8, what);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(b[static_cast<std::size_t>(i)]))
           << (8 * i);
    return v;
  }
  std::int64_t i64(const char* what) { return static_cast<std::int64_t>(u64(what)); }
  std::int32_t i32(const char* what) {
    const std::int64_t v = i64(what);
    if (v < std::numeric_limits<std::int32_t>::min() ||
        v > std::numeric_limits<std::int32_t>::max())
      fail(std::string(what) + " is out of range");
    return static_cast<std::int32_t>(v);
  }
  double real(const char* what) { return std::bit_cast<double>(u64(what)); }
  bool flag(const char* what) {
    const std::uint8_t v = u8(what);
    if (v > 1)
      fail(std::string(what) + " is neither 0 nor 1");
    return v == 1;
  }
  std::string text(const char* what) {
    const std::uint64_t n = u64(what);
    need(n, what);
    return std::string(bytes(static_cast<std::size_t>(n), what));
  }
  // A count of elements of at least `element_bytes` each: checked against what is left first.
  std::size_t count(std::size_t element_bytes, const char* what) {
    const std::uint64_t n = u64(what);
    if (n > (in_.size() - at_) / element_bytes)
      fail(std::string(what) + " counts " + std::to_string(n) + " elements, more than fit");
    return static_cast<std::size_t>(n);
  }
  template <class E>
  E enumerated(int first, int last, const char* what) {
    const std::int32_t v = i32(what);
    if (v < first || v > last)
      fail(std::string(what) + " has the unknown value " + std::to_string(v));
    return static_cast<E>(v);
  }
  void finish() const {
    if (at_ != in_.size())
      fail(std::to_string(in_.size() - at_) + " bytes are left over");
  }

 private:
  std::string_view in_;
  std::string_view origin_;
  std::size_t at_ = 0;
};

}  // namespace

std::string encode_cell(const CellResult& cell) {
  Writer w;
  w.bytes(kMagic);
  w.i32(cell.replication);
  w.text(cell.profile);
  w.text(cell.scenario);
  w.text(cell.aggregator);
  w.text(cell.sweep);
  w.optional(cell.position, &Writer::i64);
  w.text(cell.profile_spec);
  w.text(cell.scenario_spec);
  w.text(cell.aggregator_spec);
  w.u64(cell.notes.size());
  for (const std::string& note : cell.notes)
    w.text(note);
  w.optional(cell.seed, &Writer::u64);
  w.i32(static_cast<std::int32_t>(cell.status));
  w.text(cell.message);
  w.real(cell.seconds);
  w.u64(cell.candidates.rows.size());
  for (const Candidate& row : cell.candidates.rows) {
    w.i32(row.k);
    w.real(row.cost);
    w.real(row.latency);
    w.real(row.accuracy);
  }
  w.u64(cell.candidates.columns.size());
  for (const auto& [name, values] : cell.candidates.columns) {
    w.text(name);
    w.u64(values.size());
    for (const double v : values)
      w.real(v);
  }
  w.u64(cell.feasible.size());
  for (const bool f : cell.feasible)
    w.u8(f ? 1 : 0);
  w.u64(cell.selections.size());
  for (const NamedSelection& s : cell.selections) {
    w.text(s.name);
    const SelectionRecord& r = s.record;
    w.text(r.optimizer);
    w.text(r.spec);
    w.text(r.canonical_spec);
    w.i32(static_cast<std::int32_t>(r.status));
    w.optional(r.k, &Writer::i32);
    w.optional(r.cost, &Writer::real);
    w.optional(r.latency, &Writer::real);
    w.optional(r.accuracy, &Writer::real);
    w.optional(r.score, &Writer::real);
    w.u64(r.feasible);
    w.u64(r.pareto);
    w.text(r.reason);
    w.optional(s.pick_share, &Writer::real);
    w.text(s.pick_distribution);
  }
  return w.take();
}

CellResult decode_cell(std::string_view bytes, std::string_view origin) {
  Reader r(bytes, origin);
  if (r.bytes(kMagic.size(), "the format tag") != kMagic)
    r.fail("it does not start with the format tag KCC3");
  CellResult cell;
  cell.replication = r.i32("the replication");
  cell.profile = r.text("the profile name");
  cell.scenario = r.text("the scenario name");
  cell.aggregator = r.text("the aggregator name");
  cell.sweep = r.text("the sweep label");
  if (r.flag("the position flag"))
    cell.position = r.i64("the position");
  cell.profile_spec = r.text("the profile spec");
  cell.scenario_spec = r.text("the scenario spec");
  cell.aggregator_spec = r.text("the aggregator spec");
  // A note is at least its length's 8 bytes.
  cell.notes.resize(r.count(8, "the notes"));
  for (std::string& note : cell.notes)
    note = r.text("a note");
  if (r.flag("the seed flag"))
    cell.seed = r.u64("the seed");
  cell.status = r.enumerated<CellStatus>(1, 2, "the cell status");
  cell.message = r.text("the message");
  cell.seconds = r.real("the wall time");
  // A row is at least 4 fields of 8 bytes; a column entry at least its name's length; a flag 1.
  cell.candidates.rows.resize(r.count(32, "the candidate rows"));
  for (Candidate& row : cell.candidates.rows) {
    row.k = r.i32("a candidate's k");
    row.cost = r.real("a candidate's cost");
    row.latency = r.real("a candidate's latency");
    row.accuracy = r.real("a candidate's accuracy");
  }
  const std::size_t columns = r.count(16, "the extra columns");
  for (std::size_t c = 0; c < columns; ++c) {
    std::string name = r.text("a column name");
    std::vector<double> values(r.count(8, "a column's values"));
    for (double& v : values)
      v = r.real("a column value");
    if (values.size() != cell.candidates.rows.size())
      r.fail("column '" + name + "' has " + std::to_string(values.size()) + " values for " +
             std::to_string(cell.candidates.rows.size()) + " rows");
    if (!cell.candidates.columns.emplace(std::move(name), std::move(values)).second)
      r.fail("a column name appears twice");
  }
  cell.feasible.resize(r.count(1, "the feasibility flags"));
  for (std::size_t i = 0; i < cell.feasible.size(); ++i)
    cell.feasible[i] = r.flag("a feasibility flag");
  // A selection is at least 9 strings' lengths, enums and counts: well over 64 bytes.
  cell.selections.resize(r.count(64, "the selections"));
  for (NamedSelection& s : cell.selections) {
    s.name = r.text("an optimizer name");
    SelectionRecord& rec = s.record;
    rec.optimizer = r.text("an optimizer plugin");
    rec.spec = r.text("an optimizer spec");
    rec.canonical_spec = r.text("an optimizer canonical spec");
    rec.status = r.enumerated<SelectionStatus>(1, 5, "a selection status");
    if (r.flag("the k flag"))
      rec.k = r.i32("a selection's k");
    if (r.flag("the cost flag"))
      rec.cost = r.real("a selection's cost");
    if (r.flag("the latency flag"))
      rec.latency = r.real("a selection's latency");
    if (r.flag("the accuracy flag"))
      rec.accuracy = r.real("a selection's accuracy");
    if (r.flag("the score flag"))
      rec.score = r.real("a selection's score");
    rec.feasible = static_cast<std::size_t>(r.u64("a feasible count"));
    rec.pareto = static_cast<std::size_t>(r.u64("a Pareto count"));
    rec.reason = r.text("a selection's reason");
    if (r.flag("the pick share flag"))
      s.pick_share = r.real("a selection's pick share");
    s.pick_distribution = r.text("a selection's pick distribution");
  }
  r.finish();
  return cell;
}

}  // namespace kcube
