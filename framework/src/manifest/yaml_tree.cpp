#include "manifest/yaml_tree.hpp"

#include <algorithm>

namespace kcube::manifest_detail {

void TreeBuilder::OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) {
  auto node = std::make_shared<YNode>();
  node->mark = mark;
  finish(node, anchor);
}

void TreeBuilder::OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) {
  const auto found = anchors_.find(anchor);
  if (found == anchors_.end())
    throw ParseLimit{mark, "alias to an anchor that is not complete yet (recursive alias)"};
  aliased_ = true;
  attach(found->second, mark, found->second->size);  // its whole subtree once more
}

void TreeBuilder::OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                           const std::string& value) {
  auto node = std::make_shared<YNode>();
  node->kind = YNode::Kind::scalar;
  node->scalar = value;
  node->mark = mark;
  finish(node, anchor);
}

void TreeBuilder::open(YNode::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
  if (stack_.size() + 1 > kMaxDepth) {
    throw ParseLimit{mark, "nesting deeper than " + std::to_string(kMaxDepth) +
                               " levels; a manifest never needs this many"};
  }
  auto node = std::make_shared<YNode>();
  node->kind = kind;
  node->mark = mark;
  stack_.push_back({std::move(node), anchor});
}

void TreeBuilder::close() {
  Frame frame = std::move(stack_.back());
  stack_.pop_back();
  std::size_t height = 0;
  for (const auto& item : frame.node->items)
    height = std::max(height, item->height);
  frame.node->height = height + 1;
  finish(frame.node, frame.anchor);
}

void TreeBuilder::finish(const std::shared_ptr<YNode>& node, YAML::anchor_t anchor) {
  if (anchor != YAML::NullAnchor)
    anchors_[anchor] = node;
  attach(node, node->mark, 1);  // its children were counted as they were attached
}

void TreeBuilder::attach(const YNodePtr& node, const YAML::Mark& mark, std::size_t added) {
  if (stack_.size() + node->height > kMaxDepth) {
    throw ParseLimit{mark, "nesting deeper than " + std::to_string(kMaxDepth) +
                               " levels (aliases included); a manifest never needs this many"};
  }
  total_ += added;
  if (total_ > kMaxNodes)
    throw ParseLimit{mark, too_many_nodes()};
  if (stack_.empty()) {
    root_ = node;
    return;
  }
  YNode& parent = *stack_.back().node;
  parent.items.push_back(node);
  parent.size += node->size;
}

std::string TreeBuilder::too_many_nodes() const {
  const std::string limit = std::to_string(kMaxNodes);
  const std::string what = earlier_ == 0
                               ? "the document"
                               : "the manifest with its includes (" + std::to_string(earlier_) +
                                     " nodes in the files before this one)";
  const std::string count = earlier_ == 0 ? " nodes" : " nodes in all";
  return aliased_ ? what + " expands to more than " + limit + count +
                        " (aliases repeat whole subtrees); remove the aliases"
                  : what + " has more than " + limit + count + "; a manifest is a small file";
}

}  // namespace kcube::manifest_detail
