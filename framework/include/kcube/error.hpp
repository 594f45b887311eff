// kcube public SDK: the error types every layer reports through.
#pragma once

#include <stdexcept>
#include <string>

namespace kcube {

/// A mistake in what the user gave kcube (a manifest, a CSV, a spec string, plugin parameters or
/// plugin files). The message says what is wrong, where (file, line, key path, plugin) and how to
/// fix it. The CLI maps it to exit code 2.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A failure while work runs that is not the user's input: a plugin threw during selection, a
/// file could not be written. The CLI maps it to exit code 1.
class RuntimeFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace kcube
