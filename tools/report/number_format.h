// Locale-independent formatting of doubles for report tables and plot labels.
// Built on std::to_chars, so output never depends on the process's C locale.
#ifndef TQ_TOOLS_REPORT_NUMBER_FORMAT_H_
#define TQ_TOOLS_REPORT_NUMBER_FORMAT_H_

#include <string>

namespace tq::report {

// `digits` significant digits (clamped to 1..17), keeping trailing zeros so a table column reads
// evenly: FormatSignificant(0.5, 3) == "0.500", FormatSignificant(1234.5, 3) == "1.23e+03".
// Like printf's %g, exponents below -4 or at least `digits` switch to scientific notation.
// NaN and infinities print as "nan", "inf", "-inf".
std::string FormatSignificant(double value, int digits);

// Exactly `decimals` digits after the point (clamped to 0..30): FormatFixed(2.0 / 3, 2) == "0.67".
std::string FormatFixed(double value, int decimals);

// Shortest text that parses back to the same double: 0.1 -> "0.1", 1e-5 -> "1e-05".
std::string FormatShortest(double value);

}  // namespace tq::report

#endif  // TQ_TOOLS_REPORT_NUMBER_FORMAT_H_
