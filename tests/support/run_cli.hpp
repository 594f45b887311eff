// Test support: run the kcube CLI and capture its exit code, stdout and stderr.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "temp_dir.hpp"

namespace kcube::test {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `kcube ARGS` through the shell (ARGS is shell text) with `env` prepended
/// (e.g. "KCUBE_PLUGIN_PATH=/x"), and `input` on standard input.
inline CliResult run_cli(const std::string& args, const std::string& input = "",
                         const std::string& env = "") {
  TempDir dir;
  const auto in = dir.path() / "stdin";
  const auto out = dir.path() / "stdout";
  const auto err = dir.path() / "stderr";
  std::ofstream(in) << input;
  const std::string command = "env -u KCUBE_PLUGIN_PATH " + env + " '" KCUBE_TEST_CLI "' " + args +
                              " <'" + in.string() + "' >'" + out.string() + "' 2>'" + err.string() +
                              "'";
  const int status = std::system(command.c_str());
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::stringstream o, e;
  o << std::ifstream(out).rdbuf();
  e << std::ifstream(err).rdbuf();
  result.out = o.str();
  result.err = e.str();
  return result;
}

}  // namespace kcube::test
