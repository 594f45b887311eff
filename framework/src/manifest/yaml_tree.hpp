// Private: a YAML tree with positions, built from yaml-cpp's parser events, for the manifest
// loader. Aliases share their anchor's node (a DAG), and every node knows its expanded size and
// height, so alias bombs and depth bombs are caught while parsing, before anything walks the tree.
#pragma once

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kcube::manifest_detail {

// Hostile-input limits: deeper nesting or larger alias expansion is refused before any walk.
// The node limit holds for the manifest and all its includes together: five includes each just
// under the limit once took 630 MB and 17 s.
inline constexpr std::size_t kMaxDepth = 64;
inline constexpr std::size_t kMaxNodes = 1000000;

struct YNode;
using YNodePtr = std::shared_ptr<const YNode>;

struct YNode {
  enum class Kind { null, scalar, sequence, map };
  Kind kind = Kind::null;
  std::string scalar;
  YAML::Mark mark;
  // Sequence items; for a map, keys and values alternate.
  std::vector<YNodePtr> items;
  std::size_t size = 1;    // nodes after alias expansion
  std::size_t height = 1;  // levels, this one included
};

/// Thrown by TreeBuilder when the document crosses kMaxDepth or kMaxNodes, or holds a recursive
/// alias: where, and what to tell the user.
struct ParseLimit {
  YAML::Mark mark;
  std::string message;
};

/// Builds the YNode tree of one document from parser events; throws ParseLimit.
class TreeBuilder : public YAML::EventHandler {
 public:
  /// `earlier_nodes`: the nodes of the files of the manifest loaded before this one, which
  /// count against the same kMaxNodes.
  explicit TreeBuilder(std::size_t earlier_nodes = 0)
      : earlier_(earlier_nodes), total_(earlier_nodes) {}
  YNodePtr root() const { return root_; }
  /// Nodes of this document after alias expansion, plus the earlier files' nodes.
  std::size_t total() const { return total_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override;
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(YNode::Kind::sequence, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(YNode::Kind::map, mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    std::shared_ptr<YNode> node;
    YAML::anchor_t anchor;
  };

  void open(YNode::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor);
  void close();
  void finish(const std::shared_ptr<YNode>& node, YAML::anchor_t anchor);
  // Adds `node` to the open collection; `added` nodes more in the expanded document.
  void attach(const YNodePtr& node, const YAML::Mark& mark, std::size_t added);
  std::string too_many_nodes() const;

  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, YNodePtr> anchors_;
  YNodePtr root_;
  std::size_t earlier_;
  std::size_t total_;
  bool aliased_ = false;
};

}  // namespace kcube::manifest_detail
