// Line plots rendered as standalone SVG documents, for tq-bench reports viewed in a browser.
// Axes may be linear or logarithmic; the legend sits right of the plot area, never over data.
#ifndef TQ_TOOLS_REPORT_SVG_PLOT_H_
#define TQ_TOOLS_REPORT_SVG_PLOT_H_

#include <optional>
#include <string>
#include <vector>

#include "tools/report/plot_axis.h"  // IWYU pragma: export (AxisScale)

namespace tq::report {

struct PlotPoint {
  double x;
  double y;
};

struct PlotSeries {
  std::string name;               // Legend text; a series with an empty name gets no legend entry.
  std::vector<PlotPoint> points;  // Joined in the given order.
  bool dashed = false;
  bool markers = false;  // A dot at every point.
  // Any SVG colour ("#0072b2", "black"). Empty takes the series' turn in a fixed
  // colour-blind-friendly palette (Okabe-Ito; it repeats after 8 series).
  std::string color;
};

struct PlotAxis {
  std::string label;
  // kLinear, kLog2 or kLog10 (log axes tick at powers of the base; kLog10 adds minor ticks when
  // there is room).
  AxisScale scale = AxisScale::kLinear;
  // Fixed range ends; a missing end is chosen from the data and rounded outward to a tick.
  std::optional<double> min;
  std::optional<double> max;
};

struct LinePlot {
  std::string title;
  PlotAxis x;
  PlotAxis y;
  std::vector<PlotSeries> series;
  int width = 720;  // Pixels; clamped to at least 200 x 150.
  int height = 450;
};

// A complete SVG document (with XML declaration). All text is XML-escaped. Points that cannot
// be placed (NaN, infinite, or <= 0 on a log axis) are skipped and break the line there;
// lines running outside a fixed range are clipped at the plot frame.
std::string RenderSvg(const LinePlot& plot);

}  // namespace tq::report

#endif  // TQ_TOOLS_REPORT_SVG_PLOT_H_
