#include "run/resume.hpp"

#include "kcube/error.hpp"
#include "run/builds.hpp"

namespace kcube {
namespace {

// True when run `r` is one of this manifest, its overrides (the canonical ones; or, for runs
// stored before overrides were canonical, the same text) and shard.
bool same_plan(const RunSummary& r, const Plan& plan, const RunIdentity& identity) {
  return r.manifest_sha256 == plan.manifest.sha256 &&
         (r.overrides == canonical_overrides(identity.canonical_overrides) ||
          r.overrides == canonical_overrides(identity.overrides)) &&
         r.shard_index == plan.shard.index && r.shard_count == plan.shard.count;
}

// --resume: takes over the newest unfinished run of the plan (interrupted, failed, or running
// while its process is gone or on another host, e.g. a job requeued on another node).
RunStart resume_run(ResultStore& store, const PluginRegistry& registry, const Plan& plan,
                    const RunIdentity& identity, bool allow_changed_plugins,
                    const std::function<void(const std::string&)>& note) {
  const Manifest& m = plan.manifest;
  const std::string where = "kcube run --resume: " + identity.store_path;
  // Another process may take the run between reading and taking it: then look again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto runs = store.runs();
    const RunSummary* unfinished = nullptr;
    const RunSummary* finished = nullptr;
    for (auto r = runs.rbegin(); r != runs.rend() && unfinished == nullptr; ++r) {
      if (!same_plan(*r, plan, identity))
        continue;
      if (r->status != RunStatus::finished)
        unfinished = &*r;
      else if (finished == nullptr)
        finished = &*r;
    }
    if (unfinished == nullptr && finished != nullptr)
      return {finished->id, true, {}};
    if (unfinished == nullptr) {
      throw Error(where + " holds no unfinished run of this manifest (sha256 " + m.sha256 + ")" +
                  (plan.shard.whole() ? "" : ", shard " + plan.shard.text() + ",") +
                  " with these --set overrides; run without --resume to start one");
    }
    const RunSummary& run = *unfinished;
    const std::string name = "run " + std::to_string(run.id);
    if (run.status == RunStatus::running && process_alive(run.writer)) {
      throw Error(where + ": " + name + " is being written by process " +
                  std::to_string(run.writer.pid) + " on this host (" + run.writer.host +
                  "); wait for it to end, or stop it (kill -INT " + std::to_string(run.writer.pid) +
                  " marks the run interrupted) and resume then; two processes never write one run");
    }
    // Monte Carlo cells of two engine versions in one run would be numbers of two generators;
    // no option allows it (exact runs do not depend on the engine, store.hpp).
    if (depends_on_engine(run.evaluator) && run.engine_version != kEngineVersion) {
      const auto known = store.engine_versions();
      throw Error(where + ": " + name + " was made by engine version " +
                  std::to_string(run.engine_version) + " (" +
                  engine_version_summary(run.engine_version, known) +
                  "), and this kcube's engine is version " + std::to_string(kEngineVersion) + " (" +
                  engine_version_summary(kEngineVersion, known) +
                  "): the Monte Carlo numbers of the two differ, and a resumed run would mix them. "
                  "Start a new run (the same command without --resume; " +
                  name + " stays in the store as it is), or resume with the kcube that made it");
    }
    const Builds recorded = latest_builds(store.load_run_cells(run.id).context);
    const Builds now{KCUBE_VERSION, plugins_used(registry, m)};
    const auto differences = build_differences(recorded, now);
    if (!differences.empty() && !allow_changed_plugins) {
      throw Error(where + ": " + name + " was made with other builds than this kcube has:" +
                  describe_differences(differences, name, "now") +
                  "\nResuming would mix Monte Carlo results of different builds in one run. Resume "
                  "with the builds the run used, start a new run (without --resume), or pass "
                  "--allow-changed-plugins to resume anyway (the run then records every build)");
    }
    const std::string change =
        differences.empty() ? "" : build_change_json(recorded, now, "kcube run --resume");
    if (store.take_over(run, this_process(), change)) {
      // A note, not an error: --allow-changed-plugins asked for it, and the run records it.
      if (!differences.empty() && note) {
        note(name + " goes on with other builds (--allow-changed-plugins), recorded with the run:" +
             describe_differences(differences, name, "now"));
      }
      return {run.id, false, store.finished_cells(run.id)};
    }
  }
  throw Error(where +
              ": other processes keep taking over the run being resumed; resume it from "
              "one process only");
}

}  // namespace

RunStart begin_or_resume(ResultStore& store, const PluginRegistry& registry, const Plan& plan,
                         const RunIdentity& identity, bool resume, bool allow_changed_plugins,
                         const std::function<void(const std::string&)>& note) {
  if (resume)
    return resume_run(store, registry, plan, identity, allow_changed_plugins, note);
  const Manifest& m = plan.manifest;
  RunContext context = capture_run_context(KCUBE_BUILD_TYPE);
  context.experiment = m.experiment;
  context.threads = identity.threads;
  context.seed = m.run.seed;
  context.manifest_text = stored_manifest_text(m);
  context.manifest_sha256 = m.sha256;
  context.overrides = identity.canonical_overrides;
  context.plugins = plugins_used(registry, m);
  context.evaluator = m.run.evaluator;
  if (m.run.evaluator != Evaluator::exact) {
    context.trials = m.run.trials;
    context.sampling = std::string(to_string(m.run.sampling));
  }
  context.replications = static_cast<int>(m.run.replications);
  context.cell_count = static_cast<std::int64_t>(plan.shard_cells);
  context.plan_cells = static_cast<std::int64_t>(plan.cells.size());
  context.shard_index = plan.shard.index;
  context.shard_count = plan.shard.count;
  context.ranks = identity.ranks;
  if (identity.hosts.size() > 1) {
    context.host.clear();
    for (const auto& h : identity.hosts)
      context.host += (context.host.empty() ? "" : ",") + h;
  }
  return {store.begin_run(context), false, {}};
}

}  // namespace kcube
