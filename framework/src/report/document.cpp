#include "report/document.hpp"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
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
  Anchors() { used_.insert("top"); }  // the start of the page, for "back to top"

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

// The HTML table of contents: nested lists, an entry at depth d (1: level-2 headings) inside
// the item of the entry before it at depth d - 1: <li>a<ul><li>b</li></ul></li>.
class TableOfContents {
 public:
  void add(int depth, const std::string& id, const std::string& label) {
    // An entry deeper than one below the last (a table row right under a level-2 heading)
    // nests one level, not two: no empty items.
    depth = std::clamp(depth, 1, depth_ + 1);
    if (depth > depth_) {
      out_ << "<ul>";
      ++depth_;
    } else {
      out_ << "</li>";
      while (depth_ > depth) {
        out_ << "</ul></li>";
        --depth_;
      }
    }
    out_ << "<li><a href=\"#" << id << "\">" << html_escape(label) << "</a>";
  }
  std::string html() {
    while (depth_ > 0) {
      out_ << "</li></ul>";
      --depth_;
    }
    return out_.str();
  }

 private:
  std::ostringstream out_;
  int depth_ = 0;
};

constexpr const char* kBackToTop = "<p class=\"top\"><a href=\"#top\">back to top</a></p>\n";

// On a screen wide enough for both, the table of contents and the text sit side by side, each
// its own scroll container of the window's height: the contents stay in reach however far the
// text is scrolled, with no script. The text being a scroll container (rather than the page)
// also makes a #anchor URL show its target in a headless Chromium screenshot: Chromium scrolls
// the page itself to the anchor without painting that offset into the screenshot (blank), while
// a scroll container's offset is painted. Narrow screens and print get one column, contents on
// top. `minmax(0, 1fr)` and the .scroll boxes keep wide tables from widening the page.
constexpr const char* kStyle = R"css(
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 0; color: #1d1f21; line-height: 1.45; }
main { padding: 1em 2em 4em; max-width: 1180px; margin: 0 auto; box-sizing: border-box; }
h1 { font-size: 1.7em; border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { font-size: 1.35em; border-bottom: 1px solid #bbb; padding-bottom: .15em; margin-top: 2em; }
h3 { font-size: 1.12em; margin-top: 1.6em; }
h4 { font-size: 1em; margin-top: 1.2em; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: .86em; }
th, td { border: 1px solid #ccc; padding: .22em .5em; vertical-align: top; }
th { background: #f0f0f0; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:nth-child(even) td { background: #fafafa; }
tr:target td { background: #fff3c4; }
figure { margin: .8em 0 1.4em; max-width: 100%; }
figure img, figure svg { max-width: 100%; height: auto; border: 1px solid #e2e2e2; }
figcaption { font-size: .85em; color: #555; }
.figs { display: flex; flex-wrap: wrap; gap: 0 1.5em; }
.figs figure { flex: 1 1 540px; max-width: 760px; min-width: 0; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: .82em; }
details > summary { cursor: pointer; color: #0b5394; }
nav.toc { font-size: .84em; background: #f7f7f7; padding: .6em 1em; border-bottom: 1px solid #e2e2e2;
          overflow-wrap: anywhere; box-sizing: border-box; }
nav.toc ul { margin: .15em 0; padding-left: 1.1em; }
nav.toc li { margin: .08em 0; }
nav.toc a { color: #0b5394; text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
p.top { font-size: .82em; text-align: right; margin: 1.6em 0 0; }
@media screen and (min-width: 1000px) {
  body { display: grid; grid-template-columns: 17rem minmax(0, 1fr); height: 100vh; overflow: hidden; }
  nav.toc { height: 100vh; overflow-y: auto; border-bottom: 0; border-right: 1px solid #e2e2e2; }
  main { height: 100vh; overflow-y: auto; max-width: none; margin: 0; }
}
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
  // GitHub numbers repeated heading anchors "-1", "-2", ... in page order, over all levels.
  std::vector<std::pair<std::string, std::string>> contents;  // level-2 text, anchor
  std::map<std::string, int> seen;
  for (const Block& b : blocks_) {
    if (b.kind != Block::Kind::heading)
      continue;
    const std::string base = github_anchor(b.text);
    const int n = seen[base]++;
    if (b.level == 2)
      contents.emplace_back(b.text, n == 0 ? base : base + "-" + std::to_string(n));
  }
  std::ostringstream out;
  bool contents_written = false;
  for (const Block& b : blocks_) {
    switch (b.kind) {
      case Block::Kind::heading:
        if (b.level == 2 && !contents_written && !contents.empty()) {
          out << "**Contents**\n\n";
          for (const auto& [text, anchor] : contents)
            out << "- [" << text::markdown_inline(text) << "](#" << anchor << ")\n";
          out << "\n";
          contents_written = true;
        }
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
  Anchors anchors;
  TableOfContents toc;
  // The heading entries below attach to: anchored rows and figure groups sit one level deeper.
  int section_depth = 0;
  std::string section_text;
  bool seen_section = false;
  for (const Block& b : blocks_) {
    switch (b.kind) {
      case Block::Kind::heading: {
        if (b.level == 2 && seen_section)
          body << kBackToTop;
        seen_section = seen_section || b.level == 2;
        const std::string id = anchors.next(b.text);
        body << "<h" << b.level << " id=\"" << id << "\">" << html_escape(b.text) << "</h"
             << b.level << ">\n";
        if (b.level == 2 || b.level == 3) {
          section_depth = b.level - 1;
          section_text = b.text;
          toc.add(section_depth, id, b.text);
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
        body << "<div class=\"scroll\"><table>\n<thead><tr>";
        for (const auto& h : t.header)
          body << "<th>" << html_escape(h) << "</th>";
        body << "</tr></thead>\n<tbody>\n";
        for (std::size_t r = 0; r < t.rows.size(); ++r) {
          const auto& row = t.rows[r];
          const std::string label = r < t.row_anchors.size() ? t.row_anchors[r] : "";
          if (label.empty()) {
            body << "<tr>";
          } else {
            const std::string id = anchors.next(section_text + " " + label);
            body << "<tr id=\"" << id << "\">";
            toc.add(section_depth + 1, id, label);
          }
          for (std::size_t c = 0; c < row.size(); ++c) {
            const bool numeric = c < t.numeric.size() && t.numeric[c];
            body << (numeric ? "<td class=\"num\">" : "<td>") << html_escape(row[c]) << "</td>";
          }
          body << "</tr>\n";
        }
        body << "</tbody>\n</table></div>\n";
        break;
      }
      case Block::Kind::figures: {
        if (!b.text.empty()) {
          const std::string id = anchors.next(section_text + " " + b.text);
          body << "<h4 id=\"" << id << "\">" << html_escape(b.text) << "</h4>\n";
          toc.add(section_depth + 1, id, b.text);
        }
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
  if (seen_section)
    body << kBackToTop;
  std::ostringstream page;
  page << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       << "<title>" << html_escape(title) << "</title>\n<style>" << kStyle << "</style>\n"
       << "</head>\n<body>\n<nav class=\"toc\" aria-label=\"Contents\"><strong>Contents</strong>"
       << toc.html() << "</nav>\n<main>\n<div id=\"top\"></div>\n"
       << body.str() << "</main>\n</body>\n</html>\n";
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

std::string github_anchor(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || std::isalnum(u) != 0 || c == '-' || c == '_')
      out += static_cast<char>(u < 0x80 ? std::tolower(u) : u);
    else if (c == ' ')
      out += '-';
  }
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
