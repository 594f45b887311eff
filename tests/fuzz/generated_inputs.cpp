#include "generated_inputs.hpp"

#include <cstddef>
#include <string>

namespace kcube::fuzz {
namespace {

// `head`, then `item(i)` for i = 0, 1, ... while the text stays within `large` bytes, then
// `tail`.
template <class Item>
std::string fill(std::size_t large, std::string head, Item item, const std::string& tail = "") {
  for (std::size_t i = 0;; ++i) {
    const std::string next = item(i);
    if (head.size() + next.size() + tail.size() > large)
      break;
    head += next;
  }
  return head + tail;
}

std::string padded(std::size_t i, std::size_t width) {
  std::string digits = std::to_string(i);
  return std::string(width > digits.size() ? width - digits.size() : 0, '0') + digits;
}

// The nine-by-nine "billion laughs": 9^depth copies of one list if it were expanded.
std::string laughs(int depth, const std::string& leaf) {
  std::string text = "l0: &l0 " + leaf + "\n";
  for (int i = 1; i <= depth; ++i) {
    const std::string previous = "*l" + std::to_string(i - 1);
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int j = 0; j < 9; ++j)
      text += (j ? ", " : "") + previous;
    text += "]\n";
  }
  return text;
}

const std::string kManifestHead =
    "kcube: 1\n"
    "experiment: t\n"
    "profiles:\n"
    "  p: {plugin: gaussian, params: {c_in: 1e-6, c_out: 1e-6, t_in: 0.001, t_out: 0.01,"
    " acc_mean: 0.5, acc_std: 0.1}}\n"
    "scenarios:\n"
    "  s: {plugin: budget, params: {cost_max: 1}}\n";

std::vector<GeneratedInput> manifest_inputs(std::size_t large) {
  std::vector<GeneratedInput> in;
  // Many definitions: names are checked for duplicates, every one against its plugin.
  in.push_back(
      {"profiles-large",
       fill(large, "kcube: 1\nexperiment: t\nscenarios: {s: {plugin: budget}}\nprofiles:\n",
            [](std::size_t i) {
              return "  profile_with_a_long_name_" + padded(i, 8) + ": {plugin: gaussian}\n";
            })});
  in.push_back(
      {"sweep-values-large", fill(
                                 large, kManifestHead + "sweep:\n  scenarios.s.params.k_max: [",
                                 [](std::size_t i) { return padded(i, 18) + ", "; }, "1]\n")});
  // Half the file defines optimizers, half names ones that do not exist: each miss is looked up
  // among them and reported with the names defined.
  const auto optimizers = [large](std::string_view tail) {
    std::string text = kManifestHead + "optimizers:\n";
    for (std::size_t i = 0; text.size() < large / 2; ++i)
      text += "  o" + padded(i, 7) + ": {plugin: accuracy-max}\n";
    return text + std::string(tail);
  };
  in.push_back({"sweep-axes-naming-missing-entries-large",
                fill(large, optimizers("sweep:\n"), [](std::size_t i) {
                  return "  optimizers.x" + padded(i, 7) + ".params.k: [1]\n";
                })});
  in.push_back(
      {"overrides-naming-missing-entries-large", fill(large, optimizers(""), [](std::size_t i) {
         return "#@set optimizers.x" + padded(i, 7) + ".params.k=1\n";
       })});
  in.push_back({"unknown-keys-large", fill(large, kManifestHead, [](std::size_t i) {
                  return "an_unknown_key_" + padded(i, 20) + ": 1\n";
                })});
  in.push_back(
      {"includes-large",
       fill(
           large, kManifestHead + "include: [",
           [](std::size_t i) { return "missing/" + padded(i, 12) + ".yaml, "; }, "m.yaml]\n")});
  in.push_back({"overrides-large", fill(large, kManifestHead, [](std::size_t i) {
                  return "#@set run.trials=" + std::to_string(i + 2) + "\n";
                })});
  in.push_back({"huge-key-large",
                kManifestHead + std::string(large - kManifestHead.size() - 4, 'x') + ": 1\n"});
  in.push_back({"huge-value-large",
                "kcube: 1\nexperiment: " + std::string(large - 32, 'a') + "\nprofiles: {}\n"});
  in.push_back({"huge-param-large",
                kManifestHead + "optimizers:\n  o: {plugin: knee-point, params: {method: " +
                    std::string(large - kManifestHead.size() - 64, 'c') + "}}\n"});
  in.push_back({"comments-large", fill(large, kManifestHead, [](std::size_t i) {
                  return "# comment " + padded(i, 40) + "\n";
                })});
  in.push_back({"invalid-utf8-at-the-end-large",
                fill(
                    large, kManifestHead + "description: ",
                    [](std::size_t) { return std::string("\xC3\xA9"); }, "\xC3(\n")});
  in.push_back({"over-16MiB", "kcube: 1\n# " + std::string((std::size_t{16} << 20) + 1, 'x')});
  // Depth: flow and block style, far deeper than the limit of 64.
  in.push_back({"deep-flow-sequences-large", "kcube: 1\nx: " + std::string(large / 2 - 8, '[') +
                                                 std::string(large / 2 - 8, ']') + "\n"});
  in.push_back({"deep-flow-mappings",
                fill(large, "kcube: 1\nx: ", [](std::size_t) { return std::string("{a: "); })});
  in.push_back({"deep-block-sequences", fill(
                                            large, "kcube: 1\nx:\n",
                                            [](std::size_t) { return std::string("- "); }, "a\n")});
  std::string block = "kcube: 1\nrun:\n";
  for (std::size_t depth = 1; block.size() < large - 8192; ++depth)
    block += std::string(depth, ' ') + "k:\n";
  in.push_back({"deep-block-mappings-large", block});
  // Aliases: the classic bomb, one just under the expansion limit whose copies all hold
  // duplicate keys, and one whose expansion is deeper than the limit.
  in.push_back({"billion-laughs",
                kManifestHead + laughs(9, "[lol, lol, lol, lol, lol, lol, lol, lol, lol]")});
  in.push_back({"laughs-with-duplicate-keys", kManifestHead + laughs(5, "{a: 1, a: 2, b: 3}")});
  in.push_back({"laughs-in-a-section",
                kManifestHead + laughs(5, "{plugin: knee-point}") + "optimizers: {o: *l0}\n"});
  std::string deep_alias =
      "kcube: 1\nexperiment: t\na: &a " + std::string(60, '[') + std::string(60, ']') + "\n";
  for (int i = 0; i < 1000; ++i)
    deep_alias += "b" + std::to_string(i) + ": [[[[[[*a]]]]]]\n";
  in.push_back({"deep-through-aliases", deep_alias});
  // Includes: a long chain that closes into a cycle, and a file including itself many times.
  std::string chain = kManifestHead + "include: [c0.yaml]\n";
  for (int i = 0; i < 200; ++i) {
    chain += "#@file c" + std::to_string(i) + ".yaml\ninclude: [c" +
             std::to_string(i + 1 == 200 ? 0 : i + 1) + ".yaml]\n";
  }
  in.push_back({"include-cycle-of-200", chain});
  return in;
}

const std::string kCsvHead = "k,cost,latency,accuracy,cost_p95,latency_p95,accuracy_p05\n";

std::vector<GeneratedInput> csv_inputs(std::size_t large) {
  std::vector<GeneratedInput> in;
  in.push_back({"rows-large", fill(large, kCsvHead, [](std::size_t i) {
                  const std::string k = std::to_string(i + 1);
                  return k + ",0.00" + k + ",0.0" + k + ",0.5,0.00" + k + "1,0.0" + k + "1,0.4\n";
                })});
  in.push_back({"bad-rows-large", fill(large, "k,cost,latency,accuracy\n",
                                       [](std::size_t) { return std::string("x\n"); })});
  in.push_back({"nan-rows-large", fill(large, "k,cost,latency,accuracy\n", [](std::size_t i) {
                  return std::to_string(i + 1) + ",nan,inf,-0\n";
                })});
  in.push_back({"duplicate-k-large", fill(large, "k,cost,latency,accuracy\n",
                                          [](std::size_t) { return std::string("1,1,1,1\n"); })});
  in.push_back({"empty-header-fields-large", std::string(large, ',')});
  in.push_back({"empty-row-fields-large", "k,cost,latency,accuracy\n" + std::string(large, ',')});
  in.push_back({"unknown-then-duplicate-columns-large",
                fill(
                    large, std::string(large / 2 - 2, 'z') + ",",
                    [](std::size_t i) { return std::string(i < 2000 ? "zz," : "k,"); }, "k\n")});
  in.push_back({"quantile-columns-large",
                fill(
                    large, "k,cost,latency,accuracy",
                    [](std::size_t i) { return ",cost_p" + padded(i % 1000, 3); }, "\n")});
  in.push_back({"huge-number-large",
                "k,cost,latency,accuracy\n1,0." + std::string(large - 64, '0') + "1,1,0.5\n"});
  in.push_back({"huge-quoted-field-large",
                "k,cost,latency,accuracy\n1,\"" + std::string(large - 64, '"') + "\",1,0.5\n"});
  in.push_back(
      {"unterminated-quotes-large",
       fill(large, "k,cost,latency,accuracy\n", [](std::size_t) { return std::string("\"1\n"); })});
  in.push_back({"comments-large", fill(large, "", [](std::size_t) { return std::string("#\n"); })});
  in.push_back({"crlf-and-blanks-large",
                fill(
                    large, "\xEF\xBB\xBFk,cost,latency,accuracy\r\n",
                    [](std::size_t) { return std::string(" \t\r\n"); }, "1,1,1,1\r\n")});
  return in;
}

std::vector<GeneratedInput> spec_inputs(std::size_t large) {
  std::vector<GeneratedInput> in;
  in.push_back({"many-params-large", fill(large, "budget:k_max=1",
                                          [](std::size_t) { return std::string(",k_max=1"); })});
  in.push_back({"many-unknown-params-large", fill(large, "budget:x=1", [](std::size_t i) {
                  return ",unknown_" + std::to_string(i) + "=1";
                })});
  in.push_back({"huge-name-large", std::string(large, 'x')});
  in.push_back({"huge-key-large", "budget:" + std::string(large - 16, 'x') + "=1"});
  in.push_back({"huge-value-large", "budget:cost_max=" + std::string(large - 32, '9')});
  in.push_back({"huge-fraction-large", "budget:cost_max=0." + std::string(large - 32, '0') + "1"});
  in.push_back({"huge-quoted-value-large",
                "gaussian:c_in=1e-6,c_out=1e-6,t_in=1e-3,t_out=1e-2,acc_mean=0.5,acc_std=0.1,"
                "display_name=\"" +
                    std::string(large - 128, '\\') + "\""});
  in.push_back({"commas-large", "budget:" + std::string(large, ',')});
  in.push_back({"colons-large", "budget" + std::string(large, ':')});
  return in;
}

}  // namespace

std::vector<GeneratedInput> generated_inputs(std::string_view target, std::size_t large_bytes) {
  if (target == "manifest")
    return manifest_inputs(large_bytes);
  if (target == "candidate_csv")
    return csv_inputs(large_bytes);
  if (target == "spec")
    return spec_inputs(large_bytes);
  return {};
}

}  // namespace kcube::fuzz
