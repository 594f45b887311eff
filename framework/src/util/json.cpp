#include "util/json.hpp"

#include <cassert>
#include <cmath>
#include <cstdio>

#include "util/text.hpp"

namespace kcube::json {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(c));
          out += buffer;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

void Writer::new_line(std::size_t depth) {
  out_ << '\n' << std::string(depth * static_cast<std::size_t>(indent_), ' ');
}

void Writer::next_member() {
  if (frames_.empty())
    return;
  Frame& frame = frames_.back();
  if (frame.members > 0)
    out_ << ',';
  if (frame.layout == Layout::lines)
    new_line(line_depth_);
  else if (frame.layout == Layout::spaced && frame.members > 0)
    out_ << ' ';
  ++frame.members;
}

void Writer::open(char bracket, Layout layout, bool object) {
  raw(std::string_view(&bracket, 1));
  frames_.push_back({layout, object});
  if (layout == Layout::lines)
    ++line_depth_;
}

void Writer::close(char bracket, bool object) {
  assert(!frames_.empty() && frames_.back().object == object && !after_key_);
  (void)object;  // only checked
  const Frame frame = frames_.back();
  frames_.pop_back();
  if (frame.layout == Layout::lines) {
    --line_depth_;
    if (frame.members > 0)
      new_line(line_depth_);
  }
  out_ << bracket;
}

Writer& Writer::begin_object(Layout layout) {
  open('{', layout, true);
  return *this;
}

Writer& Writer::end_object() {
  close('}', true);
  return *this;
}

Writer& Writer::begin_array(Layout layout) {
  open('[', layout, false);
  return *this;
}

Writer& Writer::end_array() {
  close(']', false);
  return *this;
}

Writer& Writer::key(std::string_view name) {
  // A key belongs to an object and precedes a value.
  assert(!frames_.empty() && frames_.back().object && !after_key_);
  next_member();
  out_ << quote(name) << (frames_.back().layout == Layout::compact ? ":" : ": ");
  after_key_ = true;
  return *this;
}

Writer& Writer::string(std::string_view s) {
  return raw(quote(s));
}

Writer& Writer::string_or_null(std::string_view s) {
  return s.empty() ? null() : string(s);
}

Writer& Writer::boolean(bool b) {
  return raw(b ? "true" : "false");
}

Writer& Writer::null() {
  return raw("null");
}

Writer& Writer::real(double x) {
  return std::isfinite(x) ? raw(text::format_real(x)) : null();
}

Writer& Writer::real(const std::optional<double>& x) {
  return x ? real(*x) : null();
}

Writer& Writer::raw(std::string_view json) {
  if (after_key_) {
    after_key_ = false;
  } else {
    // In an object every value follows its key.
    assert(frames_.empty() || !frames_.back().object);
    next_member();
  }
  out_ << json;
  return *this;
}

void Value::write(Writer& writer, Layout layout) const {
  if (std::holds_alternative<std::nullptr_t>(value_)) {
    writer.null();
  } else if (const bool* b = std::get_if<bool>(&value_)) {
    writer.boolean(*b);
  } else if (const double* x = std::get_if<double>(&value_)) {
    writer.real(*x);
  } else if (const std::int64_t* n = std::get_if<std::int64_t>(&value_)) {
    writer.integer(*n);
  } else if (const std::string* s = std::get_if<std::string>(&value_)) {
    writer.string(*s);
  } else if (const Array* a = std::get_if<Array>(&value_)) {
    writer.begin_array(layout);
    for (const Value& element : *a)
      element.write(writer, layout);
    writer.end_array();
  } else {
    writer.begin_object(layout);
    for (const auto& [name, member] : std::get<Object>(value_)) {
      writer.key(name);
      member.write(writer, layout);
    }
    writer.end_object();
  }
}

}  // namespace kcube::json
