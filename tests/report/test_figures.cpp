// The kinds of figure `kcube report --figures` accepts: lists, all, none, and the errors for a
// kind it does not know.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "kcube/error.hpp"
#include "report/report.hpp"

namespace {

using kcube::report::figure_kinds;
using kcube::report::parse_figure_kinds;

std::string error_of(const std::string& list) {
  try {
    parse_figure_kinds(list);
  } catch (const kcube::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("--figures: all is every kind, none is no kind, a list is its kinds") {
  const std::set<std::string> all(figure_kinds().begin(), figure_kinds().end());
  CHECK(all.size() == 7);
  CHECK(all.count("efficiency") == 1);
  CHECK(all.count("cost-latency") == 0);
  CHECK(parse_figure_kinds("all") == all);
  CHECK(parse_figure_kinds("none").empty());
  CHECK(parse_figure_kinds("fit") == std::set<std::string>{"fit"});
  CHECK(parse_figure_kinds("space, efficiency,space") ==
        std::set<std::string>{"space", "efficiency"});
  // The default options draw every kind.
  CHECK(kcube::report::PlotOptions{}.kinds == all);
}

TEST_CASE("--figures: an unknown or empty kind is an error naming it and the valid kinds") {
  const std::string typo = error_of("space,efficiency,acuracy");
  CAPTURE(typo);
  CHECK(typo.find("unknown figure kind 'acuracy' (did you mean 'accuracy'?)") != std::string::npos);
  CHECK(typo.find("the kinds are space, efficiency, accuracy, fronts, sweep, aggregators, fit") !=
        std::string::npos);
  const std::string removed = error_of("cost-latency");
  CHECK(removed.find("unknown figure kind 'cost-latency'") != std::string::npos);
  const std::string empty = error_of("space,,fit");
  CAPTURE(empty);
  CHECK(empty.find("an empty kind in 'space,,fit'") != std::string::npos);
  CHECK(error_of("") != "no error");
  CHECK(error_of("all,fit") != "no error");  // all and none stand alone
}
