#include "run/runner.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <sstream>
#include <utility>
#include <variant>

#include "engine/resources.hpp"
#include "host/plugin_call.hpp"
#include "kcube/error.hpp"
#include "manifest/overrides.hpp"
#include "run/cell.hpp"
#include "run/checks.hpp"
#include "run/resume.hpp"
#include "run/watchdog.hpp"
#include "util/text.hpp"

namespace kcube {
namespace {

// Everything a rank knows about a run before any cell runs: the same on every rank. Lives on the
// heap, and is never destroyed once work was abandoned (the abandoned thread may use it).
struct Work {
  PluginRegistry registry;
  // Made once per distinct parameter set, by the checks or the first cell (run/objects.hpp).
  std::optional<RunObjects> objects;
  Plan plan;
  RunIdentity identity;
  /// Bytes a cell may need at most.
  std::uint64_t memory_limit = 0;
  /// What the ranks compare before running (Team::check_same), one fact per line.
  std::string description;
  std::optional<Watchdog> watchdog;
  std::optional<CellRunner> runner;
};

// What every rank does first: discovers the plugins, reads the manifest and plans the cells.
// Nothing is written.
std::unique_ptr<Work> prepare(const RunRequest& request) {
  auto work = std::make_unique<Work>();
  work->registry = discover_for_manifest(request);
  work->objects.emplace(work->registry);
  // Everything is validated before the store is touched: a bad manifest creates no store.
  Manifest m =
      load_manifest(request.manifest, request.overrides, work->registry, request.max_cells);
  RunIdentity& identity = work->identity;
  identity.overrides = request.overrides;
  identity.canonical_overrides = canonical_override_values(m, request.overrides, work->registry);
  identity.threads = resolve_threads(request.threads.value_or(m.run.threads));
  check_threads_start(identity.threads, "lower --threads (or the manifest's run.threads)");
  work->memory_limit = request.memory_limit ? *request.memory_limit : default_memory_limit();
  identity.store_path = request.store.empty() ? m.store.string() : request.store;
  work->plan = plan_cells(std::move(m), request.shard);

  const Plan& plan = work->plan;
  std::ostringstream d;
  d << "kcube " << KCUBE_VERSION << "\n"
    << "manifest sha256 " << plan.manifest.sha256 << "\n"
    << "overrides " << canonical_overrides(identity.canonical_overrides) << "\n"
    << "shard " << (plan.shard.whole() ? std::string("none") : plan.shard.text()) << "\n"
    << "cells " << plan.cells.size() << "\n"
    << "options" << (request.resume ? " --resume" : "") << (request.fail_fast ? " --fail-fast" : "")
    << "\n";
  for (const PluginRecord& p : plugins_used(work->registry, plan.manifest))
    d << "plugin " << p.name << " " << p.kind << " version " << p.version << " sha256 " << p.sha256
      << "\n";
  work->description = d.str();
  work->watchdog.emplace(request.cell_timeout);
  return work;
}

}  // namespace

PluginRegistry discover_for_manifest(const RunRequest& request) {
  DiscoveryOptions discovery;
  for (const auto& path : request.plugin_paths)
    discovery.plugin_paths.emplace_back(path);
  for (const std::filesystem::path& entry : read_plugin_path(request.manifest))
    discovery.plugin_paths.push_back(entry);
  return PluginRegistry::discover(discovery);
}

[[noreturn]] void leave_process(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

RunReport run_experiment(const RunRequest& request, RunCallbacks& callbacks) {
  std::unique_ptr<Team> own_team;
  Team& team = callbacks.team != nullptr ? *callbacks.team : *(own_team = Team::join());
  const auto leave = [&](int code, const std::string& failure) {
    if (callbacks.leave)
      callbacks.leave(code, failure);
    else if (!failure.empty())
      std::cerr << Ending{1, failure}.line() << "\n";
    leave_process(code);
  };
  const auto stopped = [&] { return callbacks.stop != nullptr && callbacks.stop->load(); };

  // Every rank prepares the run itself; they stop together when any failed or they differ.
  std::unique_ptr<Work> work;
  std::exception_ptr failure;
  try {
    work = prepare(request);
  } catch (...) {
    failure = std::current_exception();
  }
  team.settle(failure);
  team.check_same(work->description);
  const Plan& plan = work->plan;
  const std::vector<Cell>& cells = plan.cells;
  Watchdog& watchdog = *work->watchdog;

  // Rank 0 alone checks the factories and opens the store; nothing is stored when they fail.
  std::optional<ResultStore> store;
  RunStart start;
  std::vector<std::size_t> pending;
  bool timed_out = false;
  if (team.leader()) {
    if (callbacks.on_planned)
      callbacks.on_planned(plan);
    try {
      const auto checked = watchdog.run(std::function<bool(WorkState&)>([&](WorkState& state) {
        check_factories(*work->objects, plan.manifest, plan.points, plan.point_manifests, state);
        check_memory(*work->objects, work->registry, plan.points, plan.point_manifests,
                     work->identity.threads, work->memory_limit, state);
        return true;
      }));
      if (const auto* late = std::get_if<TimedOut>(&checked)) {
        timed_out = true;
        throw RuntimeFailure("kcube run: timed out after " +
                             text::format_real(*watchdog.timeout()) + " s in " + late->where +
                             " while checking the plugins' parameters; nothing was run");
      }
      store.emplace(ResultStore::open(work->identity.store_path));
      work->identity.ranks = team.size();
      work->identity.hosts = team.hosts();
      start = begin_or_resume(*store, work->registry, plan, work->identity, request.resume,
                              request.allow_changed_plugins, callbacks.on_note);
      for (std::size_t c = 0; c < cells.size() && !start.finished; ++c) {
        if (plan.shard.has(cells[c].position) && start.done.count(cells[c].key) == 0)
          pending.push_back(c);
      }
    } catch (...) {
      failure = std::current_exception();
    }
  }
  // After a timed-out factory call, the abandoned call may still run plugin code.
  try {
    team.settle(failure);
  } catch (const TeamStop&) {
    if (!timed_out)
      throw;
    team.finish();  // rank 0 said why
    leave(1, "");
  } catch (...) {
    if (!timed_out)
      throw;
    const std::string why = current_exception_text();
    team.finish();
    leave(1, why);
  }

  RunReport report;
  report.store_path = work->identity.store_path;
  report.manifest = plan.manifest;
  report.points = plan.points;
  report.shard = plan.shard;
  report.plan_cells = cells.size();
  report.shard_cells = plan.shard_cells;
  report.run = start.run;
  report.done_before = start.done.size();
  report.ranks = team.size();
  const auto began = std::chrono::steady_clock::now();
  const auto seconds_since = [&began] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  };
  CellRunner& runner =
      work->runner.emplace(*work->objects, watchdog, work->identity.threads, callbacks.stop);
  const auto run_one = [&](std::size_t c) {
    const Cell& cell = cells[c];
    return runner.run(plan.point_manifests[cell.point], cell, plan.points[cell.point].label);
  };
  // Rank 0: stores a cell's results; false once fail_fast or the stop flag should stop the run.
  // A cell that failed after the stop flag (the engine stops at it) is not stored: it did not
  // fail.
  const auto store_one = [&](std::size_t c, CellResult&& result) {
    if (stopped() && result.status == CellStatus::error)
      return false;
    store_cell(*store, start.run, result);
    ++report.ran;
    if (result.status == CellStatus::error)
      ++report.failed;
    if (callbacks.on_cell) {
      callbacks.on_cell({cells[c], result, plan.shard_cells - pending.size() + report.ran,
                         plan.shard_cells, report.ran, pending.size(), seconds_since()});
    }
    if (cells[c].replication == 0 && cells[c].point == 0)
      report.first_cells.push_back(std::move(result));
    return !(request.fail_fast && report.failed > 0) && !stopped();
  };

  if (team.size() > 1) {
    report.shares = team.share_cells(pending, run_one, store_one);
    if (!team.leader()) {
      team.finish();
      if (watchdog.abandoned())
        leave(1, "");
      report.leader = false;
      return report;
    }
    report.hosts = team.hosts();
  } else {
    try {
      for (const std::size_t c : pending) {
        if (stopped() || !store_one(c, run_one(c)))
          break;
      }
    } catch (...) {
      if (!watchdog.abandoned())
        throw;
      // The store stays as it is (the run `running`, so resume continues it).
      const std::string why = current_exception_text();
      store.reset();
      leave(1, why);
    }
  }
  if (start.finished) {
    report.nothing_to_do = true;
    store.reset();
    team.finish();
    return report;
  }
  report.interrupted = stopped();
  store->finish_run(start.run, report.interrupted   ? RunStatus::interrupted
                               : report.failed == 0 ? RunStatus::finished
                                                    : RunStatus::failed);
  report.skipped = pending.size() - report.ran;
  report.seconds = seconds_since();
  store.reset();  // closed (and checkpointed) before the process may end
  team.finish();
  report.abandoned = watchdog.abandoned();
  if (report.abandoned)
    (void)work.release();  // the abandoned thread may still use it: never destroyed
  return report;
}

}  // namespace kcube
