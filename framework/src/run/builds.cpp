#include "run/builds.hpp"

#include <algorithm>
#include <sstream>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include "kcube/error.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

namespace kcube {
namespace {

namespace pt = boost::property_tree;

pt::ptree parse_changes(const std::string& json) {
  pt::ptree tree;
  std::istringstream in(json);
  try {
    pt::read_json(in, tree);
  } catch (const pt::ptree_error& e) {
    throw RuntimeFailure("the build_changes of a run are not valid JSON (" + std::string(e.what()) +
                         "); was the store changed by another program? Start a new run");
  }
  return tree;
}

// The "plugins" array of a build change (empty when it has none).
pt::ptree plugins_of(const pt::ptree& change) {
  const auto plugins = change.get_child_optional("plugins");
  return plugins ? *plugins : pt::ptree();
}

std::string value_of(const PluginRecord& p) {
  return "version " + p.version + ", sha256 " +
         (p.sha256.empty() ? std::string("unknown (recorded before kcube stored plugin hashes)")
                           : p.sha256);
}

std::string plugin_what(const PluginRecord& p) {
  return p.kind + " plugin '" + p.name + "'";
}

const PluginRecord* named(const std::vector<PluginRecord>& plugins, const std::string& name) {
  const auto it = std::find_if(plugins.begin(), plugins.end(),
                               [&](const PluginRecord& p) { return p.name == name; });
  return it == plugins.end() ? nullptr : &*it;
}

}  // namespace

Builds latest_builds(const RunContext& context) {
  Builds builds{context.kcube_version, context.plugins};
  if (context.build_changes.empty())
    return builds;
  for (const auto& [unused, change] : parse_changes(context.build_changes)) {
    builds.kcube_version = change.get("kcube_version", builds.kcube_version);
    for (const auto& [key, plugin] : plugins_of(change)) {
      PluginRecord record{plugin.get("name", ""), plugin.get("kind", ""), plugin.get("version", ""),
                          plugin.get("file", ""), plugin.get("sha256", "")};
      auto it = std::find_if(builds.plugins.begin(), builds.plugins.end(),
                             [&](const PluginRecord& p) { return p.name == record.name; });
      if (it == builds.plugins.end())
        builds.plugins.push_back(std::move(record));
      else
        *it = std::move(record);
    }
  }
  return builds;
}

std::vector<BuildDifference> build_differences(const Builds& recorded, const Builds& now) {
  std::vector<BuildDifference> out;
  if (recorded.kcube_version != now.kcube_version)
    out.push_back({"kcube", "version " + recorded.kcube_version, "version " + now.kcube_version});
  for (const PluginRecord& p : now.plugins) {
    const PluginRecord* r = named(recorded.plugins, p.name);
    if (r == nullptr)
      out.push_back({plugin_what(p), "not used", value_of(p)});
    else if (r->version != p.version || r->sha256.empty() || r->sha256 != p.sha256)
      out.push_back({plugin_what(p), value_of(*r), value_of(p)});
  }
  for (const PluginRecord& r : recorded.plugins) {
    if (named(now.plugins, r.name) == nullptr)
      out.push_back({plugin_what(r), value_of(r), "not used"});
  }
  return out;
}

std::string describe_differences(const std::vector<BuildDifference>& differences,
                                 const std::string& where_recorded, const std::string& where_now) {
  std::string out;
  for (const BuildDifference& d : differences) {
    out += "\n  " + d.what + ": " + d.recorded + " (" + where_recorded + ") vs " + d.now + " (" +
           where_now + ")";
  }
  return out;
}

std::string build_change_json(const Builds& recorded, const Builds& now, const std::string& by) {
  std::ostringstream out;
  json::Writer w(out);
  w.begin_object().key("at").string(utc_now_iso8601()).key("by").string(by);
  w.key("kcube_version").string(now.kcube_version).key("plugins").begin_array();
  for (const PluginRecord& p : now.plugins) {
    const PluginRecord* r = named(recorded.plugins, p.name);
    if (r != nullptr && r->version == p.version && !r->sha256.empty() && r->sha256 == p.sha256)
      continue;
    w.begin_object().key("name").string(p.name).key("kind").string(p.kind);
    w.key("version").string(p.version).key("file").string(p.file);
    w.key("sha256").string(p.sha256).end_object();
  }
  w.end_array().end_object();
  return out.str();
}

std::vector<std::string> build_change_lines(const std::string& build_changes) {
  std::vector<std::string> lines;
  if (build_changes.empty())
    return lines;
  for (const auto& [unused, change] : parse_changes(build_changes)) {
    std::vector<std::string> builds = {"kcube " + change.get("kcube_version", std::string("?"))};
    for (const auto& [key, p] : plugins_of(change)) {
      builds.push_back(p.get("kind", std::string()) + " " + p.get("name", std::string()) + " " +
                       p.get("version", std::string()) + " (sha256 " +
                       p.get("sha256", std::string("unknown")) + ")");
    }
    lines.push_back("from " + change.get("at", std::string("?")) + " (" +
                    change.get("by", std::string("?")) + "): " + text::join(builds, ", "));
  }
  return lines;
}

}  // namespace kcube
