// Reading candidate tables from CSV: what is accepted, and where and how each mistake is reported.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "kcube/candidate_csv.hpp"
#include "kcube/error.hpp"

namespace {

using kcube::CandidateTable;

CandidateTable read(const std::string& text) {
  std::istringstream in(text);
  return kcube::read_candidate_csv(in, "cands.csv");
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// True when `line` reads "cands.csv:<line>: <what>; <fix>" with a non-empty what and fix.
bool is_located_message(const std::string& line) {
  const std::string prefix = "cands.csv:";
  if (!line.starts_with(prefix) || line.find('\r') != std::string::npos)
    return false;
  std::size_t i = prefix.size();
  const std::size_t digits_begin = i;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9')
    ++i;
  if (i == digits_begin || line.compare(i, 2, ": ") != 0)
    return false;
  const std::size_t what = i + 2;
  const std::size_t separator = line.find("; ", what);
  return separator != std::string::npos && separator > what && separator + 2 < line.size();
}

// True when `line` reads "... and <N> more error(s)", or says where and why reading stopped
// ("... and <N> more errors; reading stopped before line <L>, <why>", "... reading stopped ...").
bool is_overflow_count(const std::string& line) {
  return (line.starts_with("... and ") &&
          (line.ends_with(" more errors") || line.ends_with(" more error") ||
           contains(line, " more errors; reading stopped before line "))) ||
         line.starts_with("... reading stopped before line ");
}

// The lines of the kcube::Error that reading `text` throws; fails the test when none is thrown.
// Every line but a final "... and N more errors" must read "cands.csv:<line>: <what>; <fix>".
std::vector<std::string> errors_of(const std::string& text) {
  std::vector<std::string> lines;
  try {
    read(text);
    FAIL_CHECK("no kcube::Error for input:\n" << text);
    return lines;
  } catch (const kcube::Error& e) {
    std::istringstream message(e.what());
    for (std::string line; std::getline(message, line);)
      lines.push_back(line);
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    INFO("message line: " << lines[i]);
    const bool last = i + 1 == lines.size();
    CHECK((is_located_message(lines[i]) || (last && is_overflow_count(lines[i]))));
  }
  return lines;
}

// Reading `text` fails with exactly one error, on physical line `line`, whose text holds `what`.
void check_single_error(const std::string& text, int line, const std::string& what) {
  const std::vector<std::string> errors = errors_of(text);
  REQUIRE(errors.size() == 1);
  INFO("error: " << errors[0]);
  CHECK(errors[0].starts_with("cands.csv:" + std::to_string(line) + ": "));
  CHECK(contains(errors[0], what));
}

const std::string header = "k,cost,latency,accuracy\n";

const std::string simulate_header =
    "k,cost,latency,accuracy,cost_std,latency_std,accuracy_std,cost_se,latency_se,accuracy_se,"
    "cost_p025,cost_p975,latency_p025,latency_p975,accuracy_p025,accuracy_p975,trials\n";

}  // namespace

// ---- Accepted input ----------------------------------------------------------------------

TEST_CASE("rows and columns in any order come back sorted by k, columns permuted alike") {
  const std::string text =
      "\xEF\xBB\xBF# measured on the eval set\r\n"
      "\r\n"
      "latency, accuracy ,k,\"cost\",cost_p95\r\n"
      "   # a comment between rows\r\n"
      "2.5,0.80,4,0.008,0.011\r\n"
      " \t \r\n"
      "1.5,\"0.71\",1,0.002,0.003\r\n"
      "\t2.0 , 0.77,2, \" 0.004\" ,0.006\r\n";
  const CandidateTable table = read(text);
  REQUIRE(table.rows.size() == 3);
  CHECK(table.rows[0].k == 1);
  CHECK(table.rows[0].cost == 0.002);
  CHECK(table.rows[0].latency == 1.5);
  CHECK(table.rows[0].accuracy == 0.71);
  CHECK(table.rows[1].k == 2);
  CHECK(table.rows[1].cost == 0.004);
  CHECK(table.rows[1].latency == 2.0);
  CHECK(table.rows[1].accuracy == 0.77);
  CHECK(table.rows[2].k == 4);
  CHECK(table.rows[2].cost == 0.008);
  CHECK(table.rows[2].latency == 2.5);
  CHECK(table.rows[2].accuracy == 0.80);
  REQUIRE(table.columns.size() == 1);
  REQUIRE(table.column("cost_p95") != nullptr);
  CHECK(*table.column("cost_p95") == std::vector<double>{0.003, 0.006, 0.011});
}

TEST_CASE("run.bootstrap's interval columns (<metric>_lo, <metric>_hi) are read") {
  const CandidateTable table = read(
      "k,cost,latency,accuracy,accuracy_lo,accuracy_hi,cost_lo,cost_hi\n"
      "2,0.2,1,0.5,0.4,0.6,0.19,0.21\n"
      "1,0.1,1,0.3,0.2,0.4,0.09,0.11\n");
  REQUIRE(table.columns.size() == 4);
  CHECK(*table.column("accuracy_lo") == std::vector<double>{0.2, 0.4});
  CHECK(*table.column("cost_hi") == std::vector<double>{0.11, 0.21});
  // A bound of an accuracy is an accuracy.
  CHECK_THROWS_WITH_AS(read("k,cost,latency,accuracy,accuracy_hi\n1,0.1,1,0.3,1.5\n"),
                       doctest::Contains("accuracy_hi = 1.5 is outside [0, 1]"), kcube::Error);
}

TEST_CASE("a quoted header name keeps its commas and doubled quotes") {
  // Five columns, not six: the comma inside the quotes does not split (a sixth would make the
  // row's five fields an error).
  std::vector<std::string> notes;
  std::istringstream in("k,cost,latency,accuracy,\"my \"\"odd\"\", name\"\n1,0.1,1,0.5,x\n");
  CHECK(kcube::read_candidate_csv(in, "cands.csv", &notes).rows.size() == 1);
  REQUIRE(notes.size() == 1);
  CHECK(contains(notes[0], "cands.csv:1: ignoring the column 'my \"odd\", name'"));
}

TEST_CASE("columns kcube does not read (model, notes) are ignored and named in a note") {
  std::vector<std::string> notes;
  std::istringstream in(
      "model,k,cost,latency,accuracy,notes,trails\n"
      "gpt,4,0.1,10,0.9,first try,9\n"
      "gpt,8,0.2,20,0.95,,9\n");
  const CandidateTable table = kcube::read_candidate_csv(in, "cands.csv", &notes);
  REQUIRE(table.rows.size() == 2);
  CHECK(table.rows[1].k == 8);
  CHECK(table.rows[1].accuracy == 0.95);
  CHECK(table.columns.empty());
  REQUIRE(notes.size() == 1);
  CHECK(contains(notes[0],
                 "cands.csv:1: ignoring the columns 'model', 'notes', 'trails' (did "
                 "you mean 'trials'?), which kcube does not read"));
  // No "did you mean 'k'" for an id column beside k.
  std::istringstream id("id,k,cost,latency,accuracy\n7,1,0.1,1,0.5\n");
  kcube::read_candidate_csv(id, "cands.csv", &notes);
  REQUIRE(notes.size() == 1);
  CHECK(contains(notes[0], "ignoring the column 'id', which"));
  // A file with only known columns has no note.
  std::istringstream plain(header + "1,0.1,1,0.5\n");
  kcube::read_candidate_csv(plain, "cands.csv", &notes);
  CHECK(notes.empty());
}

TEST_CASE("a tab-separated file is read as TSV, empty fields included") {
  std::vector<std::string> notes;
  std::istringstream in(
      "k\tcost\tlatency\taccuracy\tcost_std\tmodel\n"
      "4\t0.1\t10\t0.9\t\tgpt, large\n"
      " 8 \t0.2\t20\t0.95\t\tgpt\n");
  const CandidateTable table = kcube::read_candidate_csv(in, "cands.tsv", &notes);
  REQUIRE(table.rows.size() == 2);
  CHECK(table.rows[0].cost == 0.1);
  CHECK(table.rows[1].k == 8);
  CHECK(table.rows[1].latency == 20.0);
  CHECK(table.column("cost_std") == nullptr);  // empty in every row: dropped
  REQUIRE(notes.size() == 1);
  CHECK(contains(notes[0], "'model'"));
  // A TSV row with the wrong number of fields is reported like a CSV one.
  check_single_error("k\tcost\tlatency\taccuracy\n1\t0.1\t1\n", 2,
                     "the row has 3 fields but the header (line 1) has 4");
}

TEST_CASE("a header in one column split at semicolons says which delimiters kcube reads") {
  check_single_error("k;cost;latency;accuracy\n1;0,1;1;0,5\n", 1,
                     "the header is one column 'k;cost;latency;accuracy': kcube splits fields "
                     "at commas, or at tabs");
}

TEST_CASE("a metric named with its unit gets the metric's name and kcube's unit") {
  check_single_error("k,cost_usd,latency,accuracy\n1,0.1,1,0.5\n", 1,
                     "unknown column 2 'cost_usd' (did you mean 'cost'? cost is in USD per "
                     "request: name the column 'cost')");
  check_single_error("k,cost,latency_s,accuracy\n1,0.1,1,0.5\n", 1,
                     "unknown column 3 'latency_s' (did you mean 'latency'? latency is in "
                     "seconds per request: name the column 'latency')");
  check_single_error("k,cost,latency_ms,accuracy\n1,0.1,1,0.5\n", 1,
                     "(did you mean 'latency'? latency is in seconds per request: divide by 1000 "
                     "and name the column 'latency')");
  check_single_error("k,cost,latency,accuracy_pct\n1,0.1,1,50\n", 1,
                     "divide by 100 and name the column 'accuracy'");
  // Never the unrelated cost_std, which an edit distance alone would offer.
  const std::vector<std::string> errors = errors_of("k,cost_usd,latency_s,accuracy\n1,0.1,1,0.5\n");
  for (const auto& error : errors)
    CHECK_FALSE(contains(error, "'cost_std'"));
}

TEST_CASE("a leading plus, a whole k written as a decimal and -0 are accepted") {
  const CandidateTable table = read(header + "+3.0,-0,+1e-1,1\n1e0,0.5,0.25,0\n");
  REQUIRE(table.rows.size() == 2);
  CHECK(table.rows[0].k == 1);
  CHECK(table.rows[1].k == 3);
  CHECK(table.rows[1].cost == 0.0);
  CHECK_FALSE(std::signbit(table.rows[1].cost));
  CHECK(table.rows[1].latency == 0.1);
  CHECK(table.rows[1].accuracy == 1.0);
}

TEST_CASE("exact simulate output: spread columns empty in every row are dropped") {
  const std::string text = simulate_header +
                           "2,0.004,2,0.77,,,,,,,,,,,,,0\n"
                           "1,0.002,1.5,0.71,,,,,,,,,,,,,0\n";
  const CandidateTable table = read(text);
  REQUIRE(table.rows.size() == 2);
  CHECK(table.rows[0].k == 1);
  CHECK(table.rows[1].k == 2);
  // trials is 0, not empty, so it stays; every spread column is gone.
  REQUIRE(table.columns.size() == 1);
  REQUIRE(table.column("trials") != nullptr);
  CHECK(*table.column("trials") == std::vector<double>{0.0, 0.0});
  CHECK(table.column("cost_std") == nullptr);
  CHECK(table.column("accuracy_p975") == nullptr);
}

TEST_CASE("Monte Carlo simulate output keeps every spread column, in k order") {
  const std::string text = simulate_header +
                           "3,0.006,2.4,0.80,0.003,0.3,0.4,3e-05,0.003,0.004,"
                           "0.002,0.012,1.9,3.0,0.0,1.0,10000\n"
                           "1,0.002,1.5,0.71,0.001,0.1,0.45,1e-05,0.001,0.0045,"
                           "0.001,0.004,1.3,1.8,0.0,1.0,10000\n";
  const CandidateTable table = read(text);
  REQUIRE(table.rows.size() == 2);
  CHECK(table.rows[0].k == 1);
  CHECK(table.rows[1].k == 3);
  CHECK(table.columns.size() == 13);
  REQUIRE(table.column("cost_std") != nullptr);
  CHECK(*table.column("cost_std") == std::vector<double>{0.001, 0.003});
  REQUIRE(table.column("latency_p975") != nullptr);
  CHECK(*table.column("latency_p975") == std::vector<double>{1.8, 3.0});
  REQUIRE(table.column("accuracy_se") != nullptr);
  CHECK(*table.column("accuracy_se") == std::vector<double>{0.0045, 0.004});
  REQUIRE(table.column("trials") != nullptr);
  CHECK(*table.column("trials") == std::vector<double>{10000.0, 10000.0});
}

// ---- The header ----------------------------------------------------------------------------

TEST_CASE("a missing required column is reported at the header line") {
  check_single_error("# comment\n\nk,cost,accuracy\n1,0.1,0.5\n", 3,
                     "the header lacks the required column 'latency'; ");
}

TEST_CASE("several missing columns are named in one message") {
  check_single_error("k,accuracy\n1,0.5\n", 1,
                     "the header lacks the required columns 'cost', 'latency'; ");
}

TEST_CASE("an unknown column gets a did-you-mean and the accepted names") {
  const std::string text = "k,cost,latency,acuracy\n1,0.1,1,0.5\n";
  // One message: the typo, not also "accuracy is missing".
  check_single_error(text, 1, "unknown column 4 'acuracy' (did you mean 'accuracy'?); accepted");
  check_single_error("k,cost,latency,accuracy,cost_sd\n1,0.1,1,0.5,0\n", 1,
                     "'cost_sd' (did you mean 'cost_std'?)");
}

TEST_CASE("a quantile suffix with the wrong number of digits explains the rule") {
  check_single_error("k,cost,latency,accuracy,cost_p5\n1,0.1,1,0.5,0.1\n", 1,
                     "unknown column 5 'cost_p5' (a quantile suffix has two or three digits");
}

TEST_CASE("a duplicate header column is reported with both positions") {
  check_single_error("k,cost,latency,accuracy,cost\n1,0.1,1,0.5,0.2\n", 1,
                     "column 'cost' appears twice (columns 2 and 5)");
}

TEST_CASE("two names for the same quantile are a duplicate") {
  check_single_error("k,cost,latency,accuracy,cost_p50,cost_p500\n1,0.1,1,0.5,0.1,0.1\n", 1,
                     "column 6 'cost_p500' is the same quantile as column 5 'cost_p50'");
}

TEST_CASE("a header column without a name is reported") {
  check_single_error("k,cost,latency,accuracy,\n1,0.1,1,0.5,\n", 1, "column 5 has no name");
}

TEST_CASE("a first line of numbers is reported as a missing header, not as unknown columns") {
  check_single_error("# no header\n1,0.1,1,0.5\n2,0.2,1,0.6\n", 2,
                     "the first line holds numbers, not column names");
}

// ---- Values ------------------------------------------------------------------------------

TEST_CASE("a non-numeric value is reported on its line") {
  check_single_error(header + "1,0.1,1,0.5\n2,abc,1,0.6\n", 3, "cost 'abc' is not a number");
  check_single_error(header + "1,0.1 USD,1,0.5\n", 2, "cost '0.1 USD' is not a number");
  check_single_error(header + "1,0.1,1,85%\n", 2, "accuracy '85%' is not a number");
}

TEST_CASE("NaN is rejected in any spelling") {
  check_single_error(header + "1,nan,1,0.5\n", 2, "NaN is not a valid cost; ");
  check_single_error(header + "1,0.1,NaN,0.5\n", 2, "NaN is not a valid latency; ");
}

TEST_CASE("infinities are rejected") {
  check_single_error(header + "1,0.1,inf,0.5\n", 2, "infinity ('inf') is not a valid latency");
  check_single_error(header + "1,-Infinity,1,0.5\n", 2,
                     "infinity ('-Infinity') is not a valid cost");
}

TEST_CASE("a value beyond the range of a double is rejected") {
  check_single_error(header + "1,1e999,1,0.5\n", 2, "cost '1e999' is out of the range of a double");
}

TEST_CASE("k must be a whole number of at least 1") {
  check_single_error(header + "0,0.1,1,0.5\n", 2, "k = 0 is less than 1; k counts samples");
  check_single_error(header + "2.5,0.1,1,0.5\n", 2, "k = 2.5 is not a whole number; ");
  check_single_error(header + "-3,0.1,1,0.5\n", 2, "k = -3 is less than 1");
  check_single_error(header + "3e9,0.1,1,0.5\n", 2, "k = 3e9 is too large");
}

TEST_CASE("cost and latency must not be negative") {
  check_single_error(header + "1,-0.5,1,0.5\n", 2, "cost = -0.5 is negative; cost is USD");
  check_single_error(header + "1,0.5,-1,0.5\n", 2, "latency = -1 is negative; latency is seconds");
}

TEST_CASE("accuracy must lie in [0, 1]") {
  check_single_error(header + "1,0.1,1,1.2\n", 2, "accuracy = 1.2 is outside [0, 1]; ");
  check_single_error(header + "1,0.1,1,-0.1\n", 2, "accuracy = -0.1 is outside [0, 1]; ");
}

TEST_CASE("a required value may not be empty") {
  check_single_error(header + "1,,1,0.5\n", 2, "cost is empty; ");
}

TEST_CASE("optional columns are checked by kind") {
  const std::string text =
      "k,cost,latency,accuracy,cost_std,latency_se,accuracy_p95,cost_p05,trials\n"
      "1,0.1,1,0.5,-1,0,0.5,0.1,10\n"
      "2,0.1,1,0.5,0,-0.2,0.5,0.1,10\n"
      "3,0.1,1,0.5,0,0,1.5,0.1,10\n"
      "4,0.1,1,0.5,0,0,0.5,-0.1,10\n"
      "5,0.1,1,0.5,0,0,0.5,0.1,2.5\n"
      "6,0.1,1,0.5,0,0,0.5,0.1,-1\n";
  const std::vector<std::string> errors = errors_of(text);
  REQUIRE(errors.size() == 6);
  CHECK(contains(errors[0],
                 "cands.csv:2: cost_std = -1 is negative; cost_std is a standard "
                 "deviation"));
  CHECK(contains(errors[1],
                 "cands.csv:3: latency_se = -0.2 is negative; latency_se is a "
                 "standard error"));
  CHECK(contains(errors[2], "cands.csv:4: accuracy_p95 = 1.5 is outside [0, 1]; "));
  CHECK(contains(errors[3], "cands.csv:5: cost_p05 = -0.1 is negative; "));
  CHECK(contains(errors[4], "cands.csv:6: trials = 2.5 is not a whole number; "));
  CHECK(contains(errors[5], "cands.csv:7: trials = -1 is negative; "));
}

TEST_CASE("quantiles of one metric that decrease with their level are reported") {
  check_single_error(
      "k,cost,latency,accuracy,cost_p975,cost_p025\n1,0.1,1,0.5,0.2,0.05\n2,0.2,1,0.6,0.1,0.3\n", 3,
      "cost_p025 = 0.3 is above cost_p975 = 0.1; ");
}

// ---- Rows ----------------------------------------------------------------------------------

TEST_CASE("a duplicate k names both lines") {
  check_single_error(header + "1,0.1,1,0.5\n2,0.2,1,0.6\n\n1,0.3,1,0.7\n", 5,
                     "k = 1 appears again (first on line 2); ");
}

TEST_CASE("a row with the wrong number of fields is reported") {
  check_single_error("# c\n" + header + "1,0.1,1,0.5\n2,0.2,1\n", 4,
                     "the row has 3 fields but the header (line 2) has 4; ");
  check_single_error(header + "1,0.1,1,0.5,\n", 2,
                     "the row has 5 fields but the header (line 1) has 4; ");
}

TEST_CASE("an optional column empty in some rows only is an error at its first gap") {
  const std::string text =
      "k,cost,latency,accuracy,cost_std\n"
      "1,0.1,1,0.5,0.01\n"
      "2,0.2,1,0.6,\n"
      "3,0.3,1,0.7,0.03\n"
      "4,0.4,1,0.8,\n";
  check_single_error(text, 3,
                     "cost_std is empty here and on 1 more row, but line 2 has a value; an "
                     "optional column must have a value in every row, or be empty in every row");
}

TEST_CASE("an unterminated quote is reported on its line") {
  check_single_error(header + "1,0.1,1,0.5\n2,\"0.2,1,0.6\n3,0.3,1,0.7\n", 3,
                     "field 2 opens a quote that is never closed; ");
}

TEST_CASE("text after a closing quote is reported") {
  check_single_error(header + "1,\"0.1\"x,1,0.5\n", 2, "field 2 has text after its closing quote");
}

TEST_CASE("a header without rows is an error") {
  check_single_error("# only a header\n" + header + "# and a comment\n\n", 2,
                     "the header is not followed by any data row; ");
}

TEST_CASE("empty input is an error") {
  check_single_error("", 1, "the input is empty; the first line must name the columns");
  check_single_error("\xEF\xBB\xBF", 1, "the input is empty; ");
  check_single_error(" \t\r\n\n", 2, "the input is empty; ");
  check_single_error("# a\n\n# b\n", 3, "the input holds only comments and blank lines; ");
}

// ---- Reporting -----------------------------------------------------------------------------

TEST_CASE("all errors of a file are reported at once, in line order, with CRLF line numbers") {
  const std::string text =
      "k,cost,latency,acuracy,cost_std\r\n"  // 1: unknown column
      "1,0.1,1,0.5,\r\n"                     // 2: cost_std empty here...
      "2,x,1,0.6,0.02\r\n"                   // 3: ...but set here; cost not a number
      "\r\n"                                 // 4
      "2,0.2,1\r\n"                          // 5: ragged
      "2,0.2,-1,0.6,0.02\r\n";               // 6: latency negative; k = 2 again
  const std::vector<std::string> errors = errors_of(text);
  REQUIRE(errors.size() == 6);
  CHECK(errors[0].starts_with("cands.csv:1: unknown column 4 'acuracy'"));
  CHECK(errors[1].starts_with("cands.csv:2: cost_std is empty here, but line 3 has a value"));
  CHECK(errors[2].starts_with("cands.csv:3: cost 'x' is not a number"));
  CHECK(errors[3].starts_with("cands.csv:5: the row has 3 fields"));
  CHECK(errors[4].starts_with("cands.csv:6: latency = -1 is negative"));
  CHECK(errors[5].starts_with("cands.csv:6: k = 2 appears again (first on line 3)"));
}

TEST_CASE("more than 20 errors are listed up to 20, then counted") {
  std::string text = header;
  for (int k = 1; k <= 25; ++k)
    text += std::to_string(k) + ",-1,1,0.5\n";
  const std::vector<std::string> errors = errors_of(text);
  REQUIRE(errors.size() == 21);
  CHECK(errors[0].starts_with("cands.csv:2: cost = -1 is negative"));
  CHECK(errors[19].starts_with("cands.csv:21: cost = -1 is negative"));
  CHECK(errors[20] == "... and 5 more errors");
}

TEST_CASE("exactly one error past the cap is counted in the singular") {
  std::string text = header;
  for (int k = 1; k <= 21; ++k)
    text += std::to_string(k) + ",-1,1,0.5\n";
  const std::vector<std::string> errors = errors_of(text);
  REQUIRE(errors.size() == 21);
  CHECK(errors[20] == "... and 1 more error");
}

TEST_CASE("a header of more than 4096 columns is one error, its fields not kept") {
  check_single_error(std::string(10000, ',') + "\n1,1,1,1\n", 1,
                     "the header has more than 4096 columns");
}

TEST_CASE("a row of more than 4096 fields is one error") {
  check_single_error(header + std::string(10000, ',') + "\n", 2,
                     "the row has more than 4096 fields but the header (line 1) has 4");
}

TEST_CASE("with 100,000 errors the first 20 in line order are listed, and reading stops at 1000") {
  // Line 2's gap is found at the end of what was read, after the rows' errors.
  std::string text = "k,cost,latency,accuracy,cost_std\n1,1,1,0.5,\n";
  for (int i = 0; i < 100000; ++i)
    text += "x,1,1,0.5,0.1\n";
  const std::vector<std::string> errors = errors_of(text);
  REQUIRE(errors.size() == 21);
  CHECK(errors[0].starts_with("cands.csv:2: cost_std is empty here, but line 3 has a value"));
  CHECK(errors[1].starts_with("cands.csv:3: k 'x' is not a number"));
  CHECK(errors[19].starts_with("cands.csv:21: k 'x' is not a number"));
  // Lines 3..1002 hold the 1000 errors that stop reading, then the gap: 1001 in all.
  CHECK(errors[20] ==
        "... and 981 more errors; reading stopped before line 1003, after 1000 errors");
}

namespace {

// A practically endless input: a header, then two million bad rows (a reader that reads all
// of them fails the test in seconds, where a truly endless stream would hang it); counts the rows
// it handed out.
class EndlessRows : public std::streambuf {
 public:
  EndlessRows(std::string first_line, std::string row)
      : header_(std::move(first_line)), row_(std::move(row)) {
    setg(header_.data(), header_.data(), header_.data() + header_.size());
  }
  std::size_t rows() const { return rows_; }

 protected:
  int_type underflow() override {
    if (rows_ == kRows)
      return traits_type::eof();
    ++rows_;
    setg(row_.data(), row_.data(), row_.data() + row_.size());
    return traits_type::to_int_type(row_.front());
  }

 private:
  static constexpr std::size_t kRows = 2000000;
  std::string header_, row_;
  std::size_t rows_ = 0;
};

}  // namespace

TEST_CASE("an endless stream of bad rows ends after 1000 errors, or 100,000 lines after one") {
  {
    EndlessRows rows("k,cost,latency,accuracy\n", "bad,row\n");
    std::istream in(&rows);
    std::string message;
    try {
      kcube::read_candidate_csv(in, "<stdin>");
    } catch (const kcube::Error& e) {
      message = e.what();
    }
    CHECK(contains(message, "<stdin>:2: the row has 2 fields"));
    CHECK(contains(message,
                   "\n... and 980 more errors; reading stopped before line 1002, after "
                   "1000 errors"));
    CHECK(rows.rows() <= 1002);
  }
  {
    // Without usable columns the rows have no errors of their own: reading ends 100,000 lines
    // after the header's errors.
    EndlessRows rows("bad,row\n", "bad,row\n");
    std::istream in(&rows);
    std::string message;
    try {
      kcube::read_candidate_csv(in, "<stdin>");
    } catch (const kcube::Error& e) {
      message = e.what();
    }
    CHECK(contains(message,
                   "<stdin>:1: the header lacks the required columns 'k', 'cost', "
                   "'latency', 'accuracy' (its other columns 'bad', 'row' are not read)"));
    CHECK(contains(message,
                   "\n... reading stopped before line 100002, 100000 lines after the "
                   "first error"));
    CHECK(rows.rows() <= 100001);
  }
}

// ---- Files ---------------------------------------------------------------------------------

// A fresh folder under the system temporary directory, removed with everything in it at scope
// exit (also when an assertion throws); unique so that concurrent test runs do not collide.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kcube-csv-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

TEST_CASE("a file is read from disk and named in messages") {
  const ScratchDir dir;
  const std::string good = dir.file("good.csv");
  const std::string bad = dir.file("bad.csv");
  std::ofstream(good) << header << "2,0.2,1,0.6\n1,0.1,1,0.5\n";
  std::ofstream(bad) << header << "1,0.1,1,1.5\n";

  const std::string expected = bad + ":2: accuracy = 1.5 is outside [0, 1]";
  const CandidateTable table = kcube::read_candidate_csv_file(good);
  REQUIRE(table.rows.size() == 2);
  CHECK(table.rows[0].k == 1);
  CHECK_THROWS_WITH_AS(kcube::read_candidate_csv_file(bad), doctest::Contains(expected.c_str()),
                       kcube::Error);
}

TEST_CASE("a file that cannot be opened is a kcube::Error with the reason") {
  CHECK_THROWS_WITH_AS(kcube::read_candidate_csv_file("/nonexistent-kcube-dir/cands.csv"),
                       "cannot open '/nonexistent-kcube-dir/cands.csv': No such file or directory",
                       kcube::Error);
  const std::string dir = std::filesystem::temp_directory_path().string();
  const std::string expected = "cannot open '" + dir + "': Is a directory";
  CHECK_THROWS_WITH_AS(kcube::read_candidate_csv_file(dir), expected.c_str(), kcube::Error);
}

TEST_CASE("'-' reads standard input and names it <stdin>") {
  // Restores std::cin even when an assertion throws.
  struct CinFrom {
    explicit CinFrom(std::istream& in) : saved(std::cin.rdbuf(in.rdbuf())) {}
    ~CinFrom() { std::cin.rdbuf(saved); }
    std::streambuf* saved;
  };
  {
    std::istringstream in(header + "1,0.1,1,0.5\n");
    const CinFrom redirect(in);
    const CandidateTable table = kcube::read_candidate_csv_file("-");
    REQUIRE(table.rows.size() == 1);
    CHECK(table.rows[0].accuracy == 0.5);
  }
  {
    std::istringstream in(header + "1,0.1,1,nan\n");
    const CinFrom redirect(in);
    CHECK_THROWS_WITH_AS(kcube::read_candidate_csv_file("-"),
                         doctest::Contains("<stdin>:2: NaN is not a valid accuracy; "),
                         kcube::Error);
  }
}
