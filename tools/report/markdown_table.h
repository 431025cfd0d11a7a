// A table of string cells rendered as a GitHub markdown table or as RFC 4180 CSV.
// tq-bench fills one per experiment and writes both forms side by side.
#ifndef TQ_TOOLS_REPORT_MARKDOWN_TABLE_H_
#define TQ_TOOLS_REPORT_MARKDOWN_TABLE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tools/report/number_format.h"  // IWYU pragma: export (FormatSignificant, FormatFixed)

namespace tq::report {

// Cells are strings so the caller picks each column's number format (see number_format.h).
class MarkdownTable {
 public:
  explicit MarkdownTable(std::vector<std::string> header);

  // Numeric columns are right-aligned in markdown so digits line up; CSV is unaffected.
  void SetNumeric(size_t column, bool numeric = true);

  // Rows shorter than the header are padded with empty cells; longer rows fail an assert.
  void AddRow(std::vector<std::string> cells);

  size_t num_columns() const { return header_.size(); }
  size_t num_rows() const { return rows_.size(); }

  // Cells are padded so the source is readable as plain text too. '|' in a cell is escaped
  // and line breaks become spaces, since either would break the table. Ends with '\n'.
  std::string ToMarkdown() const;

  // RFC 4180: a field containing a comma, quote, CR or LF is quoted, with quotes doubled.
  // Records end with CRLF as the RFC specifies, unless another `line_end` is given.
  std::string ToCsv(std::string_view line_end = "\r\n") const;

 private:
  std::vector<std::string> header_;
  std::vector<bool> numeric_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace tq::report

#endif  // TQ_TOOLS_REPORT_MARKDOWN_TABLE_H_
