// Private: calling into plugin code. Whatever a plugin method throws -- a std::exception, a
// kcube::Error, or something that is no exception class at all (`throw 42`) -- leaves the call
// as one kcube::RuntimeFailure that names the plugin and the method. Only factories may report a
// user's mistake (kcube::Error, see PluginFactory); any other method that throws is a plugin
// failing at run time.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "host/exit_guard.hpp"
#include "kcube/error.hpp"

namespace kcube {

/// The message of the exception being handled; for one not derived from std::exception (e.g.
/// `throw 42`), says so. Call only inside a catch block.
inline std::string current_exception_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "it threw something that is not a std::exception";
  }
}

/// Returns `call()`, a call of plugin method `method` (e.g. "draw_path"); when it throws,
/// throws RuntimeFailure "<who> failed in <method>: <message>", `who` naming the plugin and its
/// file (e.g. "model profile 'gaussian' (/usr/lib/kcube/plugins/....so)"). While it runs, an
/// exit() from the plugin ends kcube with a message naming both (exit_guard.hpp).
template <class Call>
decltype(auto) call_plugin(std::string_view who, std::string_view method, Call&& call) {
  try {
    const PluginCallGuard guard(who, method);
    return std::forward<Call>(call)();
  } catch (...) {
    throw RuntimeFailure(std::string(who) + " failed in " + std::string(method) + ": " +
                         current_exception_text());
  }
}

}  // namespace kcube
