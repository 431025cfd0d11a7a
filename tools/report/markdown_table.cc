// A table of string cells rendered as a GitHub markdown table or as RFC 4180 CSV.
// Markdown padding counts UTF-8 code points, so names like "µs" keep columns aligned.
#include "tools/report/markdown_table.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace tq::report {
namespace {

// Code points, not bytes: continuation bytes (10xxxxxx) are not counted.
size_t DisplayWidth(std::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string MarkdownCell(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '|') {
      out += "\\|";
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void AppendCsvField(std::string_view field, std::string& out) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void AppendPadded(std::string_view cell, size_t width, bool right_align, std::string& out) {
  const size_t pad = width - std::min(width, DisplayWidth(cell));
  if (right_align) out.append(pad, ' ');
  out += cell;
  if (!right_align) out.append(pad, ' ');
}

}  // namespace

MarkdownTable::MarkdownTable(std::vector<std::string> header)
    : header_(std::move(header)), numeric_(header_.size(), false) {}

void MarkdownTable::SetNumeric(size_t column, bool numeric) {
  assert(column < numeric_.size() && "MarkdownTable::SetNumeric: column out of range");
  if (column < numeric_.size()) numeric_[column] = numeric;
}

void MarkdownTable::AddRow(std::vector<std::string> cells) {
  assert(cells.size() <= header_.size() && "MarkdownTable::AddRow: more cells than columns");
  cells.resize(header_.size());
  rows_.push_back(std::move(cells));
}

std::string MarkdownTable::ToMarkdown() const {
  const size_t n = header_.size();
  auto escape_row = [](const std::vector<std::string>& row) {
    std::vector<std::string> escaped;
    escaped.reserve(row.size());
    for (const std::string& c : row) escaped.push_back(MarkdownCell(c));
    return escaped;
  };
  std::vector<std::vector<std::string>> cells;  // Header first, then the rows.
  cells.reserve(rows_.size() + 1);
  cells.push_back(escape_row(header_));
  for (const auto& row : rows_) cells.push_back(escape_row(row));
  // Three dashes is the shortest separator every markdown renderer accepts.
  std::vector<size_t> width(n, 3);
  for (const auto& row : cells) {
    for (size_t c = 0; c < n; ++c) width[c] = std::max(width[c], DisplayWidth(row[c]));
  }

  std::string out;
  auto append_row = [&](const std::vector<std::string>& row) {
    out += '|';
    for (size_t c = 0; c < n; ++c) {
      out += ' ';
      AppendPadded(row[c], width[c], numeric_[c], out);
      out += " |";
    }
    out += '\n';
  };
  append_row(cells[0]);
  out += '|';
  for (size_t c = 0; c < n; ++c) {
    out += ' ';
    if (numeric_[c]) {
      out.append(width[c] - 1, '-');
      out += ':';
    } else {
      out.append(width[c], '-');
    }
    out += " |";
  }
  out += '\n';
  for (size_t r = 1; r < cells.size(); ++r) append_row(cells[r]);
  return out;
}

std::string MarkdownTable::ToCsv(std::string_view line_end) const {
  std::string out;
  auto append_record = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out += ',';
      AppendCsvField(row[c], out);
    }
    out += line_end;
  };
  append_record(header_);
  for (const auto& row : rows_) append_record(row);
  return out;
}

}  // namespace tq::report
