// Axis range and tick selection for line plots: linear axes step by 1, 2 or 5 x 10^k,
// log axes tick at powers of their base. Pure arithmetic, kept apart from the SVG drawing.
#include "tools/report/plot_axis.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

#include "tools/report/number_format.h"

namespace tq::report {
namespace {

// Slack for floating-point noise when comparing tick positions with range ends, in units of
// one step (linear) or one power (log).
constexpr double kEps = 1e-9;
// Bounds the tick loops whatever the inputs; real plots have a few dozen at most.
constexpr int kMaxTicks = 200;

double Base(AxisScale scale) { return scale == AxisScale::kLog2 ? 2.0 : 10.0; }

double Transform(AxisScale scale, double value) {
  switch (scale) {
    case AxisScale::kLog2:
      return std::log2(value);
    case AxisScale::kLog10:
      return std::log10(value);
    case AxisScale::kLinear:
      break;
  }
  return value;
}

// Rounds exponents that are integers up to floating-point noise (log10(1000) may be 2.9999...).
double SnapToInteger(double e) {
  const double r = std::round(e);
  return std::abs(e - r) < kEps ? r : e;
}

// base^k; pow is exact for the powers of two and correctly rounded for the powers of ten.
double PowerOf(double base, int exponent) { return std::pow(base, static_cast<double>(exponent)); }

std::string Superscript(int value) {
  static constexpr const char* kDigits[] = {"\u2070", "\u00B9", "\u00B2", "\u00B3", "\u2074",
                                            "\u2075", "\u2076", "\u2077", "\u2078", "\u2079"};
  std::string digits = std::to_string(std::abs(value));
  std::string out = value < 0 ? "\u207B" : "";
  for (char d : digits) out += kDigits[d - '0'];
  return out;
}

std::string PowerLabel(AxisScale scale, int exponent) {
  // Small powers of two read better as plain integers (k = 1, 2, 4, ..., 65536).
  if (scale == AxisScale::kLog2 && exponent >= 0 && exponent <= 16) {
    return std::to_string(1 << exponent);
  }
  return (scale == AxisScale::kLog2 ? "2" : "10") + Superscript(exponent);
}

// %g with three significant digits: labels for range ends that are not powers of the base.
std::string CompactLabel(double value) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::general, 3);
  return std::string(buf, end);
}

// `value` as "m×10ⁿ" with up to `digits` significant digits in m, trailing zeros dropped.
std::string TimesPowerOfTen(double value, int digits) {
  if (value == 0.0) return "0";
  char buf[40];
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific, digits - 1);
  const std::string_view text(buf, end - buf);
  const size_t e_pos = text.find('e');
  std::string mantissa(text.substr(0, e_pos));
  if (mantissa.find('.') != std::string::npos) {
    while (mantissa.back() == '0') mantissa.pop_back();
    if (mantissa.back() == '.') mantissa.pop_back();
  }
  std::string_view exp_text = text.substr(e_pos + 1);
  if (exp_text.front() == '+') exp_text.remove_prefix(1);
  int exponent = 0;
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  return mantissa + "\u00D7" + "10" + Superscript(exponent);
}

// The smallest of 1, 2, 5 x 10^k that is at least `raw`.
double NiceStep(double raw) {
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double residual = raw / magnitude;
  if (residual <= 1.0 + kEps) return magnitude;
  if (residual <= 2.0 + kEps) return 2.0 * magnitude;
  if (residual <= 5.0 + kEps) return 5.0 * magnitude;
  return 10.0 * magnitude;
}

void LayoutLinear(double data_min, double data_max, std::optional<double> fixed_min,
                  std::optional<double> fixed_max, int target_ticks, AxisLayout& axis) {
  double lo = fixed_min.value_or(data_min);
  double hi = fixed_max.value_or(data_max);
  if (!(lo < hi)) {
    // One distinct value (or none): open a window around it so it sits mid-axis.
    const double center = std::isfinite(lo) ? lo : 0.0;
    const double half = center != 0.0 ? std::abs(center) * 0.1 : 1.0;
    lo = fixed_min.value_or(center - half);
    hi = fixed_max.value_or(center + half);
    if (!(lo < hi)) hi = lo + 2 * half;
  }
  const double span = hi - lo;
  if (!std::isfinite(span)) {  // Values near +-DBL_MAX: no useful ticks exist.
    axis.min = lo;
    axis.max = hi;
    return;
  }
  const double step = NiceStep(span / std::max(1, target_ticks));
  if (!fixed_min) lo = std::floor(lo / step + kEps) * step;
  if (!fixed_max) hi = std::ceil(hi / step - kEps) * step;
  axis.min = lo;
  axis.max = hi;

  const double largest = std::max(std::abs(lo), std::abs(hi));
  const bool scientific = largest >= 1e6 || step < 1e-4;
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + kEps)));
  // Enough significant digits to tell neighbouring ticks apart (only used when scientific).
  const int digits = !scientific
                         ? 0
                         : std::clamp(static_cast<int>(std::floor(std::log10(largest)) -
                                                       std::floor(std::log10(step) + kEps)) +
                                          1,
                                      1, 17);
  const double first = std::ceil(lo / step - kEps);
  const double last = std::floor(hi / step + kEps);
  for (double i = first; i <= last && axis.ticks.size() < kMaxTicks; i += 1.0) {
    const double value = i * step + 0.0;  // + 0.0 turns -0 into 0, so no "-0.0" label.
    axis.ticks.push_back(
        {value, scientific ? TimesPowerOfTen(value, digits) : FormatFixed(value, decimals), true});
  }
}

void LayoutLog(double data_min, double data_max, std::optional<double> fixed_min,
               std::optional<double> fixed_max, int max_labels, AxisLayout& axis) {
  const AxisScale scale = axis.scale;
  const double base = Base(scale);
  double lo_e, hi_e;
  if (data_min <= data_max) {
    lo_e = std::floor(SnapToInteger(Transform(scale, data_min)));
    hi_e = std::ceil(SnapToInteger(Transform(scale, data_max)));
  } else {
    lo_e = 0.0;  // No data: one power of the base.
    hi_e = 1.0;
  }
  if (lo_e == hi_e) {  // All data on one power: centre it.
    lo_e -= 1.0;
    hi_e += 1.0;
  }
  // Keep both ends normal, finite doubles so the log transform stays finite.
  const double max_e = scale == AxisScale::kLog2 ? 1023.0 : 308.0;
  lo_e = std::clamp(lo_e, -max_e + 1.0, max_e - 1.0);
  hi_e = std::clamp(hi_e, lo_e + 1.0, max_e);
  double lo = fixed_min.value_or(PowerOf(base, static_cast<int>(lo_e)));
  double hi = fixed_max.value_or(PowerOf(base, static_cast<int>(hi_e)));
  if (!(lo < hi)) {  // Only possible with one fixed end beyond the data: span a power past it.
    if (fixed_min)
      hi = lo * base;
    else
      lo = hi / base;
  }
  axis.min = lo;
  axis.max = hi;

  const double t_lo = Transform(scale, lo);
  const double t_hi = Transform(scale, hi);
  const int first = static_cast<int>(std::ceil(t_lo - kEps));
  const int last = static_cast<int>(std::floor(t_hi + kEps));
  const int powers = last - first + 1;
  const int stride = std::max(1, (powers + std::max(1, max_labels) - 1) / std::max(1, max_labels));
  // Minor ticks only where a decade has room for two labels; denser ones would grey it out.
  const bool minor = scale == AxisScale::kLog10 && 2 * powers <= max_labels;
  for (int e = static_cast<int>(std::floor(t_lo)); e <= last; ++e) {
    if (axis.ticks.size() >= kMaxTicks) break;
    const double power = PowerOf(base, e);
    if (e >= first) {
      const bool labelled = ((e % stride) + stride) % stride == 0;
      axis.ticks.push_back({power, labelled ? PowerLabel(scale, e) : "", true});
    }
    if (!minor) continue;
    for (int m = 2; m <= 9; ++m) {
      const double value = m * power;
      const double t = Transform(scale, value);
      if (t >= t_lo - kEps && t <= t_hi + kEps) axis.ticks.push_back({value, "", false});
    }
  }
  // A fixed range inside one power shows at most one power: label its ends as well.
  if (powers < 2) {
    for (double end : {lo, hi}) {
      const bool taken = std::any_of(axis.ticks.begin(), axis.ticks.end(), [&](const AxisTick& t) {
        return t.major && std::abs(Transform(scale, t.value) - Transform(scale, end)) < 1e-6;
      });
      if (!taken) axis.ticks.push_back({end, CompactLabel(end), true});
    }
    std::sort(axis.ticks.begin(), axis.ticks.end(),
              [](const AxisTick& a, const AxisTick& b) { return a.value < b.value; });
  }
}

}  // namespace

bool IsPlottable(AxisScale scale, double value) {
  return std::isfinite(value) && (scale == AxisScale::kLinear || value > 0.0);
}

double AxisLayout::Fraction(double value) const {
  const double t_lo = Transform(scale, min);
  const double t_hi = Transform(scale, max);
  return (Transform(scale, value) - t_lo) / (t_hi - t_lo);
}

AxisLayout LayoutAxis(AxisScale scale, const std::vector<double>& values,
                      std::optional<double> fixed_min, std::optional<double> fixed_max,
                      int target_ticks, int max_labels) {
  AxisLayout axis;
  axis.scale = scale;
  if (fixed_min && !IsPlottable(scale, *fixed_min)) fixed_min.reset();
  if (fixed_max && !IsPlottable(scale, *fixed_max)) fixed_max.reset();
  if (fixed_min && fixed_max && !(*fixed_min < *fixed_max)) {
    fixed_min.reset();
    fixed_max.reset();
  }
  double data_min = std::numeric_limits<double>::infinity();
  double data_max = -std::numeric_limits<double>::infinity();
  for (double v : values) {
    if (!IsPlottable(scale, v)) continue;
    data_min = std::min(data_min, v);
    data_max = std::max(data_max, v);
  }
  if (scale == AxisScale::kLinear) {
    if (data_min > data_max) {  // No data.
      data_min = 0.0;
      data_max = 1.0;
    }
    LayoutLinear(data_min, data_max, fixed_min, fixed_max, target_ticks, axis);
  } else {
    LayoutLog(data_min, data_max, fixed_min, fixed_max, max_labels, axis);
  }
  return axis;
}

}  // namespace tq::report
