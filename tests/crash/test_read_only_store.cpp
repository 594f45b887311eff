// ResultStore::open_read_only: reads a store without writing it, sees what a writer still open
// has committed, and refuses writes and stores it cannot read as they are, with clear messages.
// (Permissions are the business of read_only.sh, which runs as an unprivileged user.)
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "kcube/error.hpp"
#include "message_of.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

namespace {

using kcube::CellResult;
using kcube::ResultStore;
using kcube::test::message_of;

kcube::RunContext context() {
  kcube::RunContext c = kcube::capture_run_context("Release");
  c.experiment = "demo";
  c.manifest_text = "experiment: demo\n";
  c.manifest_sha256 = "abc";
  c.evaluator = kcube::Evaluator::exact;
  c.cell_count = 2;
  return c;
}

CellResult cell(std::string profile) {
  CellResult c;
  c.profile = std::move(profile);
  c.scenario = "tight";
  c.position = 0;
  c.candidates.rows = {{1, 0.25, 1.0, 0.5}, {2, 0.5, 2.0, 0.75}};
  kcube::SelectionRecord r;
  r.optimizer = r.spec = "accuracy-max";
  r.status = kcube::SelectionStatus::selected;
  r.k = 2;
  r.cost = 0.5;
  r.latency = 2.0;
  r.accuracy = r.score = 0.75;
  r.reason = "highest accuracy";
  c.selections = {{"accuracy-max", r}};
  return c;
}

std::string selections_csv(ResultStore& store) {
  std::ostringstream out;
  store.export_table(out, kcube::Table::selections, std::nullopt, kcube::Format::csv);
  return out.str();
}

}  // namespace

TEST_CASE("a store opened read-only reads a writer's committed cells and refuses to write") {
  kcube::test::TempDir dir;
  const std::string path = (dir.path() / "s.sqlite").string();
  ResultStore writer = ResultStore::open(path);
  const auto run = writer.begin_run(context());
  writer.write_cell(run, cell("a"));
  // The writer is still open: its cell is in the -wal file, which the reader reads.
  ResultStore reader = ResultStore::open_read_only(path);
  REQUIRE(reader.runs().size() == 1);
  CHECK(reader.runs()[0].cells_finished == 1);
  CHECK(selections_csv(reader) == selections_csv(writer));
  CHECK(reader.load_run(run).cells.size() == 1);
  const std::string refused =
      message_of<kcube::RuntimeFailure>([&] { reader.write_cell(run, cell("b")); });
  CHECK(refused.find("results store '" + path + "'") != std::string::npos);
  CHECK(refused.find("read-only") != std::string::npos);
  // The writer goes on; a reader opened later sees its new cell.
  writer.write_cell(run, cell("b"));
  writer.finish_run(run, kcube::RunStatus::finished);
  CHECK(ResultStore::open_read_only(path).runs()[0].cells_finished == 2);
}

TEST_CASE("open_read_only refuses what it cannot read as it is, naming the path") {
  kcube::test::TempDir dir;
  const std::string missing = (dir.path() / "none.sqlite").string();
  CHECK(message_of<kcube::Error>([&] {
          ResultStore::open_read_only(missing);
        }).find("no results store at '" + missing + "'") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(missing));

  const std::string text = (dir.path() / "notes.txt").string();
  std::ofstream(text) << "not a database, long enough to be read as one and refused as such\n";
  CHECK(message_of<kcube::Error>([&] {
          ResultStore::open_read_only(text);
        }).find("'" + text + "' is not a kcube results store") != std::string::npos);

  const std::string empty = (dir.path() / "empty.sqlite").string();
  std::ofstream(empty).close();
  CHECK(message_of<kcube::Error>([&] {
          ResultStore::open_read_only(empty);
        }).find("results store '" + empty + "' has no runs yet") != std::string::npos);
  CHECK(std::filesystem::file_size(empty) == 0);
}
