// kcube public SDK: the error types every layer reports through.
#pragma once

#include <stdexcept>
#include <string>

#include <boost/config.hpp>

namespace kcube {

/// A mistake in what the user gave kcube (a manifest, a CSV, a spec string, plugin parameters or
/// plugin files). The message says what is wrong, where (file, line, key path, plugin) and how to
/// fix it. The CLI maps it to exit code 2.
class BOOST_SYMBOL_VISIBLE Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  // Out of line in libkcube: one type identity for the host and every plugin, so a plugin's
  // throw reaches the host's catch.
  ~Error() override;
};

/// A failure while work runs that is not the user's input: a plugin threw during selection, a
/// file could not be written. The CLI maps it to exit code 1.
class BOOST_SYMBOL_VISIBLE RuntimeFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ~RuntimeFailure() override;
};

}  // namespace kcube
