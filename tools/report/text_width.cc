// Estimated rendered width of plot text, for laying out margins and the legend of SVG plots.
// Advance widths of DejaVu Sans, read from DejaVuSans.ttf's hmtx table (units of 1/2048 em).
#include "tools/report/text_width.h"

#include <cstdint>

namespace tq::report {
namespace {

constexpr double kUnitsPerEm = 2048;
// Printable ASCII, ' ' (0x20) to '~' (0x7E).
constexpr uint16_t kAsciiAdvance[95] = {
    651,  821,  942,  1716, 1303, 1946, 1597, 563,  799,  799,  1024, 1716, 651,  739,  651,  690,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690,  690,  1716, 1716, 1716, 1087,
    2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604,  604,  1343, 1141, 1767, 1532, 1612,
    1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799,  690,  799,  1716, 1024,
    1024, 1255, 1300, 1126, 1300, 1260, 721,  1300, 1298, 569,  569,  1186, 569,  1995, 1298, 1253,
    1300, 1300, 842,  1067, 803,  1298, 1212, 1675, 1212, 1212, 1075, 1303, 690,  1303, 1716,
};
// Superscript digits and signs (used in log-axis labels) are narrow; other non-ASCII
// characters get a generous average, so estimates err toward too much room.
constexpr double kSuperscriptEm = 0.45;
constexpr double kOtherEm = 0.7;

bool IsSuperscript(uint32_t cp) {
  return (cp >= 0x2070 && cp <= 0x207F) || cp == 0xB9 || cp == 0xB2 || cp == 0xB3;
}

}  // namespace

double TextWidth(std::string_view text, double font_size) {
  double em = 0;
  for (size_t i = 0; i < text.size();) {
    const auto b0 = static_cast<uint8_t>(text[i]);
    if (b0 < 0x80) {
      em += (b0 >= 0x20 && b0 <= 0x7E) ? kAsciiAdvance[b0 - 0x20] / kUnitsPerEm : 0.0;
      ++i;
      continue;
    }
    // Decode one multi-byte sequence; malformed input only needs to advance.
    const size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 1;
    uint32_t cp = len == 1 ? b0 : b0 & (0x7F >> len);
    for (size_t k = 1; k < len && i + k < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<uint8_t>(text[i + k]) & 0x3F);
    }
    em += IsSuperscript(cp) ? kSuperscriptEm : kOtherEm;
    i += len;
  }
  return em * font_size;
}

}  // namespace tq::report
