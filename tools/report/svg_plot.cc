// Line plots rendered as standalone SVG documents, for tq-bench reports viewed in a browser.
// Margins and legend are sized from estimated text widths, as SVG cannot measure text up front.
#include "tools/report/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "tools/report/number_format.h"
#include "tools/report/text_width.h"
#include "tools/report/xml_escape.h"

namespace tq::report {
namespace {

// Okabe-Ito, ordered so the low-contrast yellow comes last.
constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000", "#F0E442"};
constexpr int kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);
// DejaVu first: it is what rsvg and most Linux browsers use, and it has superscript digits.
constexpr char kFontFamily[] = "DejaVu Sans, Helvetica, Arial, sans-serif";
constexpr char kClipId[] = "tq-plot-area";
constexpr char kDashPattern[] = "7 4";

constexpr double kTitleFont = 16;
constexpr double kLabelFont = 13;
constexpr double kTickFont = 11;
constexpr double kLegendFont = 12;
constexpr double kTickLength = 5;
constexpr double kMinorTickLength = 3;
constexpr double kGap = 4;  // Between a tick and its label.
constexpr double kLegendRow = 20;
constexpr double kLegendSwatch = 28;
constexpr double kLegendPad = 10;
constexpr double kLegendMargin = 18;  // Between the plot frame and the legend box.
constexpr double kMarkerRadius = 3.2;
// Pixels per linear interval and per log label; they set tick density.
constexpr double kXTickSpacing = 100;
constexpr double kYTickSpacing = 60;
constexpr double kXLabelSpacing = 44;
constexpr double kYLabelSpacing = 22;

// Cuts `text` on a code point boundary and appends an ellipsis so it fits `max_width`.
std::string FitText(std::string text, double max_width, double font_size) {
  if (TextWidth(text, font_size) <= max_width) return text;
  const std::string_view kEllipsis = "\u2026";
  const double budget = max_width - TextWidth(kEllipsis, font_size);
  size_t end = 0;  // Longest prefix, ending on a code point boundary, within the budget.
  for (size_t i = 1; i <= text.size(); ++i) {
    if (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (TextWidth(std::string_view(text).substr(0, i), font_size) > budget) break;
    end = i;
  }
  text.resize(end);
  return text.append(kEllipsis);
}

// Coordinates with at most two decimals: sub-pixel precision without bloating the file.
std::string Num(double v) {
  std::string s = FormatFixed(v, 2);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

// Lines one pixel wide are sharp only on half-pixel positions.
double Crisp(double v) { return std::floor(v) + 0.5; }

void AppendLine(std::string& out, double x1, double y1, double x2, double y2,
                std::string_view style) {
  out += "<line x1=\"" + Num(x1) + "\" y1=\"" + Num(y1) + "\" x2=\"" + Num(x2) + "\" y2=\"" +
         Num(y2) + "\" ";
  out += style;
  out += "/>\n";
}

// `extra` holds further attributes, already escaped.
void AppendText(std::string& out, double x, double y, std::string_view text, double font_size,
                std::string_view anchor, std::string_view extra = "") {
  out += "<text x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" font-size=\"" + Num(font_size) +
         "\" text-anchor=\"";
  out += anchor;
  out += '"';
  if (!extra.empty()) {
    out += ' ';
    out += extra;
  }
  out += '>';
  out += EscapeXml(text);
  out += "</text>\n";
}

void AppendPolyline(std::string& out, const std::vector<std::pair<double, double>>& pixels,
                    const std::string& stroke, bool dashed) {
  out += "<polyline fill=\"none\" stroke=\"" + stroke +
         "\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"";
  if (dashed) out += std::string(" stroke-dasharray=\"") + kDashPattern + "\"";
  out += " points=\"";
  for (size_t i = 0; i < pixels.size(); ++i) {
    if (i > 0) out += ' ';
    out += Num(pixels[i].first) + "," + Num(pixels[i].second);
  }
  out += "\"/>\n";
}

void AppendMarker(std::string& out, double x, double y, const std::string& fill, double radius) {
  out += "<circle cx=\"" + Num(x) + "\" cy=\"" + Num(y) + "\" r=\"" + Num(radius) + "\" fill=\"" +
         fill + "\" stroke=\"#ffffff\" stroke-width=\"0.8\"/>\n";
}

double MaxLabelWidth(const AxisLayout& axis) {
  double width = 0;
  for (const AxisTick& t : axis.ticks) width = std::max(width, TextWidth(t.label, kTickFont));
  return width;
}

}  // namespace

std::string RenderSvg(const LinePlot& plot) {
  const double width = std::max(plot.width, 200);
  const double height = std::max(plot.height, 150);

  // A point is drawn only if both coordinates fit their axes, so only those set the ranges.
  std::vector<double> xs, ys;
  for (const PlotSeries& s : plot.series) {
    for (const PlotPoint& p : s.points) {
      if (IsPlottable(plot.x.scale, p.x) && IsPlottable(plot.y.scale, p.y)) {
        xs.push_back(p.x);
        ys.push_back(p.y);
      }
    }
  }

  // Vertical layout first: the y tick labels it yields set the left margin.
  const double top = plot.title.empty() ? 14 : 42;
  const double bottom =
      kTickLength + kGap + kTickFont + 6 + (plot.x.label.empty() ? 0 : kLabelFont + 10) + 8;
  const double plot_h = std::max(40.0, std::round(height - top - bottom));
  const AxisLayout y_axis = LayoutAxis(plot.y.scale, ys, plot.y.min, plot.y.max,
                                       std::max(2, static_cast<int>(plot_h / kYTickSpacing)),
                                       std::max(2, static_cast<int>(plot_h / kYLabelSpacing)));
  const double left = std::round(10 + (plot.y.label.empty() ? 0 : kLabelFont + 10) +
                                 MaxLabelWidth(y_axis) + kGap + kTickLength);

  // The legend is a column right of the plot, at most 35% of the width; long names are cut.
  std::vector<std::string> legend_names(plot.series.size());
  double legend_text_w = 0;
  bool has_legend = false;
  const double max_legend_text_w =
      width * 0.35 - 2 * kLegendPad - kLegendSwatch - 8 - kLegendMargin;
  for (size_t i = 0; i < plot.series.size(); ++i) {
    if (plot.series[i].name.empty()) continue;
    has_legend = true;
    legend_names[i] = FitText(plot.series[i].name, max_legend_text_w, kLegendFont);
    legend_text_w = std::max(legend_text_w, TextWidth(legend_names[i], kLegendFont));
  }
  const double legend_w =
      has_legend ? std::round(2 * kLegendPad + kLegendSwatch + 8 + legend_text_w) : 0;

  // The last x label hangs half outside the frame; the right margin must make room for it,
  // and the label width depends on the ticks, which depend on the plot width: lay out twice.
  AxisLayout x_axis;
  double right_overhang = 12;
  double plot_w = 0;
  for (int pass = 0; pass < 2; ++pass) {
    const double right = has_legend ? kLegendMargin + legend_w + 10 : right_overhang + 8;
    plot_w = std::max(40.0, std::round(width - left - right));
    x_axis = LayoutAxis(plot.x.scale, xs, plot.x.min, plot.x.max,
                        std::max(2, static_cast<int>(plot_w / kXTickSpacing)),
                        std::max(2, static_cast<int>(plot_w / kXLabelSpacing)));
    const std::string& last_label = x_axis.ticks.empty() ? "" : x_axis.ticks.back().label;
    right_overhang = std::max(12.0, TextWidth(last_label, kTickFont) / 2);
  }

  // Frame edges on half pixels, so the 1 px frame and grid lines are sharp.
  const double x0 = left + 0.5;
  const double y0 = top + 0.5;
  const double x1 = x0 + plot_w;
  const double y1 = y0 + plot_h;
  // Points far outside a fixed range are clipped anyway; the clamp keeps coordinates short.
  const auto px = [&](double x) { return std::clamp(x0 + x_axis.Fraction(x) * plot_w, -1e5, 1e5); };
  const auto py = [&](double y) { return std::clamp(y1 - y_axis.Fraction(y) * plot_h, -1e5, 1e5); };

  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Num(width) + "\" height=\"" +
         Num(height) + "\" viewBox=\"0 0 " + Num(width) + " " + Num(height) + "\" font-family=\"" +
         kFontFamily + "\">\n";
  out += "<rect x=\"0\" y=\"0\" width=\"" + Num(width) + "\" height=\"" + Num(height) +
         "\" fill=\"#ffffff\"/>\n";
  // Clip a few pixels outside the frame so markers on the range ends are drawn whole.
  out += std::string("<defs><clipPath id=\"") + kClipId + "\"><rect x=\"" + Num(x0 - 4) +
         "\" y=\"" + Num(y0 - 4) + "\" width=\"" + Num(plot_w + 8) + "\" height=\"" +
         Num(plot_h + 8) + "\"/></clipPath></defs>\n";

  // Grid, minor lines fainter than major ones.
  out += "<g class=\"grid\">\n";
  for (const AxisTick& t : x_axis.ticks) {
    const double x = Crisp(px(t.value));
    if (x <= x0 || x >= x1) continue;  // The frame already draws the ends.
    AppendLine(out, x, y0, x, y1, t.major ? "stroke=\"#dddddd\"" : "stroke=\"#f0f0f0\"");
  }
  for (const AxisTick& t : y_axis.ticks) {
    const double y = Crisp(py(t.value));
    if (y <= y0 || y >= y1) continue;
    AppendLine(out, x0, y, x1, y, t.major ? "stroke=\"#dddddd\"" : "stroke=\"#f0f0f0\"");
  }
  out += "</g>\n";

  // Series, clipped to the plot area.
  out += std::string("<g clip-path=\"url(#") + kClipId + ")\">\n";
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const PlotSeries& s = plot.series[i];
    const std::string color = s.color.empty() ? kPalette[i % kPaletteSize] : EscapeXml(s.color);
    std::vector<std::pair<double, double>> run;
    const auto flush = [&] {
      if (run.size() >= 2) {
        AppendPolyline(out, run, color, s.dashed);
      } else if (run.size() == 1 && !s.markers) {
        AppendMarker(out, run[0].first, run[0].second, color, 2.5);  // Else it is invisible.
      }
      run.clear();
    };
    for (const PlotPoint& p : s.points) {
      if (IsPlottable(plot.x.scale, p.x) && IsPlottable(plot.y.scale, p.y)) {
        run.emplace_back(px(p.x), py(p.y));
      } else {
        flush();  // A skipped point breaks the line rather than bridging the gap.
      }
    }
    flush();
    if (!s.markers) continue;
    for (const PlotPoint& p : s.points) {
      if (IsPlottable(plot.x.scale, p.x) && IsPlottable(plot.y.scale, p.y)) {
        AppendMarker(out, px(p.x), py(p.y), color, kMarkerRadius);
      }
    }
  }
  out += "</g>\n";

  // Frame, ticks and tick labels.
  out += "<rect x=\"" + Num(x0) + "\" y=\"" + Num(y0) + "\" width=\"" + Num(plot_w) +
         "\" height=\"" + Num(plot_h) + "\" fill=\"none\" stroke=\"#444444\"/>\n";
  out += "<g class=\"ticks\" fill=\"#222222\">\n";
  for (const AxisTick& t : x_axis.ticks) {
    const double x = Crisp(px(t.value));
    const double len = t.major ? kTickLength : kMinorTickLength;
    AppendLine(out, x, y1, x, y1 + len, "stroke=\"#444444\"");
    if (!t.label.empty()) {
      AppendText(out, x, y1 + kTickLength + kGap + kTickFont, t.label, kTickFont, "middle");
    }
  }
  for (const AxisTick& t : y_axis.ticks) {
    const double y = Crisp(py(t.value));
    const double len = t.major ? kTickLength : kMinorTickLength;
    AppendLine(out, x0 - len, y, x0, y, "stroke=\"#444444\"");
    if (!t.label.empty()) {
      // 0.35 em below the tick puts the digits' middle on it.
      AppendText(out, x0 - kTickLength - kGap, y + 0.35 * kTickFont, t.label, kTickFont, "end");
    }
  }
  out += "</g>\n";

  // Axis labels and title.
  if (!plot.x.label.empty()) {
    AppendText(out, x0 + plot_w / 2, y1 + kTickLength + kGap + kTickFont + 6 + kLabelFont,
               plot.x.label, kLabelFont, "middle", "fill=\"#222222\"");
  }
  if (!plot.y.label.empty()) {
    const double x = 10 + kLabelFont * 0.8;
    const double y = y0 + plot_h / 2;
    AppendText(out, x, y, plot.y.label, kLabelFont, "middle",
               "fill=\"#222222\" transform=\"rotate(-90 " + Num(x) + " " + Num(y) + ")\"");
  }
  if (!plot.title.empty()) {
    // Centred over the plot area when it fits there, else over the whole image.
    const bool fits = TextWidth(plot.title, kTitleFont) <= plot_w;
    AppendText(out, fits ? x0 + plot_w / 2 : width / 2, 27, plot.title, kTitleFont, "middle",
               "font-weight=\"bold\" fill=\"#111111\"");
  }

  // Legend: one row per named series, in series order.
  if (has_legend) {
    const size_t rows = std::count_if(legend_names.begin(), legend_names.end(),
                                      [](const std::string& n) { return !n.empty(); });
    // Rows shrink when there are more than the image height can hold.
    const double row = std::min(kLegendRow, (height - top - 2 * kLegendPad) / rows);
    const double lx = Crisp(x1 + kLegendMargin);
    const double ly = y0;
    out += "<g class=\"legend\">\n";
    out += "<rect x=\"" + Num(lx) + "\" y=\"" + Num(ly) + "\" width=\"" + Num(legend_w) +
           "\" height=\"" + Num(std::round(2 * kLegendPad + rows * row - 4)) +
           "\" fill=\"#ffffff\" stroke=\"#cccccc\"/>\n";
    size_t r = 0;
    for (size_t i = 0; i < plot.series.size(); ++i) {
      if (legend_names[i].empty()) continue;
      const PlotSeries& s = plot.series[i];
      const std::string color = s.color.empty() ? kPalette[i % kPaletteSize] : EscapeXml(s.color);
      const double cy = ly + kLegendPad + r * row + row / 2 - 2;
      const double sx = lx + kLegendPad;
      AppendPolyline(out, {{sx, cy}, {sx + kLegendSwatch, cy}}, color, s.dashed);
      if (s.markers) AppendMarker(out, sx + kLegendSwatch / 2, cy, color, kMarkerRadius);
      AppendText(out, sx + kLegendSwatch + 8, cy + 0.35 * kLegendFont, legend_names[i], kLegendFont,
                 "start", "fill=\"#222222\"");
      ++r;
    }
    out += "</g>\n";
  }
  out += "</svg>\n";
  return out;
}

}  // namespace tq::report
