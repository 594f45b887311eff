// kcube plugins list | describe
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "host/param_validation.hpp"
#include "host/plugin_host.hpp"
#include "host/spec.hpp"
#include "kcube/error.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

namespace kcube::cli {
namespace po = boost::program_options;

namespace {

std::string_view origin_name(SearchOrigin origin) {
  switch (origin) {
    case SearchOrigin::command_line:
      return "--plugin-path";
    case SearchOrigin::environment:
      return "KCUBE_PLUGIN_PATH";
    case SearchOrigin::builtin:
      return "built-in";
  }
  return "";
}

std::string default_text(const ParamSpec& spec) {
  if (spec.required)
    return "(required)";
  if (spec.default_value == nullptr)
    return "(optional)";
  return spec.default_value;
}

// What an aggregator reads and can do, from an object made with its default parameters (the
// descriptor does not say); `problem` when it cannot be made so (a required parameter).
struct AggregatorTraits {
  SampleFields needs;
  bool stops_early = false;
  bool has_exact = false;
  AccuracyForm iid_form = AccuracyForm::none;
  std::string problem;
};

AggregatorTraits traits_of(const PluginRegistry& registry, const LoadedPlugin& plugin) {
  AggregatorTraits t;
  try {
    const auto object = registry.create<Aggregator>(parse_spec(plugin.name()));
    const CheckedAggregator checked = object.checked();
    t.needs = checked.needs();
    t.stops_early = checked.stops_early();
    t.has_exact = checked.has_exact();
    t.iid_form = checked.iid_form();
  } catch (const Error& e) {
    t.problem = e.what();
  } catch (const RuntimeFailure& e) {
    t.problem = e.what();
  }
  return t;
}

// "answers and scores", "answers", "scores", or "accuracy only".
std::string needs_text(const SampleFields& needs) {
  std::vector<std::string> fields;
  if (needs.answers)
    fields.emplace_back("answers");
  if (needs.scores)
    fields.emplace_back("scores");
  return fields.empty() ? "accuracy only" : text::join(fields, " and ");
}

// How exact evaluation works with it: on sample logs (exact_curve), on profiles with an analytic
// accuracy distribution (best-of-k, any-correct over independent samples) and on profiles that
// compute their own exact accuracy (every form; ModelProfile::has_exact_accuracy()), or "no".
std::string exact_text(const AggregatorTraits& t) {
  std::vector<std::string> where;
  if (t.has_exact)
    where.emplace_back("sample logs");
  switch (t.iid_form) {
    case AccuracyForm::best_of_k:
      where.emplace_back("analytic profiles (best-of-k)");
      break;
    case AccuracyForm::any_correct:
      where.emplace_back("analytic profiles (1 - (1 - E[a])^k)");
      break;
    case AccuracyForm::plurality:  // answers or scores: no form over F alone
    case AccuracyForm::best_score:
    case AccuracyForm::none:
      break;
  }
  if (t.iid_form != AccuracyForm::none) {
    where.emplace_back("profiles with their own exact accuracy (" +
                       std::string(to_string(t.iid_form)) + ")");
  }
  return where.empty() ? "no (monte-carlo only)" : text::join(where, ", ");
}

void write_traits(json::Writer& w, const AggregatorTraits& t) {
  if (!t.problem.empty()) {
    w.key("traits_unknown").string(t.problem);
    return;
  }
  w.key("needs").begin_array(json::Layout::spaced);
  if (t.needs.answers)
    w.string("answers");
  if (t.needs.scores)
    w.string("scores");
  w.end_array().key("stops_early").boolean(t.stops_early).key("has_exact").boolean(t.has_exact);
  w.key("iid_form");
  if (t.iid_form == AccuracyForm::none)
    w.null();
  else
    w.string(to_string(t.iid_form));
}

void write_param(json::Writer& w, const ParamSpec& p) {
  w.begin_object(json::Layout::spaced).key("key").string(p.key);
  w.key("type").string(to_string(p.type)).key("required").boolean(p.required).key("default");
  p.default_value ? w.string(p.default_value) : w.null();
  w.key("range").string(describe_range(p)).key("unit").string(p.unit).key("doc").string(p.doc);
  w.end_object();
}

void print_json(const PluginRegistry& registry) {
  json::Writer w(std::cout);
  w.begin_object(json::Layout::lines).key("search_path").begin_array(json::Layout::spaced);
  for (const auto& dir : registry.search_path()) {
    w.begin_object(json::Layout::spaced).key("path").string(dir.path.string());
    w.key("origin").string(origin_name(dir.origin)).key("exists").boolean(dir.exists);
    w.end_object();
  }
  w.end_array().key("plugins").begin_array(json::Layout::lines);
  for (const auto& plugin : registry.plugins()) {
    const PluginDescriptor& d = plugin->descriptor();
    w.begin_object(json::Layout::spaced).key("name").string(d.name);
    w.key("kind").string(to_string(d.kind)).key("version").string(d.version);
    w.key("summary").string(d.summary).key("file").string(plugin->file().string());
    w.key("abi_version").integer(d.abi_version);
    w.key("thread_safety").string(to_string(d.thread_safety));
    if (d.kind == PluginKind::aggregator)
      write_traits(w, traits_of(registry, *plugin));
    w.key("params").begin_array(json::Layout::spaced);
    for (const ParamSpec& spec : plugin->schema())
      write_param(w, spec);
    w.end_array().end_object();
  }
  w.end_array().key("refused").begin_array(json::Layout::lines);
  for (const auto& refusal : registry.refusals()) {
    w.begin_object(json::Layout::spaced).key("file").string(refusal.path.string());
    w.key("reason").string(refusal.reason).end_object();
  }
  w.end_array().end_object();
  std::cout << '\n';
}

void print_text(const PluginRegistry& registry) {
  std::cout << "Plugin search path:\n";
  for (const auto& dir : registry.search_path()) {
    std::cout << "  " << text::printable(dir.path.string()) << "  (" << origin_name(dir.origin)
              << (!dir.exists   ? ", missing"
                  : dir.is_file ? ", one plugin file"
                                : "")
              << ")\n";
  }
  for (PluginKind kind : {PluginKind::model_profile, PluginKind::scenario, PluginKind::optimizer,
                          PluginKind::aggregator}) {
    const bool aggregators = kind == PluginKind::aggregator;
    Table table(aggregators ? std::vector<std::string>{"name", "version", "needs", "stops early",
                                                       "exact", "summary", "file"}
                            : std::vector<std::string>{"name", "version", "summary", "file"});
    std::size_t count = 0;
    for (const auto& plugin : registry.plugins()) {
      if (plugin->kind() != kind)
        continue;
      const PluginDescriptor& d = plugin->descriptor();
      const std::string file = plugin->file().filename().string();
      if (aggregators) {
        const AggregatorTraits t = traits_of(registry, *plugin);
        const bool known = t.problem.empty();
        table.add({d.name, d.version, known ? needs_text(t.needs) : "?",
                   known ? (t.stops_early ? "yes" : "no") : "?",
                   known ? (t.has_exact || t.iid_form != AccuracyForm::none ? "yes" : "no") : "?",
                   d.summary, file});
      } else {
        table.add({d.name, d.version, d.summary, file});
      }
      ++count;
    }
    std::cout << "\n" << to_string(kind) << " plugins (" << count << "):\n";
    if (count > 0)
      table.print(std::cout, "  ");
  }
  if (!registry.refusals().empty()) {
    std::cout << "\nRefused (" << registry.refusals().size() << "):\n";
    for (const auto& refusal : registry.refusals()) {
      std::cout << "  " << text::printable(refusal.path.string()) << "\n      "
                << text::printable(refusal.reason) << "\n";
    }
  }
}

}  // namespace

int cmd_plugins_list(const Args& args, const GlobalOptions& global) {
  po::options_description options("Options");
  options.add_options()("json", "print JSON instead of tables")("help,h", "show this help");
  add_plugin_path_option(options);
  const auto vm = parse(args, options, {}, "plugins list");
  if (vm.count("help") != 0) {
    std::cout << usage("kcube plugins list [--json]", options);
    return 0;
  }
  const PluginRegistry registry = discover_plugins(plugin_paths(vm, global));
  if (vm.count("json") != 0) {
    print_json(registry);
  } else {
    print_text(registry);
  }
  return 0;
}

int cmd_plugins_describe(const Args& args, const GlobalOptions& global) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help");
  add_plugin_path_option(options);
  const auto vm = parse_positional(args, options, {"name"}, "plugins describe");
  if (vm.count("help") != 0) {
    std::cout << usage("kcube plugins describe NAME", options);
    return 0;
  }
  if (vm.count("name") == 0) {
    throw Error("kcube plugins describe: which plugin? e.g. 'kcube plugins describe knee-point'");
  }
  const PluginRegistry registry = discover_plugins(plugin_paths(vm, global));
  const auto plugin = registry.find(vm["name"].as<std::string>());
  const PluginDescriptor& d = plugin->descriptor();
  std::cout << d.name << " " << text::printable(d.version) << "  (" << to_string(d.kind)
            << " plugin)\n"
            << "  " << text::printable(d.summary) << "\n"
            << "  file: " << text::printable(plugin->file().string()) << "\n"
            << "  plugin ABI: " << d.abi_version << ", built against " << to_string(d.build)
            << "\n  thread safety: " << to_string(d.thread_safety) << "\n";
  if (d.kind == PluginKind::aggregator) {
    const AggregatorTraits t = traits_of(registry, *plugin);
    if (t.problem.empty()) {
      std::cout << "  needs: " << needs_text(t.needs)
                << "\n  stops early: " << (t.stops_early ? "yes" : "no")
                << "\n  exact evaluation: " << exact_text(t) << "\n";
    } else {
      std::cout << "  needs, stopping, exact evaluation: unknown (no object with the default "
                   "parameters: "
                << text::printable(t.problem) << ")\n";
    }
  }
  std::cout << "\n";
  if (d.param_count == 0) {
    std::cout << "Parameters: none\n";
    return 0;
  }
  Table table({"parameter", "type", "default", "range", "unit", "meaning"});
  for (const ParamSpec& p : plugin->schema()) {
    std::string type(to_string(p.type));
    table.add({p.key, type, default_text(p), describe_range(p), p.unit, p.doc});
  }
  std::cout << "Parameters:\n";
  table.print(std::cout, "  ");
  std::cout << "\nSpec: " << d.name << ":key=value,key=value\n";
  return 0;
}

}  // namespace kcube::cli
