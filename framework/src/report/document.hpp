// Private: a report as a sequence of blocks (headings, text, tables, figures, code), rendered
// to Markdown and to one self-contained HTML file, with every table also written as CSV.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kcube::report {

/// A table of the report. `rows` hold the text shown (numbers rounded for reading); `values`,
/// when not empty, hold the same cells at full precision for the CSV file (shortest round-trip
/// reals, empty for none), so a reader can check every number against the store.
struct DocTable {
  /// File stem of the CSV copy under tables/ (e.g. "picks-balanced"); empty for none. Unique
  /// within a document.
  std::string name;
  /// Column names, each once (they are the CSV header).
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  /// Same shape as rows, or empty (then the CSV holds `rows`).
  std::vector<std::vector<std::string>> values;
  /// Per column: right-aligned (numbers).
  std::vector<bool> numeric;
  /// Empty, or one per row: a non-empty entry makes its row a link target with an entry of
  /// that text in the HTML table of contents, under the current heading (e.g. one per profile).
  std::vector<std::string> row_anchors;
};

/// A figure file, relative to the report's folder.
struct DocFigure {
  std::string file;
  std::string caption;
};

/// One block of a report.
struct Block {
  enum class Kind { heading, paragraph, bullets, table, figures, code };
  Kind kind = Kind::paragraph;
  /// heading: 1..4.
  int level = 0;
  /// heading and paragraph text; code: the code; figures: an optional group title (a link
  /// target with an entry in the HTML table of contents, under the current heading).
  std::string text;
  /// code: the label of its collapsible section in HTML.
  std::string summary;
  /// bullets: one item each.
  std::vector<std::string> items;
  DocTable table;
  std::vector<DocFigure> figures;
};

/// A report under construction. Text is plain (escaped when rendered); `anchor()` gives the id a
/// heading gets in HTML.
class Document {
 public:
  void heading(int level, std::string text);
  void paragraph(std::string text);
  void bullets(std::vector<std::string> items);
  void table(DocTable table);
  void figures(std::string title, std::vector<DocFigure> figures);
  void code(std::string summary, std::string text);

  const std::vector<Block>& blocks() const { return blocks_; }

  /// GitHub-flavoured Markdown: pipe tables, figures as image links, code fenced; a plain table
  /// of contents of the level-2 headings (GitHub's heading anchors) before the first of them.
  std::string markdown() const;

  /// One HTML5 page with inline CSS and a table of contents (headings of levels 2 and 3, and
  /// the anchored table rows and figure groups under them) that stays in reach: on a wide
  /// screen a sidebar beside the text, each scrolling on its own; on a narrow one at the top.
  /// Every level-2 section ends with a link back to the top. Wide tables scroll inside their
  /// own box, so nothing is wider than the page. PNG figures embedded as data: URIs and SVG
  /// figures inlined, read from `root` / file. Nothing is fetched from anywhere. Throws
  /// kcube::RuntimeFailure when a figure file cannot be read.
  std::string html(const std::string& title, const std::filesystem::path& root) const;

  /// Writes every named table to `folder`/<name>.csv (RFC 4180). Throws kcube::RuntimeFailure
  /// naming the file when writing fails.
  void write_tables(const std::filesystem::path& folder) const;

 private:
  std::vector<Block> blocks_;
};

/// A file-name-safe form of `text`: letters, digits, '.', '_' and '-' kept, runs of anything else
/// replaced by one '-', at most 80 characters.
std::string slug(const std::string& text);

/// The anchor GitHub gives a Markdown heading of `text` (its first occurrence): lower case,
/// letters, digits, '-' and '_' kept, spaces turned into '-', everything else dropped.
std::string github_anchor(const std::string& text);

/// `text` with &, <, >, " escaped for HTML.
std::string html_escape(const std::string& text);

/// Standard base64 of `bytes`.
std::string base64(const std::string& bytes);

/// `value` printed by printf's `format`, one conversion of a double ("%.3g s"): the rounded
/// numbers people read in a report (its CSV tables keep full precision).
std::string fmt(double value, const char* format);

}  // namespace kcube::report
