// Private: the low-level reading of CSV text shared by read_candidate_csv()
// (kcube/candidate_csv.hpp) and read_sample_log() (kcube/sample_log.hpp): problems collected
// by line and thrown together, records split into fields, numbers parsed. What the columns mean
// is each reader's.
#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kcube::csv {

// Beyond this many errors the rest are only counted: the first screenful is what a person fixes
// before running again.
inline constexpr std::size_t max_listed_errors = 20;
// Reading stops after this many errors, or this many lines after the first error (rows under a
// header without usable columns have none of their own): an endless stream of bad rows
// (`kcube select -` on a pipe) must end, and nobody fixes a thousand errors in one go.
inline constexpr std::size_t max_counted_errors = 1000;
inline constexpr std::size_t max_lines_after_error = 100000;

// Fields read from one line. A valid header has at most about 3,300 distinct columns (the
// quantile names run out), and a row has as many fields as the header; beyond this a line is
// reported without keeping its fields, which would take far more memory than the input.
inline constexpr std::size_t max_fields = 4096;

inline constexpr std::string_view blanks = " \t";
inline constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// Every problem of the input, each at its 1-based physical line, thrown together at the end so
// that one run shows the user everything to fix. Only the first max_listed_errors in line order
// are kept (a hostile file has millions); the others are counted.
class Issues {
 public:
  explicit Issues(std::string_view source) : source_(source) {}

  /// Adds the problem `what` at `line`, with `fix`: "<source>:<line>: <what>; <fix>".
  void add(std::size_t line, std::string_view what, std::string_view fix);

  bool empty() const { return count_ == 0; }

  /// "<source>:<line>: ", how every message about the input starts.
  std::string where(std::size_t line) const { return source_ + ":" + std::to_string(line) + ": "; }

  /// Why reading should stop once line `line` is read, or "" to read on.
  std::string stop_reason(std::size_t line) const;

  /// Notes that reading stopped before line `line`, and why.
  void stopped_before(std::size_t line, std::string reason) {
    stopped_before_ = line;
    stop_reason_ = std::move(reason);
  }

  /// Throws every problem as one kcube::Error.
  [[noreturn]] void raise() const;

 private:
  using Key = std::pair<std::size_t, std::size_t>;  // line, then the order found
  struct Issue {
    Key key;
    std::string message;
  };
  std::string source_;
  std::vector<Issue> issues_;
  std::size_t count_ = 0;
  std::size_t first_line_ = 0;
  std::size_t stopped_before_ = 0;
  std::string stop_reason_;
};

/// `path` opened for reading, in binary mode (CRLF line ends are the reader's business). Throws
/// kcube::Error "cannot open '<path>': <reason>" when it cannot be opened or is a directory (an
/// ifstream opens a directory without complaint and then reads nothing, which would surface as a
/// puzzling "the input is empty").
std::ifstream open_file(const std::filesystem::path& path);

/// Splits one record at `delimiter` (',' or '\t') into trimmed fields (RFC 4180 quoting, "" for
/// a literal quote). A record is one physical line, unless the caller joins the lines of a quoted
/// field that spans lines (quote_open(), "\n" between them): read_candidate_csv() does not, since
/// no value it reads contains a line break, so there an open quote at the end of a line is a
/// mistake, reported here rather than swallowing the rest of the file. A record of more than
/// max_fields fields is reported by the caller: its fields are nullopt and `too_many` is set.
std::optional<std::vector<std::string>> split_fields(std::string_view line, char delimiter,
                                                     std::size_t line_number, Issues& issues,
                                                     bool& too_many);

/// Whether a record that starts with `text` still has a quoted field open at its end: an odd
/// number of '"' (a quote inside a quoted field is doubled, so quotes pair up where fields close).
bool quote_open(std::string_view text);

/// The field delimiter of a file, from its header line: a tab when the header has tabs and no
/// comma outside quotes (a TSV file, as spreadsheets and pandas' to_csv(sep="\t") write it), a
/// comma otherwise.
char header_delimiter(std::string_view header);

enum class NumberStatus { ok, empty, not_a_number, out_of_range, nan, infinite };

struct Number {
  NumberStatus status = NumberStatus::ok;
  double value = 0.0;
};

/// `text` as a finite double ("+1" accepted, -0 read as 0), or why it is none.
Number parse_number(std::string_view text);

/// The "what is wrong" half of a message about the field of column `name` that reads as `number`
/// ("cost 'abc' is not a number", "cost is empty"), or nothing when it is a number. `shown` is the
/// field's text as the message shows it.
std::optional<std::string> number_problem(std::string_view name, std::string_view shown,
                                          const Number& number);

}  // namespace kcube::csv
