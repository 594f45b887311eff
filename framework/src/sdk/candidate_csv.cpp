#include "kcube/candidate_csv.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kcube/error.hpp"
#include "util/csv_fields.hpp"
#include "util/text.hpp"

namespace kcube {
namespace {

using csv::blanks;
using csv::header_delimiter;
using csv::Issues;
using csv::max_fields;
using csv::Number;
using csv::NumberStatus;
using csv::parse_number;
using csv::split_fields;
using csv::utf8_bom;

const char* const accepted_columns =
    "accepted columns are k, cost, latency, accuracy, trials and <metric>_std, <metric>_se, "
    "<metric>_pNN, <metric>_lo, <metric>_hi with <metric> one of cost, latency, accuracy and NN "
    "two or three digits read as \"0.NN\" (cost_p95, latency_p975)";

// ---- Columns -------------------------------------------------------------------------------

enum class Metric { cost, latency, accuracy };

constexpr Metric metrics[] = {Metric::cost, Metric::latency, Metric::accuracy};

std::string_view metric_name(Metric metric) {
  switch (metric) {
    case Metric::cost:
      return "cost";
    case Metric::latency:
      return "latency";
    case Metric::accuracy:
      return "accuracy";
  }
  return "?";
}

std::string_view metric_unit(Metric metric) {
  switch (metric) {
    case Metric::cost:
      return "USD per request";
    case Metric::latency:
      return "seconds per request";
    case Metric::accuracy:
      return "a fraction";
  }
  return "?";
}

// What a header column holds. `unusable` marks an unknown or duplicate column: it is reported
// once, at the header, and its values are not looked at.
// interval: a bound of run.bootstrap's 95 % interval of a mean (accuracy_lo, cost_hi, ...).
enum class Role { k, mean, spread, quantile, interval, trials, unusable };

struct Column {
  std::string name;
  Role role = Role::unusable;
  Metric metric = Metric::cost;  // for mean, spread and quantile
  double level = 0.0;            // for quantile: cost_p975 -> 0.975
};

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The metric a name starts with followed by `_`, and the rest of the name after that `_`.
std::optional<std::pair<Metric, std::string_view>> split_metric(std::string_view name) {
  for (const Metric metric : metrics) {
    const std::string_view prefix = metric_name(metric);
    if (name.size() > prefix.size() + 1 && name.starts_with(prefix) && name[prefix.size()] == '_') {
      return std::pair{metric, name.substr(prefix.size() + 1)};
    }
  }
  return std::nullopt;
}

std::optional<Column> classify(std::string_view name) {
  Column column{std::string(name)};
  if (name == "k") {
    column.role = Role::k;
    return column;
  }
  if (name == "trials") {
    column.role = Role::trials;
    return column;
  }
  for (const Metric metric : metrics) {
    if (name == metric_name(metric)) {
      column.role = Role::mean;
      column.metric = metric;
      return column;
    }
  }
  const auto split = split_metric(name);
  if (!split)
    return std::nullopt;
  const auto [metric, suffix] = *split;
  column.metric = metric;
  if (suffix == "std" || suffix == "se") {
    column.role = Role::spread;
    return column;
  }
  if (suffix == "lo" || suffix == "hi") {
    column.role = Role::interval;
    return column;
  }
  const std::string_view digits = suffix.substr(1);
  if (suffix.starts_with('p') && all_digits(digits) && (digits.size() == 2 || digits.size() == 3)) {
    column.role = Role::quantile;
    const std::string fraction = "0." + std::string(digits);
    std::from_chars(fraction.data(), fraction.data() + fraction.size(), column.level);
    return column;
  }
  return std::nullopt;
}

// Names offered for "did you mean": the required columns and the optional ones people write most.
const std::vector<std::string>& known_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out = {"k", "cost", "latency", "accuracy", "trials"};
    for (const Metric metric : metrics) {
      for (const char* suffix : {"_std", "_se", "_p05", "_p50", "_p95", "_p025", "_p975"}) {
        out.push_back(std::string(metric_name(metric)) + suffix);
      }
    }
    return out;
  }();
  return names;
}

// What a valid value of `column` looks like: the "how to fix" half of a value message.
std::string expectation(const Column& column) {
  const std::string metric(metric_name(column.metric));
  const std::string in_range =
      column.metric == Metric::accuracy ? "a number in [0, 1]" : "a number >= 0";
  switch (column.role) {
    case Role::k:
      return "k counts samples per request: write a whole number >= 1";
    case Role::mean:
      return column.metric == Metric::accuracy
                 ? "accuracy is a fraction: write a number in [0, 1] such as 0.85, not 85 or 85%"
                 : metric + " is " + std::string(metric_unit(column.metric)) + ": write " +
                       in_range;
    case Role::spread:
      return column.name + " is a " +
             (column.name.ends_with("_std") ? "standard deviation" : "standard error") + " of " +
             metric + ": write a number >= 0";
    case Role::quantile:
      return column.name + " is a quantile of " + metric + " (" +
             std::string(metric_unit(column.metric)) + "): write " + in_range;
    case Role::interval:
      return column.name + " is a bound of the 95 % interval of the mean " + metric + " (" +
             std::string(metric_unit(column.metric)) + ", run.bootstrap): write " + in_range;
    case Role::trials:
      return "trials counts Monte Carlo trials: write a whole number >= 0 (0 for an exact "
             "evaluation)";
    case Role::unusable:
      break;
  }
  return "write a number";
}

// ---- Values --------------------------------------------------------------------------------

// The "what is wrong" half of a message about a parsed value, or nothing when it is valid.
std::optional<std::string> range_problem(const Column& column, std::string_view text,
                                         double value) {
  const std::string shown = column.name + " = " + std::string(text);
  const bool whole = value == std::floor(value);
  switch (column.role) {
    case Role::k:
      if (!whole)
        return shown + " is not a whole number";
      if (value < 1.0)
        return shown + " is less than 1";
      if (value > std::numeric_limits<int>::max())
        return shown + " is too large for a k";
      return std::nullopt;
    case Role::trials:
      if (!whole)
        return shown + " is not a whole number";
      if (value < 0.0)
        return shown + " is negative";
      return std::nullopt;
    case Role::mean:
    case Role::quantile:
    case Role::interval:
      if (column.metric == Metric::accuracy && (value < 0.0 || value > 1.0)) {
        return shown + " is outside [0, 1]";
      }
      if (value < 0.0)
        return shown + " is negative";
      return std::nullopt;
    case Role::spread:
      if (value < 0.0)
        return shown + " is negative";
      return std::nullopt;
    case Role::unusable:
      break;
  }
  return std::nullopt;
}

// The "what is wrong" half of a message about a field, or nothing when it is valid.
std::optional<std::string> value_problem(const Column& column, std::string_view text,
                                         const Number& number) {
  if (number.status == NumberStatus::ok)
    return range_problem(column, text, number.value);
  return csv::number_problem(column.name, text, number);
}

// ---- The reader ----------------------------------------------------------------------------

// How an optional column is filled, to tell "empty everywhere" (dropped: how an exact evaluation
// writes its spread columns) from "empty in places" (an error: a gap would be read as a value).
struct Fill {
  std::size_t empty_rows = 0;
  std::size_t first_empty_line = 0;
  std::size_t first_filled_line = 0;
};

class CandidateCsvReader {
 public:
  explicit CandidateCsvReader(std::string_view source) : issues_(source) {}

  // Takes one physical line (without its '\n'), 1-based `line_number`.
  void take_line(std::string_view line, std::size_t line_number) {
    last_line_ = line_number;
    if (line_number == 1 && line.starts_with(utf8_bom))
      line.remove_prefix(utf8_bom.size());
    if (line.ends_with('\r'))
      line.remove_suffix(1);
    const std::size_t first = line.find_first_not_of(blanks);
    if (first == std::string_view::npos)
      return;
    if (line[first] == '#') {
      saw_comment_ = true;
      return;
    }
    const bool is_header = !header_line_;
    if (is_header) {
      header_line_ = line_number;
      delimiter_ = header_delimiter(line);
    }
    // Binary bytes are located, never echoed: a message must not carry them to a terminal.
    if (const auto at = text::find_non_text(line)) {
      const bool control = static_cast<unsigned char>(line[*at]) < 0x20;
      issues_.add(line_number,
                  "byte " + std::to_string(*at + 1) + " of the line is " +
                      (control ? "a control character" : "not valid UTF-8") +
                      ": this does not look like CSV text",
                  "save the candidates as UTF-8 text (kcube simulate -o FILE writes such a file)");
      if (!is_header)
        ++data_lines_;
      return;
    }
    bool too_many = false;
    auto fields = split_fields(line, delimiter_, line_number, issues_, too_many);
    if (too_many && is_header) {
      issues_.add(line_number,
                  "the header has more than " + std::to_string(max_fields) + " columns",
                  "name k, cost, latency, accuracy and the optional columns you have, each once");
    } else if (too_many) {
      issues_.add(line_number,
                  "the row has more than " + std::to_string(max_fields) +
                      " fields but the header (line " + std::to_string(*header_line_) + ") has " +
                      std::to_string(columns_.size()),
                  "write one field per header column");
    }
    if (is_header) {
      // Without readable column names no row can be checked.
      header_ok_ = fields && take_header(*fields);
    } else if (header_ok_ && fields) {
      take_row(*fields, line_number);
    }
    if (!is_header)
      ++data_lines_;
  }

  // What the caller should tell the user although the input is valid: "<source>:<line>: ..."
  // lines (columns that were ignored).
  const std::vector<std::string>& notes() const { return notes_; }

  // Why reading stops after the lines taken so far, or "" to read on.
  std::string stop_reason() const { return issues_.stop_reason(last_line_); }

  // Reading stopped before `line` with input left, for `reason`.
  void stopped_before(std::size_t line, std::string reason) {
    issues_.stopped_before(line, std::move(reason));
  }

  CandidateTable finish() {
    if (!header_line_) {
      issues_.add(
          std::max<std::size_t>(last_line_, 1),
          saw_comment_ ? "the input holds only comments and blank lines" : "the input is empty",
          "the first line must name the columns, e.g. k,cost,latency,accuracy, and each "
          "further line give one k");
    } else if (data_lines_ == 0 && header_ok_) {
      issues_.add(*header_line_, "the header is not followed by any data row",
                  "add one row per k under the header, e.g. 1,0.002,1.5,0.71 for "
                  "k,cost,latency,accuracy");
    }
    if (header_ok_)
      check_fills();
    if (!issues_.empty())
      issues_.raise();
    return build();
  }

 private:
  struct Row {
    std::size_t line = 0;
    std::vector<double> values;  // one per header column; meaningful only for valid usable ones
  };

  // Classifies the header; false when it is not a header at all (then rows are not checked).
  bool take_header(const std::vector<std::string>& names) {
    const std::size_t line = *header_line_;
    const bool looks_like_data = std::all_of(names.begin(), names.end(), [](const std::string& s) {
      return parse_number(s).status == NumberStatus::ok;
    });
    if (looks_like_data) {
      issues_.add(line, "the first line holds numbers, not column names",
                  "add a header line such as k,cost,latency,accuracy above the data");
      return false;
    }
    if (names.size() == 1 && names[0].find_first_of(";|") != std::string::npos) {
      issues_.add(line,
                  "the header is one column '" + names[0] +
                      "': kcube splits fields at commas, or at tabs when the header has tabs "
                      "and no comma",
                  "save the file as CSV (comma-separated) or TSV (tab-separated)");
      return false;
    }
    for (std::size_t i = 0; i < names.size(); ++i)
      columns_.push_back(take_column(names[i], i));
    take_unknown_columns(names);
    std::vector<std::string> missing;
    for (const std::string_view required : {"k", "cost", "latency", "accuracy"}) {
      const bool present = std::any_of(columns_.begin(), columns_.end(), [&](const Column& c) {
        return c.role != Role::unusable && c.name == required;
      });
      // A typo already reported with "did you mean 'accuracy'" needs no second message.
      const bool suggested =
          std::find(suggested_.begin(), suggested_.end(), required) != suggested_.end();
      if (!present && !suggested)
        missing.push_back("'" + std::string(required) + "'");
    }
    if (!missing.empty()) {
      // The ignored columns' note is not printed when reading fails: name them here.
      const std::string others =
          ignored_names_.empty()
              ? std::string()
              : " (its other columns " + text::join(ignored_names_, ", ") + " are not read)";
      issues_.add(line,
                  "the header lacks the required column" +
                      std::string(missing.size() > 1 ? "s " : " ") + text::join(missing, ", ") +
                      others,
                  "the header must name k, cost, latency and accuracy, in any order");
    }
    fills_.resize(columns_.size());
    return true;
  }

  Column take_column(const std::string& name, std::size_t index) {
    const std::size_t line = *header_line_;
    const std::string position = "column " + std::to_string(index + 1);
    if (name.empty()) {
      issues_.add(line, position + " has no name",
                  "name it, or remove the extra comma (" + std::string(accepted_columns) + ")");
      return Column{};
    }
    std::optional<Column> column = classify(name);
    if (!column) {
      unknown_.push_back(index);  // judged once the whole header is known
      return Column{name};
    }
    // A duplicate of the earliest column with the same name or the same quantile.
    const auto named = first_named_.find(name);
    const auto quantile = column->role == Role::quantile
                              ? first_quantile_.find({column->metric, column->level})
                              : first_quantile_.end();
    const bool same_name = named != first_named_.end();
    const bool same_quantile = quantile != first_quantile_.end();
    if (same_name && (!same_quantile || named->second < quantile->second)) {
      issues_.add(line,
                  "column '" + name + "' appears twice (columns " +
                      std::to_string(named->second + 1) + " and " + std::to_string(index + 1) + ")",
                  "keep one of them");
      return Column{name};
    }
    if (same_quantile) {
      const std::size_t j = quantile->second;
      issues_.add(line,
                  position + " '" + name + "' is the same quantile as column " +
                      std::to_string(j + 1) + " '" + columns_[j].name + "'",
                  "keep one of them");
      return Column{name};
    }
    first_named_.emplace(name, index);
    if (column->role == Role::quantile)
      first_quantile_.emplace(std::pair{column->metric, column->level}, index);
    return *column;
  }

  // Columns kcube does not read. One that looks meant for kcube is an error: it starts with a
  // metric (cost_usd, latency_ms, cost_stdev), or it is a near miss of a required column the
  // header lacks (acuracy). Any other (model, notes, id) is ignored, and named in a note.
  void take_unknown_columns(const std::vector<std::string>& names) {
    const std::size_t line = *header_line_;
    std::vector<std::string> ignored;
    for (const std::size_t index : unknown_) {
      const std::string& name = names[index];
      const std::string position = "column " + std::to_string(index + 1);
      if (split_metric(name)) {
        issues_.add(line, "unknown " + position + " '" + name + "'" + metric_hint(name),
                    accepted_columns);
        continue;
      }
      const std::optional<std::string> best = text::closest(name, known_names());
      if (best && is_required(*best) && !has_column(*best)) {
        suggested_.push_back(*best);
        issues_.add(line, "unknown " + position + " '" + name + "' (did you mean '" + *best + "'?)",
                    accepted_columns);
        continue;
      }
      // "did you mean 'k'" is no help for an 'id' column next to a 'k' column.
      const bool helps = best && !has_column(*best);
      ignored.push_back("'" + name + "'" + (helps ? " (did you mean '" + *best + "'?)" : ""));
      ignored_names_.push_back("'" + name + "'");
    }
    if (!ignored.empty()) {
      notes_.push_back(issues_.where(line) + "ignoring the column" +
                       (ignored.size() > 1 ? "s " : " ") + text::join(ignored, ", ") +
                       ", which kcube does not read (it reads k, cost, latency, accuracy, trials, "
                       "<metric>_std, <metric>_se, <metric>_pNN, <metric>_lo and <metric>_hi)");
    }
  }

  static bool is_required(std::string_view name) {
    return name == "k" || name == "cost" || name == "latency" || name == "accuracy";
  }

  bool has_column(std::string_view name) const {
    return std::any_of(columns_.begin(), columns_.end(),
                       [&](const Column& c) { return c.role != Role::unusable && c.name == name; });
  }

  // The " (...)" hint for an unknown column that starts with a metric.
  std::string metric_hint(const std::string& name) {
    const auto [metric, suffix] = *split_metric(name);
    const std::string base(metric_name(metric));
    // cost_usd, latency_s, latency_ms, accuracy_pct: the metric with its unit. kcube's units
    // are fixed (USD, seconds, a fraction), so the name is the metric alone.
    if (const auto unit = unit_fix(metric, suffix)) {
      suggested_.push_back(base);
      return " (did you mean '" + base + "'? " + *unit + ")";
    }
    // cost_p5 or cost_p0975: close to several names at once, so say what the rule is instead.
    if (suffix.starts_with('p') && all_digits(suffix.substr(1))) {
      return " (a quantile suffix has two or three digits read as \"0.NN\": " + base +
             "_p05 is the 5% quantile)";
    }
    std::optional<std::string> best = text::closest(name, known_names());
    if (!best)
      return {};
    suggested_.push_back(*best);
    return " (did you mean '" + *best + "'?)";
  }

  // What to do with a column named by a metric and a unit (latency_ms: "latency is in seconds:
  // divide by 1000 and name the column 'latency'"), or nothing when `suffix` is no unit.
  static std::optional<std::string> unit_fix(Metric metric, std::string_view suffix) {
    const std::string base(metric_name(metric));
    const auto in = [&](std::initializer_list<std::string_view> units) {
      return std::find(units.begin(), units.end(), suffix) != units.end();
    };
    const std::string name_it = "name the column '" + base + "'";
    switch (metric) {
      case Metric::cost:
        if (in({"usd", "dollars", "dollar", "usd_per_request"}))
          return "cost is in USD per request: " + name_it;
        if (in({"cents", "cent"}))
          return "cost is in USD per request: divide by 100 and " + name_it;
        break;
      case Metric::latency:
        if (in({"s", "sec", "secs", "second", "seconds"}))
          return "latency is in seconds per request: " + name_it;
        if (in({"ms", "msec", "msecs", "millisecond", "milliseconds"}))
          return "latency is in seconds per request: divide by 1000 and " + name_it;
        if (in({"min", "mins", "minute", "minutes"}))
          return "latency is in seconds per request: multiply by 60 and " + name_it;
        break;
      case Metric::accuracy:
        if (in({"frac", "fraction", "rate"}))
          return "accuracy is a fraction in [0, 1]: " + name_it;
        if (in({"pct", "percent", "percentage"}))
          return "accuracy is a fraction in [0, 1]: divide by 100 and " + name_it;
        break;
    }
    return std::nullopt;
  }

  void take_row(const std::vector<std::string>& fields, std::size_t line) {
    if (fields.size() != columns_.size()) {
      issues_.add(line,
                  "the row has " + std::to_string(fields.size()) + " fields but the header (line " +
                      std::to_string(*header_line_) + ") has " + std::to_string(columns_.size()),
                  "write one field per header column (an optional value left empty is nothing "
                  "between two commas)");
      return;
    }
    Row row{line, std::vector<double>(fields.size(), 0.0)};
    std::vector<bool> valid(fields.size(), false);
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const Column& column = columns_[i];
      if (column.role == Role::unusable)
        continue;
      const Number number = parse_number(fields[i]);
      if (number.status == NumberStatus::empty && column.role != Role::k &&
          column.role != Role::mean) {
        note_empty(i, line);
        continue;
      }
      if (column.role != Role::k && column.role != Role::mean)
        note_filled(i, line);
      if (auto problem = value_problem(column, fields[i], number)) {
        issues_.add(line, *problem, expectation(column));
        continue;
      }
      row.values[i] = number.value;
      valid[i] = true;
    }
    check_quantile_order(row, valid);
    check_k(row, valid);
    rows_.push_back(std::move(row));
  }

  void note_empty(std::size_t column, std::size_t line) {
    Fill& fill = fills_[column];
    if (fill.empty_rows++ == 0)
      fill.first_empty_line = line;
  }

  void note_filled(std::size_t column, std::size_t line) {
    Fill& fill = fills_[column];
    if (fill.first_filled_line == 0)
      fill.first_filled_line = line;
  }

  // Quantiles of one metric cannot decrease with their level; when they do, two columns were
  // most likely swapped.
  void check_quantile_order(const Row& row, const std::vector<bool>& valid) {
    for (const Metric metric : metrics) {
      std::vector<std::size_t> order;
      for (std::size_t i = 0; i < columns_.size(); ++i) {
        if (valid[i] && columns_[i].role == Role::quantile && columns_[i].metric == metric) {
          order.push_back(i);
        }
      }
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return columns_[a].level < columns_[b].level;
      });
      for (std::size_t j = 1; j < order.size(); ++j) {
        const std::size_t lo = order[j - 1];
        const std::size_t hi = order[j];
        if (row.values[lo] > row.values[hi]) {
          issues_.add(row.line,
                      columns_[lo].name + " = " + text::format_real(row.values[lo]) + " is above " +
                          columns_[hi].name + " = " + text::format_real(row.values[hi]),
                      "a quantile cannot decrease as its level rises: check whether the two "
                      "columns are swapped");
        }
      }
    }
  }

  void check_k(const Row& row, const std::vector<bool>& valid) {
    const auto k_column = index_of(Role::k);
    if (!k_column || !valid[*k_column])
      return;
    const int k = static_cast<int>(row.values[*k_column]);
    const auto [it, inserted] = k_lines_.emplace(k, row.line);
    if (!inserted) {
      issues_.add(row.line,
                  "k = " + std::to_string(k) + " appears again (first on line " +
                      std::to_string(it->second) + ")",
                  "each k may appear once: delete or merge one of the two rows");
    }
  }

  std::optional<std::size_t> index_of(Role role, Metric metric = Metric::cost) const {
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i].role == role && (role != Role::mean || columns_[i].metric == metric)) {
        return i;
      }
    }
    return std::nullopt;
  }

  bool is_optional(std::size_t column) const {
    const Role role = columns_[column].role;
    return role == Role::spread || role == Role::quantile || role == Role::interval ||
           role == Role::trials;
  }

  bool is_dropped(std::size_t column) const { return fills_[column].first_filled_line == 0; }

  void check_fills() {
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      const Fill& fill = fills_[i];
      if (!is_optional(i) || fill.empty_rows == 0 || is_dropped(i))
        continue;
      const std::size_t others = fill.empty_rows - 1;
      issues_.add(fill.first_empty_line,
                  columns_[i].name + " is empty here" +
                      (others > 0 ? " and on " + std::to_string(others) + " more row" +
                                        (others > 1 ? "s" : "")
                                  : std::string()) +
                      ", but line " + std::to_string(fill.first_filled_line) + " has a value",
                  "an optional column must have a value in every row, or be empty in every row "
                  "(it is then ignored): fill in the gaps or delete the column");
    }
  }

  CandidateTable build() const {
    const std::size_t k_col = *index_of(Role::k);
    const std::size_t cost_col = *index_of(Role::mean, Metric::cost);
    const std::size_t latency_col = *index_of(Role::mean, Metric::latency);
    const std::size_t accuracy_col = *index_of(Role::mean, Metric::accuracy);
    std::vector<std::size_t> order(rows_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return rows_[a].values[k_col] < rows_[b].values[k_col];
    });
    CandidateTable table;
    for (const std::size_t r : order) {
      const std::vector<double>& v = rows_[r].values;
      table.rows.push_back(
          {static_cast<int>(v[k_col]), v[cost_col], v[latency_col], v[accuracy_col]});
    }
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (!is_optional(i) || is_dropped(i))
        continue;
      std::vector<double>& out = table.columns[columns_[i].name];
      for (const std::size_t r : order)
        out.push_back(rows_[r].values[i]);
    }
    return table;
  }

  Issues issues_;
  std::size_t last_line_ = 0;
  bool saw_comment_ = false;
  std::optional<std::size_t> header_line_;
  bool header_ok_ = false;
  std::size_t data_lines_ = 0;
  std::vector<Column> columns_;
  std::map<std::string, std::size_t> first_named_;  // usable columns: name -> index
  std::map<std::pair<Metric, double>, std::size_t> first_quantile_;  // and quantile -> index
  std::vector<std::string> suggested_;      // names offered by "did you mean" in the header
  std::vector<std::size_t> unknown_;        // header columns kcube does not know
  std::vector<std::string> ignored_names_;  // those of them ignored, quoted
  std::vector<std::string> notes_;  // what the caller should tell the user (ignored columns)
  char delimiter_ = ',';
  std::vector<Fill> fills_;
  std::vector<Row> rows_;
  std::map<int, std::size_t> k_lines_;  // k -> line it first appeared on
};

}  // namespace

CandidateTable read_candidate_csv(std::istream& in, std::string_view source,
                                  std::vector<std::string>* notes) {
  CandidateCsvReader reader(source);
  std::string line;
  std::size_t line_number = 0;
  std::string stop;
  while ((stop = reader.stop_reason()).empty() && std::getline(in, line))
    reader.take_line(line, ++line_number);
  if (!stop.empty() && in.peek() != std::istream::traits_type::eof())
    reader.stopped_before(line_number + 1, stop);
  if (in.bad()) {
    throw RuntimeFailure(std::string(source) + ":" + std::to_string(line_number + 1) +
                         ": reading failed");
  }
  CandidateTable table = reader.finish();
  if (notes != nullptr)
    *notes = reader.notes();
  return table;
}

CandidateTable read_candidate_csv_file(const std::string& path, std::vector<std::string>* notes) {
  if (path == "-")
    return read_candidate_csv(std::cin, "<stdin>", notes);
  std::ifstream in = csv::open_file(path);
  return read_candidate_csv(in, path, notes);
}

void write_candidate_csv(std::ostream& out, const CandidateTable& table,
                         const std::vector<std::string>& columns) {
  out << "k,cost,latency,accuracy";
  for (const auto& name : columns)
    out << ',' << name;
  out << '\n';
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const Candidate& c = table.rows[i];
    out << c.k << ',' << text::format_real(c.cost) << ',' << text::format_real(c.latency) << ','
        << text::format_real(c.accuracy);
    for (const auto& name : columns) {
      out << ',';
      if (const std::vector<double>* column = table.column(name)) {
        out << text::format_real((*column)[i]);
      }
    }
    out << '\n';
  }
}

}  // namespace kcube
