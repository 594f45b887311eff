#include "report/document.hpp"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>

#include "kcube/error.hpp"
#include "util/text.hpp"

namespace kcube::report {
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw RuntimeFailure("report: cannot read figure '" + path.string() + "'");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A Markdown table cell: inline text ('|' escaped, line breaks as spaces).
std::string md_cell(const std::string& text) {
  return text::markdown_inline(text);
}

// Ids of headings, unique within the page.
class Anchors {
 public:
  std::string next(const std::string& text) {
    std::string base = slug(text);
    std::transform(base.begin(), base.end(), base.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (base.empty())
      base = "section";
    std::string id = base;
    for (int i = 2; used_.count(id) != 0; ++i)
      id = base + "-" + std::to_string(i);
    used_.insert(id);
    return id;
  }

 private:
  std::set<std::string> used_;
};

constexpr const char* kStyle = R"css(
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1180px; padding: 1.5em 2em 4em; color: #1d1f21; line-height: 1.45; }
h1 { font-size: 1.7em; border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { font-size: 1.35em; border-bottom: 1px solid #bbb; padding-bottom: .15em; margin-top: 2em; }
h3 { font-size: 1.12em; margin-top: 1.6em; }
h4 { font-size: 1em; margin-top: 1.2em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: .86em; }
th, td { border: 1px solid #ccc; padding: .22em .5em; vertical-align: top; }
th { background: #f0f0f0; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: .8em 0 1.4em; }
figure img, figure svg { max-width: 100%; height: auto; border: 1px solid #e2e2e2; }
figcaption { font-size: .85em; color: #555; }
.figs { display: flex; flex-wrap: wrap; gap: 0 1.5em; }
.figs figure { flex: 1 1 540px; max-width: 760px; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: .82em; }
details > summary { cursor: pointer; color: #0b5394; }
nav.toc { font-size: .9em; background: #f7f7f7; padding: .5em 1em; border: 1px solid #e2e2e2; }
nav.toc ul { margin: .2em 0; padding-left: 1.2em; }
)css";

}  // namespace

void Document::heading(int level, std::string text) {
  Block b;
  b.kind = Block::Kind::heading;
  b.level = std::clamp(level, 1, 4);
  b.text = std::move(text);
  blocks_.push_back(std::move(b));
}

void Document::paragraph(std::string text) {
  Block b;
  b.kind = Block::Kind::paragraph;
  b.text = std::move(text);
  blocks_.push_back(std::move(b));
}

void Document::bullets(std::vector<std::string> items) {
  Block b;
  b.kind = Block::Kind::bullets;
  b.items = std::move(items);
  blocks_.push_back(std::move(b));
}

void Document::table(DocTable table) {
  // A CSV reader keys columns by name (pandas renames a repeated "k" to "k.1"): every column of
  // a table the report writes has its own name.
  assert(std::set<std::string>(table.header.begin(), table.header.end()).size() ==
         table.header.size());
  Block b;
  b.kind = Block::Kind::table;
  b.table = std::move(table);
  blocks_.push_back(std::move(b));
}

void Document::figures(std::string title, std::vector<DocFigure> figures) {
  Block b;
  b.kind = Block::Kind::figures;
  b.text = std::move(title);
  b.figures = std::move(figures);
  blocks_.push_back(std::move(b));
}

void Document::code(std::string summary, std::string text) {
  Block b;
  b.kind = Block::Kind::code;
  b.summary = std::move(summary);
  b.text = std::move(text);
  blocks_.push_back(std::move(b));
}

std::string Document::markdown() const {
  std::ostringstream out;
  for (const Block& b : blocks_) {
    switch (b.kind) {
      case Block::Kind::heading:
        out << std::string(static_cast<std::size_t>(b.level), '#') << ' '
            << text::markdown_inline(b.text) << "\n\n";
        break;
      case Block::Kind::paragraph:
        out << text::markdown_text(b.text) << "\n\n";
        break;
      case Block::Kind::bullets:
        for (const auto& item : b.items)
          out << "- " << text::markdown_text(item) << "\n";
        out << "\n";
        break;
      case Block::Kind::table: {
        const DocTable& t = b.table;
        out << '|';
        for (const auto& h : t.header)
          out << ' ' << md_cell(h) << " |";
        out << "\n|";
        for (std::size_t c = 0; c < t.header.size(); ++c)
          out << (c < t.numeric.size() && t.numeric[c] ? "---:|" : "---|");
        out << '\n';
        for (const auto& row : t.rows) {
          out << '|';
          for (const auto& cell : row)
            out << ' ' << md_cell(cell) << " |";
          out << '\n';
        }
        if (!t.name.empty())
          out << "\n(CSV: [tables/" << t.name << ".csv](tables/" << t.name << ".csv))\n";
        out << '\n';
        break;
      }
      case Block::Kind::figures:
        if (!b.text.empty())
          out << "**" << text::markdown_inline(b.text) << "**\n\n";
        for (const auto& f : b.figures)
          out << "![" << text::markdown_inline(f.caption) << "](" << f.file << ")\n\n";
        break;
      case Block::Kind::code: {
        // The summary sits in raw HTML; the code is literal inside a fence no line of it closes.
        const std::string fence = text::markdown_fence(b.text);
        out << "<details><summary>" << html_escape(text::printable(b.summary)) << "</summary>\n\n"
            << fence << "\n"
            << text::printable(b.text) << (b.text.empty() || b.text.back() == '\n' ? "" : "\n")
            << fence << "\n\n"
            << "</details>\n\n";
        break;
      }
    }
  }
  return out.str();
}

std::string Document::html(const std::string& title, const fs::path& root) const {
  std::ostringstream body;
  std::ostringstream toc;
  Anchors anchors;
  int toc_depth = 0;
  for (const Block& b : blocks_) {
    switch (b.kind) {
      case Block::Kind::heading: {
        const std::string id = anchors.next(b.text);
        body << "<h" << b.level << " id=\"" << id << "\">" << html_escape(b.text) << "</h"
             << b.level << ">\n";
        if (b.level == 2 || b.level == 3) {
          const int depth = b.level - 1;
          // Nested lists sit inside the item they belong to: <li>a<ul><li>b</li></ul></li>.
          if (depth > toc_depth) {
            while (toc_depth < depth) {
              toc << "<ul>";
              ++toc_depth;
            }
          } else {
            toc << "</li>";
            while (toc_depth > depth) {
              toc << "</ul></li>";
              --toc_depth;
            }
          }
          toc << "<li><a href=\"#" << id << "\">" << html_escape(b.text) << "</a>";
        }
        break;
      }
      case Block::Kind::paragraph:
        body << "<p>" << html_escape(b.text) << "</p>\n";
        break;
      case Block::Kind::bullets:
        body << "<ul>\n";
        for (const auto& item : b.items)
          body << "<li>" << html_escape(item) << "</li>\n";
        body << "</ul>\n";
        break;
      case Block::Kind::table: {
        const DocTable& t = b.table;
        body << "<table>\n<thead><tr>";
        for (const auto& h : t.header)
          body << "<th>" << html_escape(h) << "</th>";
        body << "</tr></thead>\n<tbody>\n";
        for (const auto& row : t.rows) {
          body << "<tr>";
          for (std::size_t c = 0; c < row.size(); ++c) {
            const bool numeric = c < t.numeric.size() && t.numeric[c];
            body << (numeric ? "<td class=\"num\">" : "<td>") << html_escape(row[c]) << "</td>";
          }
          body << "</tr>\n";
        }
        body << "</tbody>\n</table>\n";
        break;
      }
      case Block::Kind::figures: {
        if (!b.text.empty())
          body << "<h4>" << html_escape(b.text) << "</h4>\n";
        body << "<div class=\"figs\">\n";
        for (const auto& f : b.figures) {
          const fs::path path = root / f.file;
          body << "<figure>";
          if (path.extension() == ".svg") {
            std::string svg = read_file(path);
            // Drop the XML prolog and doctype: inline SVG starts at <svg.
            if (const auto at = svg.find("<svg"); at != std::string::npos)
              svg.erase(0, at);
            body << svg;
          } else {
            body << "<img alt=\"" << html_escape(f.caption) << "\" src=\"data:image/png;base64,"
                 << base64(read_file(path)) << "\">";
          }
          body << "<figcaption>" << html_escape(f.caption) << "</figcaption></figure>\n";
        }
        body << "</div>\n";
        break;
      }
      case Block::Kind::code:
        body << "<details><summary>" << html_escape(b.summary) << "</summary><pre>"
             << html_escape(b.text) << "</pre></details>\n";
        break;
    }
  }
  while (toc_depth > 0) {
    toc << "</li></ul>";
    --toc_depth;
  }
  std::ostringstream page;
  page << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       << "<title>" << html_escape(title) << "</title>\n<style>" << kStyle << "</style>\n"
       << "</head>\n<body>\n<nav class=\"toc\"><strong>Contents</strong>" << toc.str() << "</nav>\n"
       << body.str() << "</body>\n</html>\n";
  return page.str();
}

void Document::write_tables(const fs::path& folder) const {
  for (const Block& b : blocks_) {
    if (b.kind != Block::Kind::table || b.table.name.empty())
      continue;
    const DocTable& t = b.table;
    const fs::path path = folder / (t.name + ".csv");
    std::ofstream out(path, std::ios::binary);
    if (!out)
      throw RuntimeFailure("report: cannot write '" + path.string() + "'");
    for (std::size_t c = 0; c < t.header.size(); ++c)
      out << (c ? "," : "") << text::csv_field(t.header[c]);
    out << '\n';
    const auto& rows = t.values.empty() ? t.rows : t.values;
    for (const auto& row : rows) {
      for (std::size_t c = 0; c < row.size(); ++c)
        out << (c ? "," : "") << text::csv_field(row[c]);
      out << '\n';
    }
    out.close();
    if (!out)
      throw RuntimeFailure("report: writing '" + path.string() + "' failed");
  }
}

std::string slug(const std::string& text) {
  std::string out;
  bool dash = false;
  for (const char c : text) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    if (keep) {
      out += c;
      dash = false;
    } else if (!dash && !out.empty()) {
      out += '-';
      dash = true;
    }
  }
  while (!out.empty() && out.back() == '-')
    out.pop_back();
  if (out.size() > 80)
    out.resize(80);
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const std::string_view entity = text::html_entity(c);
    if (entity.empty())
      out += c;
    else
      out += entity;
  }
  return out;
}

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16) |
                   (static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                   static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 2]));
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    auto n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2)
      n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string fmt(double value, const char* format) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

}  // namespace kcube::report
