// Streaming JSON writer that appends to a std::string, for tq-bench's machine-readable output.
// Commas, indentation and string escaping are automatic; misuse is caught by assert().
#ifndef TQ_TOOLS_REPORT_JSON_WRITER_H_
#define TQ_TOOLS_REPORT_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tq::report {

// Writes exactly one top-level JSON value. Calls chain:
//
//   JsonWriter w;
//   w.BeginObject().Key("recall").Double(0.93).Key("k").Int(10).EndObject();
//   std::string text = w.json();  // {"recall":0.93,"k":10}
//
// Inside an object every value must follow a Key(); Key() is only valid inside an object.
// Breaking these rules, closing the wrong container or writing a second top-level value
// fails an assert: it is a programming error, not a data error.
class JsonWriter {
 public:
  // `pretty` puts each member and element on its own line, indented by two spaces;
  // the default is a single line.
  explicit JsonWriter(bool pretty = false);

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view name);

  // UTF-8 passes through unchanged; quote, backslash and control characters are escaped.
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  // Shortest text that parses back to the same double. JSON has no NaN or infinity,
  // so non-finite values are written as null.
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  // True once the top-level value has been written and every container closed.
  bool complete() const { return wrote_root_ && stack_.empty(); }
  // The text written so far; valid JSON only when complete().
  const std::string& json() const { return out_; }

 private:
  struct Frame {
    bool is_object;
    int count;         // Members or elements written so far.
    bool key_pending;  // Object only: Key() written, its value not yet.
  };

  // Emits the separator and indentation that precede a value and updates the parent frame.
  void BeforeValue();
  void BeginContainer(bool is_object, char open);
  void EndContainer(bool is_object, char close);
  void NewlineAndIndent(size_t depth);

  bool pretty_;
  bool wrote_root_ = false;
  std::vector<Frame> stack_;
  std::string out_;
};

// Appends `value` as a quoted, escaped JSON string literal.
void AppendJsonString(std::string_view value, std::string& out);

}  // namespace tq::report

#endif  // TQ_TOOLS_REPORT_JSON_WRITER_H_
