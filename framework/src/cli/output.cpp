#include "cli/output.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <new>
#include <sstream>
#include <streambuf>
#include <string_view>
#include <tuple>
#include <typeinfo>
#include <utility>

#include "cli/commands.hpp"
#include "kcube/error.hpp"
#include "util/text.hpp"

namespace kcube::cli {
namespace po = boost::program_options;

class CheckedBuffer : public std::streambuf {
 public:
  explicit CheckedBuffer(std::FILE* file) : file_(file) {}

  /// The errno of the first failed write or flush, 0 when none failed.
  int error() const { return error_; }

  /// Flushes the C stream; false (and the error noted) when that fails.
  bool flush() {
    if (std::fflush(file_) == 0)
      return true;
    note();
    return false;
  }

  /// Why output failed: the first failure's strerror text; nullopt when nothing failed. A
  /// failure C's stream saw without us (a plugin's printf) has no errno left to tell.
  std::optional<std::string> failure() const {
    if (error_ != 0)
      return std::string(std::strerror(error_));
    if (std::ferror(file_) != 0)
      return std::string("a write failed");
    return std::nullopt;
  }

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof()))
      return flush() ? traits_type::not_eof(c) : traits_type::eof();
    if (std::fputc(traits_type::to_char_type(c), file_) == EOF) {
      note();
      return traits_type::eof();
    }
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    const std::size_t wanted = static_cast<std::size_t>(n);
    const std::size_t written = std::fwrite(s, 1, wanted, file_);
    if (written < wanted)
      note();
    return static_cast<std::streamsize>(written);
  }
  int sync() override { return flush() ? 0 : -1; }

 private:
  void note() {
    if (error_ == 0)
      error_ = errno != 0 ? errno : EIO;
  }

  std::FILE* file_;
  int error_ = 0;
};

CheckedStdout::CheckedStdout()
    : buffer_(std::make_unique<CheckedBuffer>(stdout)), previous_(std::cout.rdbuf(buffer_.get())) {}

CheckedStdout::~CheckedStdout() {
  std::cout.rdbuf(previous_);
}

std::optional<std::string> CheckedStdout::finish() {
  std::cout.flush();
  buffer_->flush();
  return buffer_->failure();
}

OutputFile::OutputFile(const std::filesystem::path& path, const std::string& command)
    : path_(path), command_(command), file_(std::fopen(path.c_str(), "w")) {
  if (file_ == nullptr) {
    throw Error(command + ": cannot write '" + path.string() + "': " + std::strerror(errno) +
                "; check the folder exists and is writable");
  }
  buffer_ = std::make_unique<CheckedBuffer>(file_);
  stream_ = std::make_unique<std::ostream>(buffer_.get());
}

OutputFile::~OutputFile() {
  if (file_ != nullptr)
    std::fclose(file_);
}

void OutputFile::close() {
  stream_->flush();
  buffer_->flush();
  std::optional<std::string> failure = buffer_->failure();
  std::FILE* file = std::exchange(file_, nullptr);
  if (std::fclose(file) != 0 && !failure)
    failure = std::strerror(errno);
  if (failure)
    throw RuntimeFailure(command_ + ": cannot write '" + path_.string() + "': " + *failure);
}

namespace {
// Display width of UTF-8 text: count code points, not bytes (enough for labels like "|F|").
std::size_t width(const std::string& s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}
}  // namespace

namespace {
// A cell as shown: one line, nothing a terminal would act on.
std::vector<std::string> shown(std::vector<std::string> row) {
  for (std::string& cell : row)
    cell = text::printable(cell, text::Newlines::escape);
  return row;
}
}  // namespace

Table::Table(std::vector<std::string> header) : header_(shown(std::move(header))) {}

void Table::add(std::vector<std::string> row) {
  rows_.push_back(shown(std::move(row)));
}

namespace {

// The first code points of `s` that fill at most `columns` display columns, and the rest.
std::pair<std::string, std::string> split_at_width(const std::string& s, std::size_t columns) {
  std::size_t i = 0, used = 0;
  while (i < s.size() && used < columns) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80)
      ++i;
    ++used;
  }
  return {s.substr(0, i), s.substr(i)};
}

// `text` broken into lines of at most `columns` display columns, at spaces where it can be
// (a word longer than a line is cut).
std::vector<std::string> wrap(const std::string& text, std::size_t columns) {
  std::vector<std::string> lines;
  std::string rest = text;
  while (width(rest) > columns) {
    auto [head, tail] = split_at_width(rest, columns + 1);
    const std::size_t space = head.rfind(' ');
    if (space != std::string::npos && space > 0) {
      lines.push_back(head.substr(0, space));
      rest = head.substr(space + 1) + tail;
    } else {
      std::tie(head, tail) = split_at_width(rest, columns);
      lines.push_back(head);
      rest = tail;
    }
  }
  lines.push_back(rest);
  return lines;
}

// A last column narrower than this is not worth wrapping beside the others: it goes under its
// row instead, indented by below_indent.
constexpr std::size_t min_wrapped_width = 24;
constexpr std::size_t below_indent = 4;

}  // namespace

void Table::print(std::ostream& out, const std::string& indent,
                  std::optional<std::size_t> max_width) const {
  std::vector<std::size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], width(row[i]));
    }
  };
  measure(header_);
  for (const auto& row : rows_)
    measure(row);
  // Where the last column starts; on a line of max_width it is wrapped beside the others (at
  // last_width) or, when that leaves it too little room, printed under its row.
  std::size_t last_start = width(indent);
  for (std::size_t i = 0; i + 1 < widths.size(); ++i)
    last_start += widths[i] + 2;
  const bool too_wide = max_width && widths.size() > 1 && last_start + widths.back() > *max_width;
  const bool below = too_wide && *max_width < last_start + min_wrapped_width;
  std::optional<std::size_t> last_width;
  if (too_wide && !below) {
    last_width = *max_width - last_start;
    widths.back() = *last_width;
  }
  const std::string below_start(width(indent) + below_indent, ' ');
  enum class Kind { header, rule, row };
  auto line = [&](const std::vector<std::string>& row, Kind kind) {
    std::string text = indent;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool last = i + 1 == row.size();
      if (last && below && kind != Kind::header) {
        while (!text.empty() && text.back() == ' ')
          text.pop_back();
        if (kind == Kind::rule || row[i].empty())
          break;
        const std::size_t room =
            std::max(*max_width, below_start.size() + min_wrapped_width) - below_start.size();
        for (const std::string& part : wrap(row[i], room))
          text += "\n" + below_start + part;
        break;
      }
      if (last && last_width) {
        const std::vector<std::string> lines = wrap(row[i], *last_width);
        text += lines.front();
        for (std::size_t l = 1; l < lines.size(); ++l)
          text += "\n" + std::string(last_start, ' ') + lines[l];
        break;
      }
      text += row[i];
      if (!last)
        text += std::string(widths[i] - width(row[i]) + 2, ' ');
    }
    out << text << '\n';
  };
  // Under its row, the last column is named in the header as "(reason below)".
  std::vector<std::string> header = header_;
  if (below)
    header.back() = "(" + header.back() + " below)";
  line(header, Kind::header);
  std::vector<std::string> rule;
  for (std::size_t w : widths)
    rule.emplace_back(w, '-');
  line(rule, Kind::rule);
  for (const auto& row : rows_)
    line(row, Kind::row);
}

std::optional<std::size_t> terminal_width() {
  if (::isatty(STDOUT_FILENO) == 0)
    return std::nullopt;
  if (const char* columns = std::getenv("COLUMNS")) {
    std::size_t value = 0;
    const std::string_view text(columns);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size() && value > 0)
      return value;
  }
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  return std::size_t{100};
}

void add_plugin_path_option(po::options_description& options) {
  options.add_options()("plugin-path", po::value<std::vector<std::string>>()->value_name("DIR"),
                        "also search DIR for plugins (repeatable; searched first)");
}

std::vector<std::string> plugin_paths(const po::variables_map& vm, const GlobalOptions& global) {
  std::vector<std::string> paths = global.plugin_paths;
  if (vm.count("plugin-path") != 0) {
    for (const auto& p : vm["plugin-path"].as<std::vector<std::string>>())
      paths.push_back(p);
  }
  return paths;
}

po::variables_map parse(const Args& args, const po::options_description& options,
                        const po::positional_options_description& positional,
                        const std::string& command) {
  po::variables_map vm;
  po::parsed_options parsed(&options);
  try {
    parsed = po::command_line_parser(args).options(options).positional(positional).run();
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw Error("kcube " + command + ": " + e.what() + "; see 'kcube " + command + " --help'");
  }
  // Boost reads "-1" for an unsigned option as 2^64 - 1 without complaint.
  for (const auto& option : parsed.options) {
    const auto found = vm.find(option.string_key);
    if (found == vm.end() || found->second.value().type() != typeid(std::uint64_t))
      continue;
    for (const auto& value : option.value) {
      if (text::trim(value).starts_with('-')) {
        throw Error("kcube " + command + ": --" + option.string_key +
                    " must be a whole number >= 0, got '" + value + "'; see 'kcube " + command +
                    " --help'");
      }
    }
  }
  return vm;
}

po::variables_map parse_positional(const Args& args, const po::options_description& options,
                                   const std::vector<std::string>& positional_names,
                                   const std::string& command) {
  po::options_description hidden;
  po::positional_options_description positional;
  for (const auto& name : positional_names) {
    hidden.add_options()(name.c_str(), po::value<std::string>());
    positional.add(name.c_str(), 1);
  }
  po::options_description all;
  all.add(options).add(hidden);
  return parse(args, all, positional, command);
}

PluginRegistry discover_plugins(const std::vector<std::string>& plugin_paths) {
  DiscoveryOptions options;
  for (const auto& p : plugin_paths)
    options.plugin_paths.emplace_back(p);
  return PluginRegistry::discover(options);
}

std::string usage(const std::string& synopsis, const po::options_description& options) {
  std::ostringstream out;
  out << "Usage: " << synopsis << "\n\n" << options;
  return out.str();
}

}  // namespace kcube::cli
