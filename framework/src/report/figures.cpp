#include "report/figures.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include <boost/dll/runtime_symbol_info.hpp>

#include "fit/fit_log.hpp"
#include "host/spec.hpp"
#include "kcube/error.hpp"
#include "kcube/geometry.hpp"
#include "util/json.hpp"
#include "util/subprocess.hpp"
#include "util/text.hpp"

namespace kcube::report {
namespace fs = std::filesystem;

const std::vector<std::string>& figure_kinds() {
  static const std::vector<std::string> kinds = {"space", "efficiency",  "accuracy", "fronts",
                                                 "sweep", "aggregators", "fit"};
  return kinds;
}

std::set<std::string> parse_figure_kinds(std::string_view list) {
  const std::vector<std::string>& valid = figure_kinds();
  if (list == "all")
    return {valid.begin(), valid.end()};
  if (list == "none")
    return {};
  std::set<std::string> kinds;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string kind(text::trim(list.substr(start, comma - start)));
    if (std::find(valid.begin(), valid.end(), kind) == valid.end())
      throw Error(
          "kcube report: --figures: " +
          (kind.empty() ? std::string("an empty kind in '") + std::string(list) + "'"
                        : "unknown figure kind '" + kind + "'" + text::did_you_mean(kind, valid)) +
          "; the kinds are " + text::join(valid, ", ") + " (comma-separated), or all, or none");
    kinds.insert(kind);
    start = comma + 1;
  }
  return kinds;
}

namespace {

// The store never holds non-finite values; a bound may be infinite (unbounded): Writer::real
// writes it as null.
void write_reals(json::Writer& w, const std::vector<double>& values) {
  w.begin_array();
  for (const double v : values)
    w.real(v);
  w.end_array();
}

void write_budget(json::Writer& w, const Budget& b) {
  w.begin_object().key("cost_max").real(b.cost_max).key("latency_max").real(b.latency_max);
  w.key("accuracy_min");
  b.accuracy_min > 0.0 ? w.real(b.accuracy_min) : w.null();
  w.end_object();
}

// The k, cost, latency, accuracy and feasibility columns of `t` as members of an open object.
void write_columns(json::Writer& w, const CandidateTable& t, const std::vector<bool>& feasible) {
  std::vector<double> cost, latency, accuracy;
  w.key("k").begin_array();
  for (const Candidate& c : t.rows) {
    w.integer(c.k);
    cost.push_back(c.cost);
    latency.push_back(c.latency);
    accuracy.push_back(c.accuracy);
  }
  write_reals(w.end_array().key("cost"), cost);
  write_reals(w.key("latency"), latency);
  write_reals(w.key("accuracy"), accuracy);
  w.key("feasible").begin_array();
  for (std::size_t i = 0; i < t.rows.size(); ++i)
    w.boolean(i < feasible.size() && feasible[i]);
  w.end_array();
}

void write_candidates(json::Writer& w, const CandidateTable& t, const std::vector<bool>& feasible,
                      const Budget& budget) {
  w.begin_object();
  write_columns(w, t, feasible);
  w.key("cube").begin_array();
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    if (i < feasible.size() && feasible[i])
      w.real(cube_volume(t.rows[i], budget));
    else
      w.null();
  }
  w.end_array();
  for (const char* column :
       {"accuracy_p025", "accuracy_p975", "accuracy_se", "cost_p025", "cost_p975", "cost_se",
        "latency_p025", "latency_p975", "latency_se"}) {
    if (const auto* values = t.column(column))
      write_reals(w.key(column), *values);
  }
  w.end_object();
}

void write_picks(json::Writer& w, const CellResult& cell) {
  w.begin_array();
  for (const auto& s : cell.selections) {
    if (!s.record.k || !s.record.cost)
      continue;
    w.begin_object().key("optimizer").string(s.name).key("k").integer(*s.record.k);
    w.key("cost").real(*s.record.cost).key("latency").real(*s.record.latency);
    w.key("accuracy").real(*s.record.accuracy).end_object();
  }
  w.end_array();
}

// The value of a sweep as a number, when all of them are numbers (for a numeric axis).
std::optional<std::vector<double>> numeric_values(const std::vector<std::string>& values) {
  std::vector<double> out;
  for (const auto& v : values) {
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(x))
      return std::nullopt;
    out.push_back(x);
  }
  return out;
}

// The "sweep" figure of one scenario against axis `a`: one series per (profile, rule, values
// of the other axes), with k, accuracy and cost at each value of the axis (null: no pick).
void write_sweep_figure(json::Writer& w, const SweepSummary& summary, std::size_t a,
                        const Index& index, const ProfileNames& names, const std::string& file,
                        const std::string& title) {
  std::vector<std::string> xs;
  std::vector<std::vector<std::string>> others;  // values of the other axes, in run order
  for (const auto& point : summary.points) {
    add_unique(xs, point.values[a]);
    std::vector<std::string> rest = point.values;
    rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(a));
    if (std::find(others.begin(), others.end(), rest) == others.end())
      others.push_back(std::move(rest));
  }
  w.begin_object().key("kind").string("sweep").key("output").string(file);
  w.key("title").string(title).key("parameter").string(summary.axes[a]);
  w.key("values").begin_array();
  for (const std::string& x : xs)
    w.string(x);
  w.end_array().key("x");
  if (const auto numeric = numeric_values(xs))
    write_reals(w, *numeric);
  else
    w.null();
  w.key("series").begin_array();
  for (const auto& profile : index.profiles) {
    for (const auto& optimizer : index.optimizers) {
      for (const auto& rest : others) {
        std::string label = names(profile) + ", " + optimizer;
        std::vector<std::string> where;
        for (std::size_t o = 0, r = 0; o < summary.axes.size(); ++o)
          if (o != a)
            where.push_back(summary.axes[o] + "=" + rest[r++]);
        if (!where.empty())
          label += " (" + text::join(where, ", ") + ")";
        std::vector<const SelectionRecord*> picks;
        for (const std::string& x : xs) {
          const SelectionRecord* r = nullptr;
          for (const auto& point : summary.points) {
            std::vector<std::string> point_rest = point.values;
            point_rest.erase(point_rest.begin() + static_cast<std::ptrdiff_t>(a));
            if (point.values[a] == x && point_rest == rest) {
              r = sweep_pick(index, summary.scenario, point.sweep, profile, optimizer);
              break;
            }
          }
          picks.push_back(r != nullptr && r->k && r->accuracy && r->cost ? r : nullptr);
        }
        w.begin_object().key("profile").string(profile).key("optimizer").string(optimizer);
        w.key("label").string(label).key("k").begin_array();
        for (const SelectionRecord* r : picks)
          r != nullptr ? w.integer(*r->k) : w.null();
        w.end_array().key("accuracy").begin_array();
        for (const SelectionRecord* r : picks)
          r != nullptr ? w.real(*r->accuracy) : w.null();
        w.end_array().key("cost").begin_array();
        for (const SelectionRecord* r : picks)
          r != nullptr ? w.real(*r->cost) : w.null();
        w.end_array().end_object();
      }
    }
  }
  w.end_array().end_object();
}

// The log of a profile made by the `samples` plugin: its `path` parameter in the canonical spec
// (an absolute path: the host resolves a path parameter against the manifest's folder); empty
// for any other plugin.
std::string sample_log_path(const std::string& profile_spec) {
  if (profile_spec.empty())
    return {};
  try {
    const PluginSpec spec = parse_spec(profile_spec);
    if (spec.name != "samples")
      return {};
    for (const RawParam& p : spec.params)
      if (p.key == "path")
        return p.value;
  } catch (const Error&) {
    // A spec the store holds was written by canonical_spec(): it parses. Should it not, the
    // profile simply gets no fit figure.
  }
  return {};
}

// The k to predict a log of `samples` samples per question at: the candidate k of the scenario
// past the log, and when fewer than two are (the scenario stops at the log's size), 1.5 and 2
// times the log's size, so that the figure shows where the fitted model leads. Not further: the
// fitted majority vote's cost grows fast with k (at 4 times a Game of 24 log's 100 samples one
// fit takes four times as long as at 2 times).
std::vector<int> fit_predictions(const CandidateTable& candidates, int samples) {
  std::vector<int> ks;
  for (const Candidate& c : candidates.rows)
    if (c.k > samples)
      ks.push_back(c.k);
  if (ks.size() < 2)
    for (const int k : {samples + (samples + 1) / 2, 2 * samples})
      if (ks.empty() || k > ks.back())
        ks.push_back(k);
  return ks;
}

// Bootstrap resamples and seed of the fit figures' prediction intervals: a band to show the
// spread of the prediction, not a precise interval (its ends are the 2.5 and 97.5 % quantiles of
// 40 values; `kcube fit --bootstrap` gives more); few enough that fitting the four shipped logs
// adds about 6 s to a report (each resample of a Game of 24 log is a fit of 0.05 s); fixed, so
// that a report is the same each time it is written.
constexpr int fit_bootstrap = 40;
constexpr std::uint64_t fit_seed = 42;

// The "fit" figure of one log: observed and fitted curves over the log's k, predictions past it.
void write_fit_figure(json::Writer& w, const fit::FitReport& r, const std::string& file,
                      const std::string& title) {
  w.begin_object().key("kind").string("fit").key("output").string(file);
  w.key("title").string(title).key("samples").integer(r.samples_min);
  w.key("model").string(std::string(fit::to_string(r.chosen_fit().kind)));
  const bool answers = r.wrong_answers.has_value();
  for (const bool observed : {true, false}) {
    w.key(observed ? "observed" : "fitted").begin_object().key("k").begin_array();
    for (const fit::CurvePoint& p : r.curve)
      w.integer(p.k);
    w.end_array().key("pass").begin_array();
    for (const fit::CurvePoint& p : r.curve)
      w.real(observed ? p.observed_pass : p.fitted_pass);
    w.end_array().key("majority");
    if (answers) {
      w.begin_array();
      for (const fit::CurvePoint& p : r.curve)
        w.real(observed ? p.observed_majority : p.fitted_majority);
      w.end_array();
    } else {
      w.null();
    }
    w.end_object();
  }
  w.key("predictions");
  if (r.predictions.empty()) {
    w.null();
  } else {
    w.begin_object().key("k").begin_array();
    for (const fit::Prediction& p : r.predictions)
      w.integer(p.k);
    w.end_array().key("pass").begin_array();
    for (const fit::Prediction& p : r.predictions)
      w.real(p.pass);
    w.end_array();
    using Field = std::optional<double> fit::Prediction::*;
    const std::pair<const char*, Field> fields[] = {{"pass_lo", &fit::Prediction::pass_lo},
                                                    {"pass_hi", &fit::Prediction::pass_hi},
                                                    {"majority", &fit::Prediction::majority},
                                                    {"majority_lo", &fit::Prediction::majority_lo},
                                                    {"majority_hi", &fit::Prediction::majority_hi}};
    for (const auto& [name, field] : fields) {
      w.key(name).begin_array();
      for (const fit::Prediction& p : r.predictions)
        w.real(p.*field);
      w.end_array();
    }
    w.end_object();
  }
  w.end_object();
}

// The fitted logs of a report, by path and predicted k; empty where the log could not be read
// or fitted (noted once).
using FitCache = std::map<std::string, std::optional<fit::FitReport>>;

// Per manifest profile of group `g` made by the `samples` plugin, the "fit" figure of its log
// (one per profile, whatever the aggregators: the log is the same). A log that cannot be read or
// fitted now (moved, changed) gets no figure and a note.
void plan_fit_figures(json::Writer& w, const Group& g, const Index& index,
                      const ProfileNames& names, const std::string& ext, FitCache& fits,
                      FigurePlan& plan) {
  for (const auto& profile : index.base_profiles) {
    const CellResult* cell = nullptr;
    std::string key;
    for (const auto& k : index.profiles) {
      if (index.profile_of(k) != profile)
        continue;
      cell = index.finished(0, g, k);
      key = k;
      if (cell != nullptr && !cell->candidates.rows.empty())
        break;
    }
    if (cell == nullptr || cell->candidates.rows.empty())
      continue;
    const std::string path = sample_log_path(cell->profile_spec);
    if (path.empty())
      continue;
    const std::string shown = names(key);
    const std::string owner = key == profile ? shown : shown.substr(0, shown.rfind(" / "));
    std::optional<fit::FitReport>* report = nullptr;
    try {
      fit::FitInput input = fit::read_log_for_fit(path);
      int samples = std::numeric_limits<int>::max();
      for (const LoggedQuestion& q : input.log.questions)
        samples = std::min(samples, static_cast<int>(q.samples.size()));
      fit::FitOptions options;
      options.predict = fit_predictions(cell->candidates, samples);
      options.bootstrap = fit_bootstrap;
      options.seed = fit_seed;
      std::string cache_key = path;
      for (const int k : options.predict)
        cache_key += "," + std::to_string(k);
      report = &fits[cache_key];
      if (!report->has_value())
        *report = fit::fit_log(input, options);
    } catch (const std::exception& e) {
      if (fits.emplace(path, std::nullopt).second)
        plan.notes.push_back("no fit figure for " + owner + ": its sample log '" + path +
                             "' cannot be fitted now (" + e.what() +
                             "); restore the log to draw it");
      continue;
    }
    const std::string file = "figures/" + g.file_stem() + "--" + slug(profile) + "--fit" + ext;
    const std::string where = owner + ", scenario " + g.title();
    write_fit_figure(w, **report, file, where + ": the sample log and the model fitted to it");
    plan.files.push_back(file);
    plan.by_group[g.title()].push_back(
        {owner,
         {file, where + ": observed pass@k and majority vote with the fitted model's "
                        "curves, and its predictions past the log with their 95 % "
                        "interval"}});
  }
}

}  // namespace

FigurePlan plan_figures(const Index& index, const ProfileNames& names, Plugins& plugins,
                        const std::map<std::string, GroupPool>& pools,
                        const std::vector<SweepSummary>& sweeps, const PlotOptions& plot) {
  FigurePlan plan;
  const std::string ext = "." + plot.format;
  std::ostringstream data;
  json::Writer w(data, 0);  // one figure a line
  w.begin_object().key("kcube_plot").integer(1).key("format").string(plot.format);
  w.key("dpi").integer(plot.dpi).key("figures").begin_array(json::Layout::lines);
  FitCache fits;
  auto add = [&](const std::string& group, const std::string& owner, const std::string& file,
                 const std::string& caption) {
    plan.files.push_back(file);
    plan.by_group[group].push_back({owner, {file, caption}});
  };
  const auto wanted = [&](const char* kind) { return plot.kinds.count(kind) > 0; };
  for (const SweepSummary& summary : sweeps) {
    if (!wanted("sweep"))
      break;
    for (std::size_t a = 0; a < summary.axes.size(); ++a) {
      const std::string file =
          "figures/sweep--" + slug(summary.scenario) + "--" + slug(summary.axes[a]) + ext;
      const std::string title =
          "Scenario " + summary.scenario + ": the picks against " + summary.axes[a];
      write_sweep_figure(w, summary, a, index, names, file, title);
      plan.files.push_back(file);
      plan.by_sweep[summary.scenario].push_back(
          {file, title + " (k, expected accuracy and cost of each rule's pick)"});
    }
  }
  for (const Group& g : index.groups) {
    const CellResult* any = index.any(g);
    const auto* scenario = any != nullptr ? plugins.get<Scenario>(any->scenario_spec) : nullptr;
    const Budget budget = scenario != nullptr ? scenario->checked().budget() : Budget{};
    const auto pool_it = pools.find(g.title());
    if (wanted("fronts") && pool_it != pools.end() && pool_it->second.valid) {
      const std::string file = "figures/" + g.file_stem() + "--fronts" + ext;
      w.begin_object().key("kind").string("fronts").key("output").string(file);
      w.key("title").string("All profiles, scenario " + g.title());
      write_budget(w.key("budget"), budget);
      w.key("series").begin_array();
      for (const PoolInput& in : pool_it->second.inputs) {
        w.begin_object().key("profile").string(in.profile).key("label").string(names(in.profile));
        write_columns(w, *in.table, *in.feasible);
        w.end_object();
      }
      w.end_array().key("pooled_pareto").begin_array();
      const Pool& p = pool_it->second.pool;
      for (const std::size_t row : p.pareto) {
        const Candidate& c = p.table.rows[row];
        const PoolOrigin& o = p.origin[row];
        w.begin_object().key("profile").string(o.profile).key("label").string(names(o.profile));
        w.key("k").integer(o.k).key("cost").real(c.cost).key("latency").real(c.latency);
        w.key("accuracy").real(c.accuracy).end_object();
      }
      w.end_array().end_object();
      add(g.title(), "", file,
          "Scenario " + g.title() + ": every profile in the (cost, accuracy) plane");
    }
    for (const auto& profile : index.profiles) {
      const CellResult* cell = index.finished(0, g, profile);
      if (cell == nullptr || cell->candidates.rows.empty())
        continue;
      const std::string stem = "figures/" + g.file_stem() + "--" + slug(profile);
      const std::string owner = names(profile);
      const std::string where = owner + ", scenario " + g.title();
      // The figures of the profile: each has the candidates, the budget and the picks.
      const auto figure = [&](const char* kind, const std::string& file) {
        w.begin_object().key("kind").string(kind).key("output").string(file);
        w.key("title").string(where);
        write_candidates(w.key("candidates"), cell->candidates, cell->feasible, budget);
        write_budget(w.key("budget"), budget);
        write_picks(w.key("picks"), *cell);
      };
      if (wanted("space")) {
        figure("space3d", stem + "--space" + ext);
        w.key("utopia").begin_object().key("cost").integer(0).key("latency").integer(0);
        w.key("accuracy").integer(1).end_object().end_object();
        add(g.title(), owner, stem + "--space" + ext,
            where +
                ": the candidates in cost, latency and accuracy with the budget box, and "
                "their projection on cost and accuracy; coloured by cube volume");
      }
      if (wanted("efficiency")) {
        figure("efficiency", stem + "--efficiency" + ext);
        w.end_object();
        add(g.title(), owner, stem + "--efficiency" + ext,
            where + ": accuracy bought by each step of k, per extra USD and per extra second");
      }
      if (wanted("accuracy")) {
        figure("accuracy", stem + "--accuracy" + ext);
        w.end_object();
        add(g.title(), owner, stem + "--accuracy" + ext, where + ": accuracy against k");
      }
    }
    if (wanted("fit"))
      plan_fit_figures(w, g, index, names, ext, fits, plan);
    // Several aggregators: per manifest profile, accuracy against k, one line per aggregator.
    if (!wanted("aggregators") || index.aggregators.size() < 2)
      continue;
    for (const auto& profile : index.base_profiles) {
      std::vector<std::pair<std::string, const CellResult*>> lines;
      for (const auto& aggregator : index.aggregators) {
        const std::string key = profile + " / " + aggregator;
        const CellResult* cell = index.finished(0, g, key);
        if (cell != nullptr && !cell->candidates.rows.empty())
          lines.emplace_back(aggregator, cell);
      }
      if (lines.empty())
        continue;
      const std::string file =
          "figures/" + g.file_stem() + "--" + slug(profile) + "--aggregators" + ext;
      const std::string shown = names(profile + " / " + lines.front().first);
      const std::string owner = shown.substr(0, shown.rfind(" / "));
      w.begin_object().key("kind").string("aggregators").key("output").string(file);
      w.key("title").string(owner + ", scenario " + g.title() +
                            ": how the samples become one answer");
      write_budget(w.key("budget"), budget);
      w.key("series").begin_array();
      for (const auto& [aggregator, cell] : lines) {
        w.begin_object().key("profile").string(aggregator).key("label").string(aggregator);
        write_columns(w, cell->candidates, cell->feasible);
        if (const auto* used = cell->candidates.column("samples_used"))
          write_reals(w.key("samples_used"), *used);
        write_picks(w.key("picks"), *cell);
        w.end_object();
      }
      w.end_array().end_object();
      add(g.title(), "", file,
          owner + ", scenario " + g.title() + ": accuracy against k, one line per aggregator");
    }
  }
  w.end_array().end_object();
  data << '\n';
  plan.json = data.str();
  return plan;
}

namespace {

std::string python_interpreter(const PlotOptions& plot) {
  if (!plot.python.empty())
    return plot.python;
  if (const char* env = std::getenv("KCUBE_PYTHON"); env != nullptr && *env != '\0')
    return env;
  // Debian's interpreter has Debian's matplotlib; a python3 earlier on PATH (pyenv, venv) may
  // not.
  if (::access("/usr/bin/python3", X_OK) == 0)
    return "/usr/bin/python3";
  return "python3";
}

fs::path plot_script(const PlotOptions& plot) {
  if (!plot.script.empty())
    return plot.script;
  if (const char* env = std::getenv("KCUBE_PLOT_SCRIPT"); env != nullptr && *env != '\0')
    return env;
  // kcube's private folder next to libkcube (lib/kcube/, beside plugins/), in the build tree
  // and in an install.
  return boost::dll::this_line_location().parent_path() / "kcube" / "kcube_plot.py";
}

std::string first_line(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      return line;
  return "no message";
}

std::string last_lines(const std::string& text, std::size_t n) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      lines.push_back(line);
  if (lines.size() > n)
    lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(n));
  return text::join(lines, "\n");
}

}  // namespace

std::string draw_figures(const FigurePlan& plan, const fs::path& out_dir, const PlotOptions& plot,
                         bool& failed) {
  failed = false;
  const std::string python = python_interpreter(plot);
  const fs::path script = plot_script(plot);
  const std::string install =
      "install matplotlib (Debian: sudo apt-get install python3-matplotlib python3-numpy, or "
      "run tools/setup.sh), or point KCUBE_PYTHON at a Python that has it; then run kcube "
      "report again";
  if (!fs::is_regular_file(script))
    return "figures not drawn: the plotting script '" + script.string() +
           "' is missing (set KCUBE_PLOT_SCRIPT to tools/kcube_plot.py of the kcube sources)";
  const auto [check, check_messages] = run_process({python, script.string(), "--check"});
  if (check != 0)
    return "figures not drawn: " + python + " cannot draw them (" +
           (check == 127 ? "it cannot be run" : first_line(check_messages)) + "); " + install;
  const fs::path data = out_dir / "figures" / "plot-data.json";
  {
    std::ofstream out(data, std::ios::binary);
    out << plan.json;
    out.close();
    if (!out)
      throw RuntimeFailure("report: writing '" + data.string() + "' failed");
  }
  std::vector<std::string> argv = {python, script.string(), data.string(), "--root",
                                   out_dir.string()};
  if (plot.jobs > 0) {
    argv.push_back("--jobs");
    argv.push_back(std::to_string(plot.jobs));
  }
  const auto [code, messages] = run_process(argv);
  failed = true;
  if (code != 0)
    return "the plotting script failed (exit " + std::to_string(code) +
           "): " + last_lines(messages, 6);
  for (const auto& file : plan.files) {
    std::error_code ec;
    if (fs::file_size(out_dir / file, ec) == 0 || ec)
      return "the plotting script did not write '" + file + "'";
  }
  failed = false;
  return {};
}

}  // namespace kcube::report
