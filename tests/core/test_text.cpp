// Text helpers.
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "util/text.hpp"

TEST_CASE("edit distance") {
  CHECK(kcube::text::edit_distance("", "") == 0);
  CHECK(kcube::text::edit_distance("kitten", "sitting") == 3);
  CHECK(kcube::text::edit_distance("abc", "") == 3);
}

TEST_CASE("did you mean picks a close name or nothing") {
  const std::vector<std::string> names = {"accuracy-max", "cube-max", "knee-point"};
  CHECK(kcube::text::did_you_mean("cube-mx", names) == " (did you mean 'cube-max'?)");
  CHECK(kcube::text::did_you_mean("totally-different", names).empty());
}

TEST_CASE("did you mean skips what cannot be close and words too long to be typos") {
  const std::vector<std::string> names = {"k", "cost_max", std::string(400, 'x')};
  CHECK(kcube::text::did_you_mean("cost_mx", names) == " (did you mean 'cost_max'?)");
  CHECK(kcube::text::did_you_mean(std::string(399, 'x'), names).empty());
  const std::vector<std::string> long_name = {std::string(251, 'x')};
  CHECK(kcube::text::did_you_mean(std::string(250, 'x') + "y", long_name) ==
        " (did you mean '" + long_name[0] + "'?)");
}

TEST_CASE("reals round-trip in their shortest form") {
  CHECK(kcube::text::format_real(0.1) == "0.1");
  CHECK(kcube::text::format_real(1e-6) == "1e-06");
  CHECK(kcube::text::format_real(0.1 + 0.2) == "0.30000000000000004");
  CHECK(kcube::text::format_real(std::numeric_limits<double>::infinity()) == "inf");
}

TEST_CASE("kebab-case") {
  CHECK(kcube::text::is_kebab_case("knee-point"));
  CHECK(kcube::text::is_kebab_case("reference-2d"));
  CHECK_FALSE(kcube::text::is_kebab_case("Knee"));
  CHECK_FALSE(kcube::text::is_kebab_case("knee--point"));
  CHECK_FALSE(kcube::text::is_kebab_case("-knee"));
  CHECK_FALSE(kcube::text::is_kebab_case("knee_point"));
  CHECK_FALSE(kcube::text::is_kebab_case(""));
}

// ---- printable: what reaches a terminal -----------------------------------------------------

TEST_CASE("printable shows control characters as \\xNN and keeps text") {
  using kcube::text::Newlines;
  using kcube::text::printable;
  CHECK(printable("plain text, äöü, 東京, 😀") == "plain text, äöü, 東京, 😀");
  CHECK(printable("\x1b]0;owned\x07title\x1b[31mred") == "\\x1b]0;owned\\x07title\\x1b[31mred");
  CHECK(printable(std::string("a\0b", 3)) == "a\\x00b");
  CHECK(printable("del\x7f") == "del\\x7f");
  CHECK(printable("cr\rover") == "cr\\x0dover");
  // C1 controls, CSI (U+009B) among them, as their two UTF-8 bytes.
  CHECK(printable("\xc2\x9b"
                  "2J") == "\\xc2\\x9b2J");
  CHECK(printable("\xc2\xa0") == "\xc2\xa0");  // U+00A0 is text
  // Bytes that are not UTF-8: each alone, then the text goes on.
  CHECK(printable("bad \xff\xfe end") == "bad \\xff\\xfe end");
  CHECK(printable("cut \xe6\x9d") == "cut \\xe6\\x9d");
  CHECK(printable("overlong \xc0\xaf") == "overlong \\xc0\\xaf");
  CHECK(printable("surrogate \xed\xa0\x80") == "surrogate \\xed\\xa0\\x80");
  // Line feeds and tabs: kept for messages, escaped for one-line cells.
  CHECK(printable("a\n\tb") == "a\n\tb");
  CHECK(printable("a\n\tb", Newlines::escape) == "a\\x0a\\x09b");
  // Applying it twice changes nothing more.
  const std::string once = printable(std::string("\x1b\0\xff\x9b\n", 5));
  CHECK(printable(once) == once);
}

// ---- Markdown: what reaches report.md -------------------------------------------------------

TEST_CASE("markdown_text leaves no HTML, link, emphasis or code") {
  using kcube::text::markdown_text;
  CHECK(markdown_text("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;");
  CHECK(markdown_text("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))");
  CHECK(markdown_text("![img](http://x/y.png)") == "!\\[img\\](http://x/y.png)");
  CHECK(markdown_text("*bold* `code` ~~gone~~ a|b") ==
        "\\*bold\\* \\`code\\` \\~\\~gone\\~\\~ a\\|b");
  CHECK(markdown_text("&amp; &#60;") == "&amp;amp; &amp;\\#60;");
  CHECK(markdown_text("back\\slash") == "back\\\\slash");
  CHECK(markdown_text("# heading") == "\\# heading");
  // '_' inside a word is no emphasis and stays readable; at a word's edge it is escaped.
  CHECK(markdown_text("k_max and _em_") == "k_max and \\_em\\_");
  // Line breaks could start a new block: they become spaces.
  CHECK(markdown_text("one\n# two\n- three") == "one \\# two - three");
}

TEST_CASE("markdown_text does not let its first characters open a block") {
  using kcube::text::markdown_text;
  CHECK(markdown_text("- item") == "\\- item");
  CHECK(markdown_text("+ item") == "\\+ item");
  CHECK(markdown_text("1. item") == "1\\. item");
  CHECK(markdown_text("12) item") == "12\\) item");
  CHECK(markdown_text("> quote") == "&gt; quote");
  // What opens no block stays as it is: numbers, ranges.
  CHECK(markdown_text("-0.5") == "-0.5");
  CHECK(markdown_text("0.95") == "0.95");
  CHECK(markdown_text("4 to 8") == "4 to 8");
}

TEST_CASE("markdown_inline escapes inline Markdown only: a table cell opens no block") {
  using kcube::text::markdown_inline;
  CHECK(markdown_inline("-") == "-");
  CHECK(markdown_inline("- item") == "- item");
  CHECK(markdown_inline("1. item") == "1. item");
  CHECK(markdown_inline("<b>[x](y)</b>") == "&lt;b&gt;\\[x\\](y)&lt;/b&gt;");
  CHECK(kcube::text::markdown_text("-") == "\\-");
}

TEST_CASE("markdown_text escapes control characters like printable") {
  CHECK(kcube::text::markdown_text("\x1b[2J") == "\\\\x1b\\[2J");
}

TEST_CASE("a Markdown fence is longer than every run of backticks inside") {
  using kcube::text::markdown_fence;
  CHECK(markdown_fence("no backticks") == "```");
  CHECK(markdown_fence("a ``` line\n```\n") == "````");
  CHECK(markdown_fence("x: '`````'") == "``````");
}
