// Locale-independent formatting of doubles for report tables and plot labels.
// Scientific output is produced first so the rounded exponent decides between %g's two forms.
#include "tools/report/number_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

namespace tq::report {
namespace {

// Fixed notation of 1e308 needs 309 integer digits, plus sign, point and 30 decimals.
constexpr int kMaxFixedChars = 360;
constexpr int kMaxDecimals = 30;

}  // namespace

std::string FormatShortest(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, end);
}

std::string FormatFixed(double value, int decimals) {
  if (!std::isfinite(value)) return FormatShortest(value);
  decimals = std::clamp(decimals, 0, kMaxDecimals);
  char buf[kMaxFixedChars];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed, decimals);
  return std::string(buf, end);
}

std::string FormatSignificant(double value, int digits) {
  if (!std::isfinite(value)) return FormatShortest(value);
  digits = std::clamp(digits, 1, 17);
  char buf[64];
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific, digits - 1);
  std::string_view sci(buf, end - buf);
  // The exponent after rounding (9.996 -> "1.00e+01") decides the layout, as in printf's %g.
  const size_t e_pos = sci.find('e');
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
  int exponent = 0;
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  if (exponent < -4 || exponent >= digits) return std::string(sci);
  return FormatFixed(value, digits - 1 - exponent);
}

}  // namespace tq::report
