#include "manifest/loader.hpp"

#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "kcube/error.hpp"
#include "manifest/flow_depth.hpp"
#include "util/sha256.hpp"
#include "util/text.hpp"

namespace kcube::manifest_detail {

std::string where_of(const fs::path& file, const YAML::Mark& mark) {
  if (mark.is_null())
    return file.string();
  return file.string() + ":" + std::to_string(mark.line + 1) + ":" +
         std::to_string(mark.column + 1);
}

std::string override_where(std::string_view text) {
  return "--set '" + std::string(text) + "'";
}

std::optional<std::int64_t> parse_int(std::string_view raw) {
  const std::string_view text = text::trim(raw);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

bool beyond_int64(std::string_view raw) {
  const std::string_view text = text::trim(raw);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc::result_out_of_range && end == text.data() + text.size();
}

std::optional<std::uint64_t> parse_uint(std::string_view raw) {
  const std::string_view text = text::trim(raw);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

std::optional<std::size_t> section_index(std::string_view name) {
  for (std::size_t i = 0; i < kSections.size(); ++i) {
    if (kSections[i] == name)
      return i;
  }
  return std::nullopt;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> out;
  while (true) {
    const auto at = text.find(separator);
    out.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos)
      return out;
    text.remove_prefix(at + 1);
  }
}

bool is_plain_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

namespace {

// Byte offset of the first invalid UTF-8 sequence or control character, with a description.
std::optional<std::pair<std::size_t, std::string>> text_problem(std::string_view text) {
  const auto at = text::find_non_text(text);
  if (!at)
    return std::nullopt;
  const auto byte = static_cast<unsigned char>(text[*at]);
  if (byte >= 0x20)
    return std::pair{*at, std::string("invalid UTF-8; save the file as UTF-8 text")};
  return std::pair{*at, std::string("control character (byte 0x") + "0123456789abcdef"[byte >> 4] +
                            "0123456789abcdef"[byte & 15] +
                            "); the file looks binary, not YAML text"};
}

// The first `limit` + 1 bytes of the file at `path` (more than `limit` means too large), or
// nullopt when it cannot be opened or read. Read through std::istream::read, which turns a read
// error into badbit: a std::istreambuf_iterator would let it escape as std::ios_base::failure.
std::optional<std::string> read_at_most(const fs::path& path, std::uintmax_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::string text;
  std::array<char, 65536> buffer;
  while (text.size() <= limit && in) {
    in.read(buffer.data(), buffer.size());
    text.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad())
    return std::nullopt;
  return text;
}

YAML::Mark mark_at(std::string_view text, std::size_t offset) {
  YAML::Mark mark;
  mark.pos = static_cast<int>(offset);
  mark.line = static_cast<int>(
      std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
  const auto newline = text.rfind('\n', offset == 0 ? std::string_view::npos : offset - 1);
  mark.column = static_cast<int>(
      newline == std::string_view::npos || offset == 0 ? offset : offset - newline - 1);
  return mark;
}

}  // namespace

YNodePtr Loader::parse(const fs::path& shown, const std::string& text) {
  if (const auto bad = text_problem(text)) {
    problem(where_of(shown, mark_at(text, bad->first)), "", bad->second);
    return nullptr;
  }
  if (const auto deep = flow_too_deep(text, kMaxDepth)) {
    problem(where_of(shown, mark_at(text, *deep)), "",
            "nesting deeper than " + std::to_string(kMaxDepth) +
                " levels; a manifest never needs this many");
    return nullptr;
  }
  std::istringstream in(text);
  TreeBuilder builder(nodes_);
  try {
    YAML::Parser parser(in);
    if (!parser.HandleNextDocument(builder) || builder.root() == nullptr) {
      problem(where_of(shown, mark_at(text, 0)), "",
              "the file is empty; a manifest needs at least 'kcube: 1'");
      return nullptr;
    }
    TreeBuilder second;
    if (parser.HandleNextDocument(second)) {
      problem(where_of(shown, second.root() ? second.root()->mark : YAML::Mark::null_mark()), "",
              "a second YAML document ('---'); a manifest is one document, merge or remove it");
      return nullptr;
    }
  } catch (const ParseLimit& limit) {
    problem(where_of(shown, limit.mark), "", limit.message);
    over_limit_ = builder.total() > kMaxNodes;
    return nullptr;
  } catch (const YAML::Exception& e) {
    problem(where_of(shown, e.mark), "", "YAML syntax error: " + e.msg + "; fix the YAML syntax");
    return nullptr;
  }
  if (builder.root()->kind == YNode::Kind::null) {
    problem(where_of(shown, mark_at(text, 0)), "",
            "the file is empty; a manifest needs at least 'kcube: 1'");
    return nullptr;
  }
  nodes_ = builder.total();
  return builder.root();
}

std::vector<std::pair<const YNode*, const YNode*>> Loader::entries(const YNode& map) {
  // First occurrence of each key; find_duplicates reports the others.
  std::vector<std::pair<const YNode*, const YNode*>> out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i + 1 < map.items.size(); i += 2) {
    const YNode& key = *map.items[i];
    if (key.kind != YNode::Kind::scalar || key.scalar == kMergeKey ||
        !seen.insert(key.scalar).second)
      continue;
    out.emplace_back(&key, map.items[i + 1].get());
  }
  return out;
}

void Loader::find_duplicates(const fs::path& file, const YNode& node, const std::string& path) {
  const auto child_path = [&](const std::string& key) {
    return path.empty() ? key : path + "." + key;
  };
  if (node.kind == YNode::Kind::sequence) {
    for (std::size_t i = 0; i < node.items.size(); ++i)
      find_duplicates(file, *node.items[i], path + "[" + std::to_string(i) + "]");
    return;
  }
  if (node.kind != YNode::Kind::map)
    return;
  std::map<std::string, YAML::Mark> seen;
  for (std::size_t i = 0; i + 1 < node.items.size(); i += 2) {
    const YNode& key = *node.items[i];
    if (key.kind != YNode::Kind::scalar) {
      problem(where_of(file, key.mark), path,
              "a key must be plain text, not a list or mapping; write 'name: value'");
      continue;
    }
    if (key.scalar == kMergeKey) {
      // yaml-cpp reads '<<' as a plain key; the YAML 1.1 merge it stands for never happens.
      const std::string where = where_of(file, key.mark);
      if (merge_keys_.insert(where).second) {
        problem(where, path,
                "YAML merge keys ('<<') are not supported; write the keys out, or use an alias "
                "for a whole value (key: *anchor)");
      }
      continue;
    }
    const auto [it, fresh] = seen.emplace(key.scalar, key.mark);
    if (!fresh) {
      problem(where_of(file, key.mark), child_path(key.scalar),
              "key '" + key.scalar + "' is given twice (first at line " +
                  std::to_string(it->second.line + 1) + "); keep one");
      continue;
    }
    find_duplicates(file, *node.items[i + 1], child_path(key.scalar));
  }
}

bool Loader::scalar(const fs::path& file, const YNode& node, const std::string& path,
                    RawValue& out) {
  if (node.kind != YNode::Kind::scalar) {
    problem(where_of(file, node.mark), path,
            node.kind == YNode::Kind::null
                ? std::string("has no value; write a value after the colon")
                : std::string("expected a single value, got a ") +
                      (node.kind == YNode::Kind::map ? "mapping" : "list"));
    out = {{}, where_of(file, node.mark), false};
    return false;
  }
  out = {node.scalar, where_of(file, node.mark), true};
  return true;
}

std::optional<std::vector<const YNode*>> Loader::scalar_or_list(const fs::path& file,
                                                                const YNode& node,
                                                                const std::string& path,
                                                                const std::string& expected) {
  std::vector<const YNode*> items;
  if (node.kind == YNode::Kind::scalar) {
    items.push_back(&node);
  } else if (node.kind == YNode::Kind::sequence) {
    for (const auto& item : node.items)
      items.push_back(item.get());
  } else if (node.kind != YNode::Kind::null) {
    problem(where_of(file, node.mark), path, expected);
    return std::nullopt;
  }
  return items;
}

void Loader::load_file(const fs::path& shown, const std::string& via, bool is_root) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(shown, ec);
  if (ec)
    canonical = shown.lexically_normal();
  if (const auto at = std::find(chain_canonical_.begin(), chain_canonical_.end(), canonical);
      at != chain_canonical_.end()) {
    std::vector<std::string> chain;
    for (auto it = at; it != chain_canonical_.end(); ++it)
      chain.push_back(
          chain_shown_[static_cast<std::size_t>(it - chain_canonical_.begin())].string());
    chain.push_back(shown.string());
    problem(via, "include",
            "include cycle: " + text::join(chain, " -> ") + "; remove one of these includes");
    return;
  }
  if (!loaded_.insert(canonical).second)
    return;  // included twice without a cycle: loaded once

  const std::string where = via.empty() ? shown.string() : via;
  if (!fs::is_regular_file(shown, ec)) {
    problem(where, via.empty() ? "" : "include",
            (fs::exists(shown, ec) ? "'" + shown.string() + "' is not a regular file"
                                   : "file '" + shown.string() + "' does not exist") +
                (via.empty() ? std::string("; check the path")
                             : std::string("; include paths are relative to the including file")));
    return;
  }
  if (over_limit_)
    return;
  // The size is checked twice: before reading, and while reading files that report none
  // (/proc/self/pagemap says 0 bytes and holds hundreds of gigabytes). Only what the files before
  // this one left of kMaxFileBytes is read.
  const std::uintmax_t left = kMaxFileBytes - bytes_;
  const auto too_large = [&](std::uintmax_t bytes) {
    over_limit_ = true;
    if (bytes_ == 0 || bytes > kMaxFileBytes) {
      problem(where, "",
              "'" + shown.string() + "' is larger than 16 MiB; a manifest is a small text file");
      return;
    }
    problem(where, "",
            "'" + shown.string() + "' takes the manifest with its includes past 16 MiB in all (" +
                std::to_string(bytes_) + " bytes in the files before it, " +
                (bytes > left ? std::to_string(bytes) : "more than " + std::to_string(left)) +
                " bytes in this one); a manifest is a few small text files");
  };
  if (const std::uintmax_t size = fs::file_size(shown, ec); !ec && size > left) {
    too_large(size);
    return;
  }
  const std::optional<std::string> read = read_at_most(shown, left);
  if (!read) {
    problem(where, "", "cannot read '" + shown.string() + "'; check its permissions");
    return;
  }
  if (read->size() > left) {
    too_large(0);
    return;
  }
  bytes_ += read->size();
  const std::string& text = *read;
  const fs::path base = root_file_.parent_path().lexically_normal();
  const std::string name =
      is_root ? root_file_.filename().string()
              : (base.empty() ? shown : shown.lexically_relative(base)).generic_string();
  manifest_.sources.push_back({shown, name, text});
  const YNodePtr root = parse(shown, text);
  if (root == nullptr)
    return;
  find_duplicates(shown, *root, "");
  if (root->kind != YNode::Kind::map) {
    problem(where_of(shown, root->mark), "",
            "expected a mapping of keys (" + text::join(is_root ? kRootKeys : kIncludedKeys, ", ") +
                ")");
    return;
  }
  chain_shown_.push_back(shown);
  chain_canonical_.push_back(canonical);
  if (is_root)
    root_where_ = where_of(shown, root->mark);
  read_top(shown, *root, is_root);
  chain_shown_.pop_back();
  chain_canonical_.pop_back();
}

void Loader::read_top(const fs::path& file, const YNode& root, bool is_root) {
  const auto& allowed = is_root ? kRootKeys : kIncludedKeys;
  std::vector<std::pair<fs::path, std::string>> includes;
  for (const auto& [key_node, value] : entries(root)) {
    const std::string& key = key_node->scalar;
    const std::string where = where_of(file, key_node->mark);
    if (plugin_path_only_ && key != "plugin_path")
      continue;
    if (!contains(allowed, key)) {
      if (!is_root && contains(kRootKeys, key)) {
        problem(where, key,
                "'" + key + "' is only allowed in the root manifest; an included file holds " +
                    text::join(kIncludedKeys, ", "));
      } else {
        problem(where, key,
                "unknown key '" + key + "'" + text::did_you_mean(key, allowed) +
                    "; allowed: " + text::join(allowed, ", "));
      }
      continue;
    }
    if (key == "kcube")
      scalar(file, *value, key, version_);
    else if (key == "experiment")
      scalar(file, *value, key, experiment_);
    else if (key == "description")
      scalar(file, *value, key, description_);
    else if (key == "store")
      scalar(file, *value, key, store_);
    else if (key == "include")
      read_includes(file, *value, includes);
    else if (key == "run")
      read_run(file, *value);
    else if (key == "sweep")
      read_sweep(file, *value);
    else if (key == "plugin_path")
      read_plugin_path(file, *value);
    else
      read_section(file, *section_index(key), *value);
  }
  for (const auto& [path, via] : includes)
    load_file(path, via, false);
}

void Loader::read_plugin_path(const fs::path& file, const YNode& node) {
  const auto items = scalar_or_list(file, node, "plugin_path",
                                    "expected a list of plugin folders or files, e.g. [plugins]");
  if (!items)
    return;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string path = "plugin_path[" + std::to_string(i) + "]";
    RawValue value;
    if (!scalar(file, *(*items)[i], path, value))
      continue;
    const std::string written(text::trim(value.text));
    if (written.empty()) {
      problem(value.where, path, "empty path; remove it or name a plugin folder or file");
      continue;
    }
    std::error_code ec;
    const fs::path resolved = (file.parent_path() / written).lexically_normal();
    const fs::path absolute = fs::absolute(resolved, ec);
    const fs::path entry = ec ? resolved : absolute;
    if (!fs::is_directory(entry, ec) && !fs::is_regular_file(entry, ec)) {
      problem(value.where, path,
              "'" + written + "' (" + entry.string() + ") " +
                  (fs::exists(entry, ec) ? "is neither a folder nor a regular file"
                                         : "does not exist") +
                  "; plugin_path entries are plugin folders or files, relative to the manifest "
                  "file");
      continue;
    }
    manifest_.plugin_path.push_back(entry);
  }
}

void Loader::read_includes(const fs::path& file, const YNode& node,
                           std::vector<std::pair<fs::path, std::string>>& out) {
  const auto items = scalar_or_list(file, node, "include", "expected a list of file paths");
  if (!items)
    return;
  for (const YNode* item : *items) {
    if (includes_over_limit_)
      return;
    if (++includes_named_ > kMaxIncludes) {
      includes_over_limit_ = true;
      problem(where_of(file, item->mark), "include",
              "more than " + std::to_string(kMaxIncludes) +
                  " included files in the manifest and its includes together; a study is a few "
                  "files: merge the small ones");
      return;
    }
    RawValue value;
    if (!scalar(file, *item, "include", value))
      continue;
    if (text::trim(value.text).empty()) {
      problem(value.where, "include", "empty file path; remove it or name a file");
      continue;
    }
    out.emplace_back((file.parent_path() / std::string(text::trim(value.text))).lexically_normal(),
                     value.where);
  }
}

void Loader::read_section(const fs::path& file, std::size_t section, const YNode& node) {
  if (node.kind == YNode::Kind::null)
    return;
  if (node.kind != YNode::Kind::map) {
    problem(where_of(file, node.mark), kSections[section],
            "expected a mapping NAME: {plugin: ..., params: {...}}");
    return;
  }
  for (const auto& [key, value] : entries(node))
    read_use(file, section, key->scalar, *key, *value);
}

void Loader::read_use(const fs::path& file, std::size_t section, const std::string& name,
                      const YNode& key, const YNode& node) {
  const std::string path = kSections[section] + "." + name;
  const std::string where = where_of(file, key.mark);
  if (!is_plain_name(name)) {
    problem(where, path,
            "name '" + name + "' may hold only letters, digits, '-' and '_'; rename it");
    return;
  }
  if (const auto other = use_index_[section].find(name); other != use_index_[section].end()) {
    problem(where, path,
            "'" + name + "' is defined twice (also at " + uses_[section][other->second].use.where +
                "); rename or remove one");
    return;
  }
  if (node.kind != YNode::Kind::map) {
    problem(where_of(file, node.mark), path, "expected a mapping {plugin: NAME, params: {...}}");
    return;
  }
  RawUse raw;
  bool plugin_key = false;
  raw.use.name = name;
  raw.use.where = where;
  raw.params_where = where;
  for (const auto& [k, v] : entries(node)) {
    const std::string& field = k->scalar;
    if (field == "plugin") {
      plugin_key = true;
      RawValue plugin;
      if (scalar(file, *v, path + ".plugin", plugin)) {
        raw.use.plugin = std::string(text::trim(plugin.text));
        raw.plugin_where = plugin.where;
        raw.has_plugin = true;
      }
    } else if (field == "params") {
      raw.params_where = where_of(file, k->mark);
      if (v->kind == YNode::Kind::null)
        continue;
      if (v->kind != YNode::Kind::map) {
        problem(where_of(file, v->mark), path + ".params", "expected a mapping KEY: VALUE");
        continue;
      }
      for (const auto& [pk, pv] : entries(*v)) {
        RawValue value;
        if (scalar(file, *pv, path + ".params." + pk->scalar, value))
          raw.use.params.push_back(
              {pk->scalar, value.text, value.where, fs::absolute(file).parent_path().string()});
      }
    } else if (field == "profiles" && kSections[section] == "scenarios") {
      const auto items = scalar_or_list(file, *v, path + ".profiles",
                                        "expected a list of profile names, e.g. [gpt5-mini]");
      for (std::size_t i = 0; items && i < items->size(); ++i) {
        RawValue value;
        if (scalar(file, *(*items)[i], path + ".profiles[" + std::to_string(i) + "]", value)) {
          raw.use.profiles.emplace_back(text::trim(value.text));
          raw.profile_wheres.push_back(value.where);
        }
      }
    } else {
      const bool scenario = kSections[section] == "scenarios";
      problem(where_of(file, k->mark), path + "." + field,
              "unknown key '" + field + "'" + text::did_you_mean(field, kUseKeys) +
                  (scenario ? "; allowed: plugin, params, profiles" : "; allowed: plugin, params"));
    }
  }
  if (!plugin_key) {
    problem(
        where, path,
        "missing required key 'plugin'; add 'plugin: NAME' ('kcube plugins list' shows the names)");
    raw.plugin_where = where;
  }
  use_index_[section].emplace(name, uses_[section].size());
  uses_[section].push_back(std::move(raw));
}

void Loader::add_default_aggregator() {
  if (!uses_[kAggregatorSection].empty())
    return;
  RawUse raw;
  raw.use.name = raw.use.plugin = std::string(kDefaultAggregator);
  raw.use.where = raw.plugin_where = raw.params_where =
      root_where_.empty() ? root_file_.string() : root_where_;
  raw.has_plugin = true;
  use_index_[kAggregatorSection].emplace(raw.use.name, 0);
  uses_[kAggregatorSection].push_back(std::move(raw));
}

void Loader::read_run(const fs::path& file, const YNode& node) {
  if (node.kind == YNode::Kind::null)
    return;
  if (node.kind != YNode::Kind::map) {
    problem(where_of(file, node.mark), "run", "expected a mapping of run settings");
    return;
  }
  for (const auto& [k, v] : entries(node)) {
    const std::string& key = k->scalar;
    if (!contains(kRunKeys, key)) {
      problem(where_of(file, k->mark), "run." + key,
              "unknown key '" + key + "'" + text::did_you_mean(key, kRunKeys) +
                  "; allowed: " + text::join(kRunKeys, ", "));
      continue;
    }
    RawValue value;
    if (scalar(file, *v, "run." + key, value))
      run_[key] = value;
  }
}

void Loader::read_sweep(const fs::path& file, const YNode& node) {
  if (node.kind == YNode::Kind::null)
    return;
  if (node.kind != YNode::Kind::map) {
    problem(where_of(file, node.mark), "sweep", "expected a mapping PATH: [values...]");
    return;
  }
  for (const auto& [k, v] : entries(node)) {
    RawAxis raw;
    raw.axis.path = k->scalar;
    raw.axis.where = where_of(file, k->mark);
    const std::string path = "sweep." + k->scalar;
    if (v->kind != YNode::Kind::sequence) {
      problem(where_of(file, v->mark), path, "expected a list of values, e.g. [1, 2, 4]");
      continue;
    }
    if (v->items.empty()) {
      problem(raw.axis.where, path,
              "empty list of values; give at least one value or remove the axis");
      continue;
    }
    std::set<std::string> seen;
    for (const auto& item : v->items) {
      RawValue value;
      if (!scalar(file, *item, path, value))
        continue;
      if (!seen.insert(value.text).second) {
        problem(value.where, path, "value '" + value.text + "' appears twice; keep one");
        continue;
      }
      raw.axis.values.push_back(value.text);
      raw.value_wheres.push_back(value.where);
    }
    sweep_.push_back(std::move(raw));
  }
}

void Loader::apply_override(const std::string& text) {
  const std::string where = override_where(text);
  const auto equals = text.find('=');
  if (equals == std::string::npos) {
    problem(where, "", "expected PATH=VALUE, e.g. run.trials=300");
    return;
  }
  const std::string path(text::trim(std::string_view(text).substr(0, equals)));
  const std::string value = text.substr(equals + 1);
  const auto parts = split(path, '.');
  const std::vector<std::string> settable = {"kcube",     "experiment", "description",
                                             "store",     "run",        "profiles",
                                             "scenarios", "optimizers", "aggregators"};
  const std::string& head = parts.front();
  if (head == "include" || head == "sweep") {
    problem(where, path, "'" + head + "' cannot be set with --set; edit the manifest");
    return;
  }
  if (head == "plugin_path") {
    problem(where, path,
            "'plugin_path' cannot be set with --set; give --plugin-path DIR or edit the manifest");
    return;
  }
  if (!contains(settable, head)) {
    problem(where, path,
            "unknown path '" + path + "'" + text::did_you_mean(head, settable) +
                "; paths start with " + text::join(settable, ", "));
    return;
  }
  if (parts.size() == 1 && head != "run" && !section_index(head)) {
    RawValue& target = head == "kcube"         ? version_
                       : head == "experiment"  ? experiment_
                       : head == "description" ? description_
                                               : store_;
    target = {value, where, true};
    return;
  }
  if (head == "run") {
    if (parts.size() != 2 || !contains(kRunKeys, parts[1])) {
      const std::string key = parts.size() > 1 ? parts[1] : "";
      problem(where, path,
              "unknown run setting '" + key + "'" + text::did_you_mean(key, kRunKeys) +
                  "; allowed: " + text::join(kRunKeys, ", "));
      return;
    }
    run_[parts[1]] = {value, where, true};
    return;
  }
  const auto section = section_index(head);
  if (!section || parts.size() < 3 || (parts[2] == "params" && parts.size() != 4) ||
      (parts[2] != "params" && (parts[2] != "plugin" || parts.size() != 3))) {
    problem(where, path,
            "expected " + head + ".NAME.plugin or " + head + ".NAME.params.KEY" +
                (parts.size() >= 3 ? text::did_you_mean(parts[2], kUseKeys) : std::string()));
    return;
  }
  const auto index = find_use(*section, parts[1], where, path);
  if (!index)
    return;
  RawUse* use = &uses_[*section][*index];
  if (parts[2] == "plugin") {
    use->use.plugin = std::string(text::trim(value));
    use->plugin_where = where;
    use->has_plugin = true;
    return;
  }
  for (auto& param : use->use.params) {
    if (param.key == parts[3]) {
      param.value = value;
      param.where = where;
      param.base.clear();  // a path given on the command line is relative to the working folder
      return;
    }
  }
  use->use.params.push_back({parts[3], value, where, {}});
}

ProblemRank Loader::rank(const std::string& where) const {
  // Every file a problem names is loaded before the problem is found, so its rank is final.
  for (std::size_t i = 0; i < manifest_.sources.size(); ++i) {
    const std::string file = manifest_.sources[i].path.string();
    if (where.compare(0, file.size(), file) != 0)
      continue;
    if (where.size() == file.size())
      return {i, 0, 0, problem_count_};
    if (where[file.size()] != ':')
      continue;
    const auto parts = split(std::string_view(where).substr(file.size() + 1), ':');
    if (parts.size() == 2)
      return {i, parse_int(parts[0]).value_or(0), parse_int(parts[1]).value_or(0), problem_count_};
  }
  return {manifest_.sources.size(), 0, 0, problem_count_};
}

void Loader::problem(std::string where, std::string path, std::string message) {
  const ProblemRank key = rank(where);
  ++problem_count_;
  if (problems_.size() == kMaxProblems && !(key < problems_.back().first))
    return;
  const auto at = std::upper_bound(
      problems_.begin(), problems_.end(), key,
      [](const ProblemRank& k, const std::pair<ProblemRank, Problem>& p) { return k < p.first; });
  problems_.insert(at, {key, {std::move(where), std::move(path), std::move(message)}});
  if (problems_.size() > kMaxProblems)
    problems_.pop_back();
}

std::vector<fs::path> Loader::plugin_path_only(const fs::path& file) {
  root_file_ = file;
  manifest_.file = file;
  plugin_path_only_ = true;
  load_file(file, "", true);
  return std::move(manifest_.plugin_path);
}

void Loader::throw_problems(const fs::path& file) const {
  if (problem_count_ == 0)
    return;
  std::string message = "manifest '" + file.string() + "' has " + std::to_string(problem_count_) +
                        " problem" + (problem_count_ == 1 ? "" : "s") + ":";
  for (const auto& [key, p] : problems_)
    message += "\n  " + p.where + ": " + (p.path.empty() ? "" : p.path + ": ") + p.message;
  if (problem_count_ > problems_.size())
    message += "\n  ... and " + std::to_string(problem_count_ - problems_.size()) + " more";
  // Keys and values are quoted as written: a NUL would cut what() short, an ESC would reach
  // the terminal.
  throw Error(text::printable(message));
}

std::vector<SweepAxis> Loader::read_sweep_of(const std::string& text, const fs::path& name) {
  std::vector<SweepAxis> axes;
  const YNodePtr root = parse(name, text);
  if (root != nullptr && root->kind == YNode::Kind::map) {
    for (const auto& [key, value] : entries(*root)) {
      if (key->scalar == "sweep")
        read_sweep(name, *value);
    }
  }
  throw_problems(name);
  for (auto& raw : sweep_)
    axes.push_back(std::move(raw.axis));
  return axes;
}

Manifest Loader::load(const fs::path& file, const std::vector<std::string>& overrides) {
  root_file_ = file;
  manifest_.file = file;
  load_file(file, "", true);
  if (problem_count_ != 0 && manifest_.sources.empty()) {
    // The root file itself could not be read: nothing else can be checked.
  } else if (root_where_.empty() && problem_count_ != 0) {
    // The root did not parse: only its own problems are meaningful.
  } else {
    add_default_aggregator();
    for (const auto& text : overrides)
      apply_override(text);
    validate_top();
    validate_run();
    validate_uses();
    validate_sweep();
    count_cells();
  }
  throw_problems(file);
  Sha256 hash;
  hash.update(manifest_.sources.front().text);
  for (std::size_t i = 1; i < manifest_.sources.size(); ++i) {
    hash.update(manifest_.sources[i].name);
    hash.update(manifest_.sources[i].text);
  }
  manifest_.sha256 = hash.hex();
  return std::move(manifest_);
}

}  // namespace kcube::manifest_detail
