// kcube plugins list | describe
#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "host/param_validation.hpp"
#include "kcube/error.hpp"
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

std::string param_json(const ParamSpec& p) {
  std::string out = "{\"key\": " + text::json_quote(p.key) +
                    ", \"type\": " + text::json_quote(to_string(p.type)) +
                    ", \"required\": " + (p.required ? "true" : "false") + ", \"default\": " +
                    (p.default_value ? text::json_quote(p.default_value) : std::string("null")) +
                    ", \"range\": " + text::json_quote(describe_range(p)) +
                    ", \"unit\": " + text::json_quote(p.unit) +
                    ", \"doc\": " + text::json_quote(p.doc) + "}";
  return out;
}

void print_json(const PluginRegistry& registry) {
  std::cout << "{\n  \"search_path\": [";
  const auto& dirs = registry.search_path();
  for (std::size_t i = 0; i < dirs.size(); ++i) {
    std::cout << (i ? ", " : "") << "{\"path\": " << text::json_quote(dirs[i].path.string())
              << ", \"origin\": " << text::json_quote(origin_name(dirs[i].origin))
              << ", \"exists\": " << (dirs[i].exists ? "true" : "false") << "}";
  }
  std::cout << "],\n  \"plugins\": [";
  const auto& plugins = registry.plugins();
  for (std::size_t i = 0; i < plugins.size(); ++i) {
    const PluginDescriptor& d = plugins[i]->descriptor();
    std::cout << (i ? "," : "") << "\n    {\"name\": " << text::json_quote(d.name)
              << ", \"kind\": " << text::json_quote(to_string(d.kind))
              << ", \"version\": " << text::json_quote(d.version)
              << ", \"summary\": " << text::json_quote(d.summary)
              << ", \"file\": " << text::json_quote(plugins[i]->file().string())
              << ", \"abi_version\": " << d.abi_version
              << ", \"thread_safety\": " << text::json_quote(to_string(d.thread_safety))
              << ", \"params\": [";
    const auto schema = plugins[i]->schema();
    for (std::size_t j = 0; j < schema.size(); ++j) {
      std::cout << (j ? ", " : "") << param_json(schema[j]);
    }
    std::cout << "]}";
  }
  std::cout << (plugins.empty() ? "" : "\n  ") << "],\n  \"refused\": [";
  const auto& refusals = registry.refusals();
  for (std::size_t i = 0; i < refusals.size(); ++i) {
    std::cout << (i ? "," : "")
              << "\n    {\"file\": " << text::json_quote(refusals[i].path.string())
              << ", \"reason\": " << text::json_quote(refusals[i].reason) << "}";
  }
  std::cout << (refusals.empty() ? "" : "\n  ") << "]\n}\n";
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
  for (PluginKind kind : {PluginKind::model_profile, PluginKind::scenario, PluginKind::optimizer}) {
    Table table({"name", "version", "summary", "file"});
    std::size_t count = 0;
    for (const auto& plugin : registry.plugins()) {
      if (plugin->kind() != kind)
        continue;
      const PluginDescriptor& d = plugin->descriptor();
      table.add({d.name, d.version, d.summary, plugin->file().filename().string()});
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
            << "\n  thread safety: " << to_string(d.thread_safety) << "\n\n";
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
