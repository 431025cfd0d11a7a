// Axis range and tick selection for line plots: linear axes step by 1, 2 or 5 x 10^k,
// log axes tick at powers of their base. Pure arithmetic, kept apart from the SVG drawing.
#ifndef TQ_TOOLS_REPORT_PLOT_AXIS_H_
#define TQ_TOOLS_REPORT_PLOT_AXIS_H_

#include <optional>
#include <string>
#include <vector>

namespace tq::report {

enum class AxisScale { kLinear, kLog2, kLog10 };

// Finite, and positive for log scales: only such values can be placed on the axis.
bool IsPlottable(AxisScale scale, double value);

struct AxisTick {
  double value;
  // Empty for minor ticks, and for major ticks skipped so labels do not collide.
  std::string label;
  bool major;
};

struct AxisLayout {
  AxisScale scale = AxisScale::kLinear;
  double min = 0.0;  // Shown range, in data units.
  double max = 1.0;
  std::vector<AxisTick> ticks;  // Ascending; all within [min, max].

  // Where `value` falls along the axis in linear or log space: 0 at min, 1 at max.
  double Fraction(double value) const;
};

// Chooses the range and ticks for `values` (unplottable ones are ignored).
// Without a fixed end the range is widened to the next tick (linear) or power of the base (log).
// A fixed end that is unplottable, or a fixed range that is empty, is ignored.
// `target_ticks` sets the linear step (about that many intervals); `max_labels` bounds how many
// log-axis powers are labelled, thinning them to every 2nd, 3rd, ... power when there are more.
// log10 axes also get unlabelled minor ticks at 2..9 x 10^k when max_labels leaves room for
// two labels per power. Linear labels share one number of decimals, except that beyond 10^6,
// or with steps below 10^-4, they read "5×10⁶".
AxisLayout LayoutAxis(AxisScale scale, const std::vector<double>& values,
                      std::optional<double> fixed_min, std::optional<double> fixed_max,
                      int target_ticks, int max_labels);

}  // namespace tq::report

#endif  // TQ_TOOLS_REPORT_PLOT_AXIS_H_
