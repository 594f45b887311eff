// Shared by the faulty fixture plugins: the faults any of their methods can have.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "kcube/error.hpp"
#include "kcube/params.hpp"

namespace fixture {

/// When a fault strikes (`while_file`: only while that file exists; empty: always) and what
/// fault=exit does: std::exit(status).
struct ExitFault {
  int status = 0;
  std::string while_file;
};

/// When `where` names `method`, does what `fault` says: "throw" throws a std::runtime_error,
/// "throw-error" a kcube::Error, "throw-int" an int, "sleep" sleeps `sleep_s` seconds, and
/// "exit" calls std::exit(exit_fault.status); each only while the file exit_fault.while_file
/// exists, when one is named (a test removes it to "fix" the plugin and resume the run with the
/// same overrides, or creates it to break a plugin after the run, for `kcube report`). Other
/// faults (wrong values) are the fixture's own.
inline void strike(std::string_view fault, std::string_view where, const char* method,
                   double sleep_s, const ExitFault& exit_fault) {
  if (where != method)
    return;
  if (!exit_fault.while_file.empty() && !std::filesystem::exists(exit_fault.while_file))
    return;
  if (fault == "throw")
    throw std::runtime_error(std::string("injected fault in ") + method);
  if (fault == "throw-error")
    throw kcube::Error(std::string("injected kcube::Error in ") + method);
  if (fault == "throw-int")
    throw 42;
  if (fault == "sleep")
    std::this_thread::sleep_for(std::chrono::duration<double>(sleep_s));
  if (fault == "exit")
    std::exit(exit_fault.status);
}

/// The parameters of fault=exit, which every faulty fixture has.
inline constexpr kcube::ParamSpec kExitStatusParam{
    .key = "exit_status",
    .type = kcube::ParamType::integer,
    .default_value = "0",
    .min = 0,
    .max = 255,
    .doc = "the status fault=exit passes to std::exit"};
inline constexpr kcube::ParamSpec kStrikeWhileParam{
    .key = "strike_while",
    .type = kcube::ParamType::string,
    .default_value = "",
    .doc = "the fault (throw, sleep, exit) strikes only while this file exists (empty: always)"};

/// The ExitFault of a fixture's parameters.
inline ExitFault exit_fault(const kcube::Params& params) {
  return {static_cast<int>(kcube::get_int(params, "exit_status")),
          kcube::get_string(params, "strike_while")};
}

}  // namespace fixture
