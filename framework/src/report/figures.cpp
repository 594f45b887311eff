#include "report/figures.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include <boost/dll/runtime_symbol_info.hpp>

#include "kcube/error.hpp"
#include "kcube/geometry.hpp"
#include "util/subprocess.hpp"
#include "util/text.hpp"

namespace kcube::report {
namespace fs = std::filesystem;

namespace {

std::string json_number(double v) {
  // The store never holds non-finite values; a bound may be infinite (unbounded) -> null.
  return std::isfinite(v) ? text::format_real(v) : "null";
}

std::string json_array(const std::vector<double>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    out += (i ? "," : "") + json_number(values[i]);
  return out + "]";
}

std::string json_budget(const Budget& b) {
  return "{\"cost_max\":" + json_number(b.cost_max) +
         ",\"latency_max\":" + json_number(b.latency_max) +
         ",\"accuracy_min\":" + (b.accuracy_min > 0.0 ? json_number(b.accuracy_min) : "null") + "}";
}

std::string json_candidates(const CandidateTable& t, const std::vector<bool>& feasible,
                            const Budget& budget) {
  std::vector<double> cost, latency, accuracy;
  std::string k = "[", feas = "[", cube = "[";
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const Candidate& c = t.rows[i];
    cost.push_back(c.cost);
    latency.push_back(c.latency);
    accuracy.push_back(c.accuracy);
    const bool f = i < feasible.size() && feasible[i];
    k += (i ? "," : "") + std::to_string(c.k);
    feas += (i ? "," : "") + std::string(f ? "true" : "false");
    cube += (i ? "," : "") + (f ? json_number(cube_volume(c, budget)) : std::string("null"));
  }
  std::string out = "{\"k\":" + k + "],\"cost\":" + json_array(cost) +
                    ",\"latency\":" + json_array(latency) +
                    ",\"accuracy\":" + json_array(accuracy) + ",\"feasible\":" + feas +
                    "],\"cube\":" + cube + "]";
  for (const char* column :
       {"accuracy_p025", "accuracy_p975", "accuracy_se", "cost_p025", "cost_p975", "cost_se",
        "latency_p025", "latency_p975", "latency_se"}) {
    if (const auto* values = t.column(column))
      out += std::string(",\"") + column + "\":" + json_array(*values);
  }
  return out + "}";
}

std::string json_picks(const CellResult& cell) {
  std::string out = "[";
  bool first = true;
  for (const auto& s : cell.selections) {
    if (!s.record.k || !s.record.cost)
      continue;
    out += (first ? "" : ",") + std::string("{\"optimizer\":") + text::json_quote(s.name) +
           ",\"k\":" + std::to_string(*s.record.k) + ",\"cost\":" + json_number(*s.record.cost) +
           ",\"latency\":" + json_number(*s.record.latency) +
           ",\"accuracy\":" + json_number(*s.record.accuracy) + "}";
    first = false;
  }
  return out + "]";
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
std::string sweep_figure_json(const SweepSummary& summary, std::size_t a, const Index& index,
                              const ProfileNames& names, const std::string& file,
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
  std::string values = "[";
  for (std::size_t i = 0; i < xs.size(); ++i)
    values += (i ? "," : "") + text::json_quote(xs[i]);
  values += "]";
  const auto numeric = numeric_values(xs);
  std::string series = "[";
  bool first = true;
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
        std::string k = "[", accuracy = "[", cost = "[";
        for (std::size_t i = 0; i < xs.size(); ++i) {
          const SelectionRecord* r = nullptr;
          for (const auto& point : summary.points) {
            std::vector<std::string> point_rest = point.values;
            point_rest.erase(point_rest.begin() + static_cast<std::ptrdiff_t>(a));
            if (point.values[a] == xs[i] && point_rest == rest) {
              r = sweep_pick(index, summary.scenario, point.sweep, profile, optimizer);
              break;
            }
          }
          const bool picked = r != nullptr && r->k && r->accuracy && r->cost;
          const std::string sep = i ? "," : "";
          k += sep + (picked ? std::to_string(*r->k) : "null");
          accuracy += sep + (picked ? json_number(*r->accuracy) : "null");
          cost += sep + (picked ? json_number(*r->cost) : "null");
        }
        series += std::string(first ? "" : ",") + "{\"profile\":" + text::json_quote(profile) +
                  ",\"optimizer\":" + text::json_quote(optimizer) +
                  ",\"label\":" + text::json_quote(label) + ",\"k\":" + k +
                  "],\"accuracy\":" + accuracy + "],\"cost\":" + cost + "]}";
        first = false;
      }
    }
  }
  series += "]";
  return "{\"kind\":\"sweep\",\"output\":" + text::json_quote(file) +
         ",\"title\":" + text::json_quote(title) +
         ",\"parameter\":" + text::json_quote(summary.axes[a]) + ",\"values\":" + values +
         ",\"x\":" + (numeric ? json_array(*numeric) : "null") + ",\"series\":" + series + "}";
}

}  // namespace

FigurePlan plan_figures(const Index& index, const ProfileNames& names, Plugins& plugins,
                        const std::map<std::string, GroupPool>& pools,
                        const std::vector<SweepSummary>& sweeps, const PlotOptions& plot) {
  FigurePlan plan;
  const std::string ext = "." + plot.format;
  std::string figures;
  auto add_json = [&](const std::string& json, const std::string& file) {
    figures += (figures.empty() ? "" : ",\n") + json;
    plan.files.push_back(file);
  };
  auto add = [&](const std::string& group, const std::string& owner, const std::string& json,
                 const std::string& file, const std::string& caption) {
    add_json(json, file);
    plan.by_group[group].push_back({owner, {file, caption}});
  };
  for (const SweepSummary& summary : sweeps) {
    for (std::size_t a = 0; a < summary.axes.size(); ++a) {
      const std::string file =
          "figures/sweep--" + slug(summary.scenario) + "--" + slug(summary.axes[a]) + ext;
      const std::string title =
          "Scenario " + summary.scenario + ": the picks against " + summary.axes[a];
      add_json(sweep_figure_json(summary, a, index, names, file, title), file);
      plan.by_sweep[summary.scenario].push_back(
          {file, title + " (k, expected accuracy and cost of each rule's pick)"});
    }
  }
  for (const Group& g : index.groups) {
    const CellResult* any = index.any(g);
    const auto* scenario = any != nullptr ? plugins.get<Scenario>(any->scenario_spec) : nullptr;
    const Budget budget = scenario != nullptr ? scenario->checked().budget() : Budget{};
    const std::string budget_json = json_budget(budget);
    const auto pool_it = pools.find(g.title());
    if (pool_it != pools.end() && pool_it->second.valid) {
      std::string series = "[";
      for (std::size_t i = 0; i < pool_it->second.inputs.size(); ++i) {
        const PoolInput& in = pool_it->second.inputs[i];
        const CandidateTable& t = *in.table;
        std::vector<double> cost, latency, accuracy;
        std::string k = "[", feas = "[";
        for (std::size_t r = 0; r < t.rows.size(); ++r) {
          cost.push_back(t.rows[r].cost);
          latency.push_back(t.rows[r].latency);
          accuracy.push_back(t.rows[r].accuracy);
          k += (r ? "," : "") + std::to_string(t.rows[r].k);
          feas += (r ? "," : "") + std::string((*in.feasible)[r] ? "true" : "false");
        }
        series += (i ? "," : "") + std::string("{\"profile\":") + text::json_quote(in.profile) +
                  ",\"label\":" + text::json_quote(names(in.profile)) + ",\"k\":" + k +
                  "],\"cost\":" + json_array(cost) + ",\"latency\":" + json_array(latency) +
                  ",\"accuracy\":" + json_array(accuracy) + ",\"feasible\":" + feas + "]}";
      }
      series += "]";
      std::string pareto = "[";
      const Pool& p = pool_it->second.pool;
      for (std::size_t i = 0; i < p.pareto.size(); ++i) {
        const Candidate& c = p.table.rows[p.pareto[i]];
        const PoolOrigin& o = p.origin[p.pareto[i]];
        pareto += (i ? "," : "") + std::string("{\"profile\":") + text::json_quote(o.profile) +
                  ",\"label\":" + text::json_quote(names(o.profile)) +
                  ",\"k\":" + std::to_string(o.k) + ",\"cost\":" + json_number(c.cost) +
                  ",\"latency\":" + json_number(c.latency) +
                  ",\"accuracy\":" + json_number(c.accuracy) + "}";
      }
      pareto += "]";
      const std::string file = "figures/" + g.file_stem() + "--fronts" + ext;
      add(g.title(), "",
          "{\"kind\":\"fronts\",\"output\":" + text::json_quote(file) +
              ",\"title\":" + text::json_quote("All profiles, scenario " + g.title()) +
              ",\"budget\":" + budget_json + ",\"series\":" + series +
              ",\"pooled_pareto\":" + pareto + "}",
          file, "Scenario " + g.title() + ": every profile in the (cost, accuracy) plane");
    }
    for (const auto& profile : index.profiles) {
      const CellResult* cell = index.finished(0, g, profile);
      if (cell == nullptr || cell->candidates.rows.empty())
        continue;
      const std::string candidates = json_candidates(cell->candidates, cell->feasible, budget);
      const std::string picks = json_picks(*cell);
      const std::string stem = "figures/" + g.file_stem() + "--" + slug(profile);
      const std::string head =
          ",\"candidates\":" + candidates + ",\"budget\":" + budget_json + ",\"picks\":" + picks;
      const std::string owner = names(profile);
      const std::string where = owner + ", scenario " + g.title();
      add(g.title(), owner,
          "{\"kind\":\"space3d\",\"output\":" + text::json_quote(stem + "--space" + ext) +
              ",\"title\":" + text::json_quote(where) + head +
              ",\"utopia\":{\"cost\":0,\"latency\":0,\"accuracy\":1}}",
          stem + "--space" + ext, where + ": feasible space, coloured by cube volume");
      add(g.title(), owner,
          "{\"kind\":\"accuracy\",\"output\":" + text::json_quote(stem + "--accuracy" + ext) +
              ",\"title\":" + text::json_quote(where) + head + "}",
          stem + "--accuracy" + ext, where + ": accuracy against k");
      add(g.title(), owner,
          "{\"kind\":\"cost-latency\",\"output\":" +
              text::json_quote(stem + "--cost-latency" + ext) +
              ",\"title\":" + text::json_quote(where) + head + "}",
          stem + "--cost-latency" + ext, where + ": cost and latency against k");
    }
  }
  plan.json = "{\"kcube_plot\":1,\"format\":" + text::json_quote(plot.format) +
              ",\"dpi\":" + std::to_string(plot.dpi) + ",\"figures\":[\n" + figures + "\n]}\n";
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
