// Shared by the faulty fixture plugins: the faults any of their methods can have.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "kcube/error.hpp"

namespace fixture {

/// When `where` names `method`, does what `fault` says: "throw" throws a std::runtime_error,
/// "throw-error" a kcube::Error, "throw-int" an int, and "sleep" sleeps `sleep_s` seconds. Other
/// faults (wrong values) are the fixture's own.
inline void strike(std::string_view fault, std::string_view where, const char* method,
                   double sleep_s) {
  if (where != method)
    return;
  if (fault == "throw")
    throw std::runtime_error(std::string("injected fault in ") + method);
  if (fault == "throw-error")
    throw kcube::Error(std::string("injected kcube::Error in ") + method);
  if (fault == "throw-int")
    throw 42;
  if (fault == "sleep")
    std::this_thread::sleep_for(std::chrono::duration<double>(sleep_s));
}

}  // namespace fixture
