// The message of an exception a test expects, for checks on what it says.
#pragma once

#include <functional>
#include <string>

#include "kcube/error.hpp"

namespace kcube::test {

/// The message of the E that `f` throws, or a text saying that none was thrown.
template <class E = kcube::Error>
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(the expected exception was not thrown)";
}

}  // namespace kcube::test
