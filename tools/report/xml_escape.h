// Escaping of arbitrary text for XML content and attribute values (used by the SVG writer).
// Series names come from users, so the output must stay well-formed whatever they contain.
#ifndef TQ_TOOLS_REPORT_XML_ESCAPE_H_
#define TQ_TOOLS_REPORT_XML_ESCAPE_H_

#include <string>
#include <string_view>

namespace tq::report {

// Replaces & < > " ' by their predefined entities, so the result is safe both as element text
// and inside a quoted attribute. Characters XML 1.0 forbids (control characters other than tab,
// LF and CR) are dropped, and bytes that are not valid UTF-8 become U+FFFD, since a browser
// refuses to draw an SVG file that contains either.
std::string EscapeXml(std::string_view text);

}  // namespace tq::report

#endif  // TQ_TOOLS_REPORT_XML_ESCAPE_H_
