// kcube public SDK: numbers in text meant for people (labels, reasons, error messages).
#pragma once

#include <cstdio>
#include <string>

namespace kcube {

/// `value` with `significant_digits` significant digits, as printf's "%.*g": 0.123456789 ->
/// "0.123457" (6 digits), 1234567 -> "1.235e+06" (4 digits), "inf", "nan". For display only;
/// values that must round-trip are written with 17 digits.
inline std::string format_number(double value, int significant_digits = 6) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*g", significant_digits, value);
  return text;
}

}  // namespace kcube
