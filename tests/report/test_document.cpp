// The report's navigation (issue 19): the HTML table of contents lists the level-2 and level-3
// headings and, under them, the anchored table rows and figure groups; every link of it resolves
// to an element; each level-2 section ends with a link back to the top; tables scroll in their
// own box; the Markdown has a plain table of contents of the level-2 headings with GitHub's
// anchors.
#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <string>

#include "report/document.hpp"
#include "temp_dir.hpp"

namespace {

// Every value of `attribute`="..." in `html`.
std::set<std::string> attribute_values(const std::string& html, const std::string& attribute) {
  std::set<std::string> values;
  const std::regex pattern(" " + attribute + "=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), pattern);
       it != std::sregex_iterator(); ++it)
    values.insert((*it)[1]);
  return values;
}

kcube::report::Document navigation_document() {
  kcube::report::Document doc;
  doc.heading(1, "Report");
  doc.paragraph("Summary.");
  doc.heading(2, "Recommendation");
  doc.heading(3, "Recommendation for scenario balanced");
  kcube::report::DocTable t;
  t.header = {"profile", "k"};
  t.rows = {{"GPT-5", "20"}, {"o3 / majority-vote", "8"}};
  t.row_anchors = {"GPT-5", "o3 / majority-vote"};
  doc.table(t);
  doc.heading(2, "Figures");
  doc.heading(3, "Figures: scenario balanced");
  doc.figures("GPT-5", {});
  doc.heading(2, "Provenance");
  return doc;
}

}  // namespace

TEST_CASE("report HTML: the table of contents names every section, row and figure group") {
  kcube::test::TempDir dir;
  const std::string html = navigation_document().html("T", dir.path());
  const auto ids = attribute_values(html, "id");
  const auto toc = html.substr(html.find("<nav"), html.find("</nav>") - html.find("<nav"));
  std::set<std::string> toc_links;
  for (const auto& href : attribute_values(toc, "href"))
    toc_links.insert(href.substr(1));
  // Sections, the two anchored rows, the figure group: 7 entries, each an element of the page.
  CHECK(toc_links == std::set<std::string>{"recommendation", "recommendation-for-scenario-balanced",
                                           "recommendation-for-scenario-balanced-gpt-5",
                                           "recommendation-for-scenario-balanced-o3-majority-vote",
                                           "figures", "figures-scenario-balanced",
                                           "figures-scenario-balanced-gpt-5", "provenance"});
  for (const auto& href : attribute_values(html, "href")) {
    REQUIRE(href.front() == '#');
    CHECK_MESSAGE(ids.count(href.substr(1)) == 1, "no element with id " << href);
  }
  CHECK(html.find("<tr id=\"recommendation-for-scenario-balanced-gpt-5\">") != std::string::npos);
  // The rows are nested under their heading's entry, which is under its section's.
  CHECK(toc.find("<li><a href=\"#recommendation-for-scenario-balanced\">Recommendation for "
                 "scenario balanced</a><ul><li><a "
                 "href=\"#recommendation-for-scenario-balanced-gpt-5\">GPT-5</a>") !=
        std::string::npos);
  // Back to the top after each of the three sections, the target at the top of the text.
  std::size_t back = 0;
  for (auto at = html.find("href=\"#top\""); at != std::string::npos;
       at = html.find("href=\"#top\"", at + 1))
    ++back;
  CHECK(back == 3);
  CHECK(html.find("<main>\n<div id=\"top\"></div>") != std::string::npos);
  // Wide tables scroll inside their own box.
  CHECK(html.find("<div class=\"scroll\"><table>") != std::string::npos);
}

TEST_CASE("report Markdown: a plain table of contents with GitHub's heading anchors") {
  const std::string md = navigation_document().markdown();
  CHECK(md.find("**Contents**\n\n- [Recommendation](#recommendation)\n- [Figures](#figures)\n"
                "- [Provenance](#provenance)\n\n## Recommendation") != std::string::npos);
  // Before the first section, after the title and summary.
  CHECK(md.find("Summary.") < md.find("**Contents**"));
  CHECK(kcube::report::github_anchor("Figures: scenario balanced at k_max=16") ==
        "figures-scenario-balanced-at-k_max16");
  CHECK(kcube::report::github_anchor("Sweep: Scenario A-b") == "sweep-scenario-a-b");
}

TEST_CASE("report Markdown: repeated headings get GitHub's numbered anchors") {
  kcube::report::Document doc;
  doc.heading(2, "Notes");
  doc.heading(3, "Notes");
  doc.heading(2, "Notes");
  const std::string md = doc.markdown();
  CHECK(md.find("- [Notes](#notes)\n- [Notes](#notes-2)\n") != std::string::npos);
}
