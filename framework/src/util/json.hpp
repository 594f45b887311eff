// The one JSON writer: every JSON kcube writes (exports, stored columns, --json output, the plot
// data, kcube-bench's figures) goes through json::Writer.
//
//   json::Writer w(out);
//   w.begin_object(json::Layout::spaced);
//   w.key("k").integer(4).key("cost").real(0.25).key("reason").string("ok");
//   w.end_object();                      // {"k": 4, "cost": 0.25, "reason": "ok"}
//
// Each container chooses its layout, so one document can hold one-line rows inside an indented
// list (kcube export's rows, kcube plugins --json). Numbers follow text::format_real (shortest
// text that reads back exactly: 1, 0.1, 1e-05); strings are escaped by quote(). nlohmann::json
// is not used: it writes 1.0 for a double 1, \b and \f for U+0008 and U+000C, throws on bytes
// that are not UTF-8, and lays out a whole document one way, which would change the exports and
// the stored JSON columns.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace kcube::json {

/// `s` as a JSON string literal, quotes included: '"', '\' and the control characters below
/// U+0020 are escaped (\n, \r, \t, else \u00xx); every other byte is kept as it is.
std::string quote(std::string_view s);

/// How a container lays out its members.
enum class Layout {
  /// {"a":1,"b":[2,3]}
  compact,
  /// {"a": 1, "b": [2, 3]}
  spaced,
  /// One member per line, indented one step more than the enclosing `lines` container; the
  /// closing bracket on a line of its own ("[]" or "{}" when empty). "key": value.
  lines,
};

/// Writes one JSON value to a stream, token by token: containers are opened and closed
/// explicitly, a member of an object is key() followed by its value. Misuse (a value without a
/// key in an object, unbalanced containers) is a programmer's mistake, caught by asserts.
class Writer {
 public:
  /// Writes to `out`, `indent` spaces per level of Layout::lines containers.
  explicit Writer(std::ostream& out, int indent = 2) : out_(out), indent_(indent) {}

  Writer& begin_object(Layout layout = Layout::compact);
  Writer& end_object();
  Writer& begin_array(Layout layout = Layout::compact);
  Writer& end_array();

  /// The key of the next member of the current object.
  Writer& key(std::string_view name);

  Writer& string(std::string_view s);
  /// string(s), or null when `s` is empty (an absent label, time or store).
  Writer& string_or_null(std::string_view s);
  Writer& boolean(bool b);
  Writer& null();
  /// A whole number, all digits.
  template <std::integral T>
  Writer& integer(T n) {
    return raw(std::to_string(n));
  }
  /// integer(*n), or null when empty.
  template <std::integral T>
  Writer& integer(const std::optional<T>& n) {
    return n ? integer(*n) : null();
  }
  /// text::format_real(x) for a finite x; null for NaN and infinities (JSON has neither).
  Writer& real(double x);
  /// real(*x), or null when empty.
  Writer& real(const std::optional<double>& x);
  /// `json`, already a JSON value (a number kept as written, a value written before), as is.
  Writer& raw(std::string_view json);

 private:
  struct Frame {
    Layout layout;
    bool object;
    std::size_t members = 0;
  };
  void open(char bracket, Layout layout, bool object);
  void close(char bracket, bool object);
  // The separator and line break before the next member of the innermost container.
  void next_member();
  void new_line(std::size_t depth);

  std::ostream& out_;
  int indent_;
  std::vector<Frame> frames_;
  std::size_t line_depth_ = 0;  // Layout::lines containers open
  bool after_key_ = false;
};

/// A JSON value held in memory, for output assembled from parts before it is written (kcube-bench
/// builds its figures while benchmarking and writes them at the end). Keys keep their order.
class Value {
 public:
  using Array = std::vector<Value>;
  using Object = std::vector<std::pair<std::string, Value>>;

  Value() = default;
  // Implicit on purpose: values are written as {"key", value} pairs. A bool argument takes the
  // non-template overload, which wins over the template on an exact match.
  Value(bool b) : value_(b) {}
  Value(double x) : value_(x) {}
  template <std::integral T>
  Value(T n) : value_(static_cast<std::int64_t>(n)) {}
  Value(std::string s) : value_(std::move(s)) {}
  Value(const char* s) : value_(std::string(s)) {}
  Value(Array a) : value_(std::move(a)) {}
  Value(Object o) : value_(std::move(o)) {}

  /// Writes the value, every array and object in `layout`.
  void write(Writer& writer, Layout layout) const;

 private:
  std::variant<std::nullptr_t, bool, double, std::int64_t, std::string, Array, Object> value_;
};

}  // namespace kcube::json
