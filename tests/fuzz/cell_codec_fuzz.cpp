// Fuzz target `cell_codec`: the bytes a cell's results travel in between MPI ranks
// (cell_codec.hpp), as rank 0 receives them from the network.
//
// decode_cell() must refuse anything that is not a whole cell with a kcube::RuntimeFailure and
// never crash, read past the input or allocate more than the input could describe. What it
// accepts must encode back to exactly the input: the format has one encoding per cell, so a
// decoder that reads a field wrong cannot go unnoticed. Then the input is also read as the
// recipe of a cell (names, counts and values taken from its bytes), which must survive
// encode_cell and decode_cell bit for bit.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "kcube/error.hpp"
#include "run/cell_codec.hpp"

namespace {

using kcube::fuzz::bug;

constexpr std::string_view kTarget = "cell_codec";

// Takes values from the input's bytes, zeros once they run out.
class Recipe {
 public:
  explicit Recipe(std::string_view bytes) : bytes_(bytes) {}
  std::uint64_t u64() {
    std::uint64_t v = 0;
    const std::size_t n = std::min<std::size_t>(8, bytes_.size() - at_);
    std::memcpy(&v, bytes_.data() + at_, n);
    at_ += n;
    return v;
  }
  std::uint8_t u8() { return at_ < bytes_.size() ? static_cast<std::uint8_t>(bytes_[at_++]) : 0; }
  double real() {
    const std::uint64_t bits = u64();
    double v = 0.0;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  std::string text() {
    const std::size_t n = std::min<std::size_t>(u8() % 24, bytes_.size() - at_);
    std::string s(bytes_.substr(at_, n));
    at_ += n;
    return s;
  }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};

kcube::CellResult cell_of(std::string_view bytes) {
  Recipe r(bytes);
  kcube::CellResult c;
  c.replication = static_cast<int>(r.u64() % 1000);
  c.profile = r.text();
  c.scenario = r.text();
  c.sweep = r.text();
  if (r.u8() % 2 == 1)
    c.position = static_cast<std::int64_t>(r.u64());
  c.profile_spec = r.text();
  c.scenario_spec = r.text();
  if (r.u8() % 2 == 1)
    c.seed = r.u64();
  c.status = r.u8() % 2 == 0 ? kcube::CellStatus::finished : kcube::CellStatus::error;
  c.message = r.text();
  c.seconds = r.real();
  const std::size_t rows = r.u8() % 9;
  for (std::size_t i = 0; i < rows; ++i)
    c.candidates.rows.push_back({static_cast<int>(r.u8()), r.real(), r.real(), r.real()});
  const std::size_t columns = r.u8() % 4;
  for (std::size_t i = 0; i < columns; ++i) {
    std::vector<double> values;
    for (std::size_t j = 0; j < rows; ++j)
      values.push_back(r.real());
    c.candidates.columns[r.text()] = values;
  }
  if (r.u8() % 2 == 1) {
    for (std::size_t i = 0; i < rows; ++i)
      c.feasible.push_back(r.u8() % 2 == 1);
  }
  const std::size_t selections = r.u8() % 4;
  for (std::size_t i = 0; i < selections; ++i) {
    kcube::NamedSelection s;
    s.name = r.text();
    s.record.optimizer = r.text();
    s.record.spec = r.text();
    s.record.canonical_spec = r.text();
    s.record.status = static_cast<kcube::SelectionStatus>(1 + r.u8() % 5);
    if (r.u8() % 2 == 1)
      s.record.k = static_cast<int>(r.u64());
    if (r.u8() % 2 == 1)
      s.record.cost = r.real();
    if (r.u8() % 2 == 1)
      s.record.score = r.real();
    s.record.feasible = static_cast<std::size_t>(r.u64());
    s.record.pareto = static_cast<std::size_t>(r.u64());
    s.record.reason = r.text();
    c.selections.push_back(s);
  }
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const kcube::CellResult cell = kcube::decode_cell(bytes, "the fuzzer");
    if (kcube::encode_cell(cell) != bytes)
      bug(kTarget, "an accepted message does not encode back to the same bytes");
  } catch (const kcube::RuntimeFailure&) {
    // The documented answer to damaged bytes.
  } catch (const std::exception& e) {
    kcube::fuzz::unexpected(kTarget, e);
  }
  try {
    const std::string encoded = kcube::encode_cell(cell_of(bytes));
    if (kcube::encode_cell(kcube::decode_cell(encoded, "the fuzzer")) != encoded)
      bug(kTarget, "a cell does not survive encode_cell and decode_cell");
  } catch (const std::exception& e) {
    kcube::fuzz::unexpected(kTarget, e);
  }
  return 0;
}
