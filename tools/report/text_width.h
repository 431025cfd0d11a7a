// Estimated rendered width of plot text, for laying out margins and the legend of SVG plots.
// SVG has no way to measure text before drawing, so widths come from a per-glyph table.
#ifndef TQ_TOOLS_REPORT_TEXT_WIDTH_H_
#define TQ_TOOLS_REPORT_TEXT_WIDTH_H_

#include <string_view>

namespace tq::report {

// Width in pixels of UTF-8 `text` at `font_size` px, using DejaVu Sans advance widths (the
// widest of the fonts the plots ask for, so Helvetica or Arial only leave spare room).
// Outside ASCII, superscript digits count as 0.45 em and everything else as 0.7 em.
double TextWidth(std::string_view text, double font_size);

}  // namespace tq::report

#endif  // TQ_TOOLS_REPORT_TEXT_WIDTH_H_
