// Streaming JSON writer that appends to a std::string, for tq-bench's machine-readable output.
// A stack of open containers decides where commas and newlines go.
#include "tools/report/json_writer.h"

#include <cassert>
#include <charconv>
#include <cmath>

namespace tq::report {

void AppendJsonString(std::string_view value, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out.push_back(kHex[(c >> 4) & 0xF]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(c);  // Bytes >= 0x80 are UTF-8 and legal as they are.
        }
    }
  }
  out.push_back('"');
}

JsonWriter::JsonWriter(bool pretty) : pretty_(pretty) {}

void JsonWriter::NewlineAndIndent(size_t depth) {
  out_.push_back('\n');
  out_.append(2 * depth, ' ');
}

void JsonWriter::BeforeValue() {
  if (stack_.empty()) {
    assert(!wrote_root_ && "JsonWriter: only one top-level value is allowed");
    wrote_root_ = true;
    return;
  }
  Frame& top = stack_.back();
  if (top.is_object) {
    assert(top.key_pending && "JsonWriter: a value inside an object needs a Key() first");
    top.key_pending = false;  // Key() already wrote the comma and indentation.
    return;
  }
  if (top.count > 0) out_.push_back(',');
  if (pretty_) NewlineAndIndent(stack_.size());
  ++top.count;
}

void JsonWriter::BeginContainer(bool is_object, char open) {
  BeforeValue();
  out_.push_back(open);
  stack_.push_back(Frame{is_object, 0, false});
}

void JsonWriter::EndContainer([[maybe_unused]] bool is_object, char close) {
  assert(!stack_.empty() && "JsonWriter: no open container to close");
  if (stack_.empty()) return;  // Builds without asserts: keep memory safe, drop the call.
  assert(stack_.back().is_object == is_object && "JsonWriter: closing the wrong container kind");
  assert(!stack_.back().key_pending && "JsonWriter: Key() without a value before EndObject()");
  const bool empty = stack_.back().count == 0;
  stack_.pop_back();
  // Empty containers stay on one line ("{}", "[]") even when pretty.
  if (pretty_ && !empty) NewlineAndIndent(stack_.size());
  out_.push_back(close);
}

JsonWriter& JsonWriter::BeginObject() {
  BeginContainer(/*is_object=*/true, '{');
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  EndContainer(/*is_object=*/true, '}');
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeginContainer(/*is_object=*/false, '[');
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  EndContainer(/*is_object=*/false, ']');
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view name) {
  assert(!stack_.empty() && stack_.back().is_object && "JsonWriter: Key() outside an object");
  if (stack_.empty() || !stack_.back().is_object) return *this;  // Builds without asserts.
  Frame& top = stack_.back();
  assert(!top.key_pending && "JsonWriter: two Key() calls without a value between them");
  if (top.count > 0) out_.push_back(',');
  if (pretty_) NewlineAndIndent(stack_.size());
  AppendJsonString(name, out_);
  out_ += pretty_ ? ": " : ":";
  ++top.count;
  top.key_pending = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  BeforeValue();
  AppendJsonString(value, out_);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  BeforeValue();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::Double(double value) {
  if (!std::isfinite(value)) return Null();
  BeforeValue();
  // to_chars without a precision is the shortest round-trip form, independent of locale;
  // its exponent form ("1e-05") is valid JSON.
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  out_ += value ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
  return *this;
}

}  // namespace tq::report
