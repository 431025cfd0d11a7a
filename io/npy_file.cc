// .npy reading and writing: the preamble, a small parser for the Python-literal header dict,
// dtype and shape checks against the file size, and row slices streamed through a bounded
// buffer.
#include "io/npy_file.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/atomic_file_writer.h"

namespace tq::io {

using internal::MulFits;
using internal::PathError;

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr int64_t kMagicBytes = 6;
// Bytes per pread: see kSliceBytes in vecs_file.cc.
constexpr int64_t kSliceBytes = int64_t{1} << 20;
// np.save aligns the data to 64 bytes (numpy >= 1.14; 16 before), which readers may mmap.
constexpr int64_t kNpyAlignment = 64;

// ---------------------------------------------------------------------------------------------
// The header dict.

// A Python literal of the kinds a .npy header holds.
struct PyValue {
  enum class Kind { kNone, kBool, kInt, kString, kTuple, kList };
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  std::string text;  // kString: the value
  std::vector<PyValue> items;
};

// Recursive descent over the literal syntax np.save writes (repr of a dict of str keys whose
// values are str, bool, int, tuples and, for structured dtypes, lists) plus what older writers
// produced: either quote style, trailing commas, Python 2's "3L". Nesting is bounded so a
// hostile header cannot exhaust the stack. Errors are plain text; the caller adds the path.
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  bool ParseDict(std::vector<std::pair<std::string, PyValue>>* entries) {
    SkipSpace();
    if (!Consume('{')) return Fail("expected '{'");
    while (true) {
      SkipSpace();
      if (Consume('}')) break;
      std::string key;
      if (!ParseString(&key)) return Fail("expected a quoted key or '}'");
      SkipSpace();
      if (!Consume(':')) return Fail(absl::StrCat("expected ':' after key '", key, "'"));
      PyValue value;
      if (!ParseValue(/*depth=*/0, &value)) return false;
      entries->emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (Consume('}')) break;
      if (!Consume(',')) return Fail("expected ',' or '}'");
    }
    SkipSpace();
    if (pos_ != text_.size()) return Fail("unexpected text after the dict");
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  static constexpr int kMaxDepth = 8;

  bool Fail(absl::string_view what) {
    // The first failure is the informative one; outer levels only unwind.
    if (error_.empty()) error_ = absl::StrCat(what, " at offset ", pos_);
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool ParseValue(int depth, PyValue* out) {
    if (depth > kMaxDepth) return Fail("values nested too deeply");
    SkipSpace();
    if (pos_ >= text_.size()) return Fail("unexpected end of header");
    const char c = text_[pos_];
    if (c == '\'' || c == '"') {
      out->kind = PyValue::Kind::kString;
      return ParseString(&out->text);
    }
    if (c == '(') return ParseSequence(')', depth, out);
    if (c == '[') return ParseSequence(']', depth, out);
    if (c == '-' || (c >= '0' && c <= '9')) return ParseInteger(out);
    for (const auto& [name, kind, boolean] : {std::tuple{"True", PyValue::Kind::kBool, true},
                                              std::tuple{"False", PyValue::Kind::kBool, false},
                                              std::tuple{"None", PyValue::Kind::kNone, false}}) {
      const std::string_view word(name);
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        out->kind = kind;
        out->boolean = boolean;
        return true;
      }
    }
    if (c < ' ' || c > '~') {
      return Fail(absl::StrCat("unexpected byte 0x",
                               absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2)));
    }
    return Fail(absl::StrCat("unexpected character '", std::string(1, c), "'"));
  }

  bool ParseString(std::string* out) {
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) return false;
    const char quote = text_[pos_++];
    while (pos_ < text_.size() && text_[pos_] != quote) {
      // An escape keeps the next character: enough for the quotes repr() escapes.
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out->push_back(text_[pos_++]);
    }
    if (!Consume(quote)) return Fail("unterminated string");
    return true;
  }

  bool ParseInteger(PyValue* out) {
    const size_t start = pos_;
    const bool negative = Consume('-');
    if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') {
      return Fail("expected a digit");
    }
    // Accumulated negatively so that INT64_MIN parses; any overflow is an error, not a wrap.
    int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (__builtin_mul_overflow(value, 10, &value) ||
          __builtin_sub_overflow(value, text_[pos_] - '0', &value)) {
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
        const std::string_view digits = text_.substr(start, pos_ - start);
        pos_ = start;
        return Fail(absl::StrCat("integer ", std::string(digits), " does not fit 64 bits"));
      }
      ++pos_;
    }
    if (!negative && __builtin_mul_overflow(value, -1, &value)) {
      pos_ = start;
      return Fail("integer does not fit 64 bits");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'L' || text_[pos_] == 'l')) ++pos_;  // Python 2
    out->kind = PyValue::Kind::kInt;
    out->integer = value;
    return true;
  }

  // A tuple or list. "(3)" is Python's parenthesised 3, not a tuple; "(3,)" is a tuple.
  bool ParseSequence(char close, int depth, PyValue* out) {
    ++pos_;  // the opening bracket
    std::vector<PyValue> items;
    bool comma = false;
    while (true) {
      SkipSpace();
      if (Consume(close)) break;
      PyValue item;
      if (!ParseValue(depth + 1, &item)) return false;
      items.push_back(std::move(item));
      SkipSpace();
      if (Consume(close)) break;
      if (!Consume(',')) return Fail(absl::StrCat("expected ',' or '", std::string(1, close), "'"));
      comma = true;
    }
    if (close == ')' && items.size() == 1 && !comma) {
      *out = std::move(items[0]);
      return true;
    }
    out->kind = close == ')' ? PyValue::Kind::kTuple : PyValue::Kind::kList;
    out->items = std::move(items);
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

// Python's spelling of a shape: "(3, 4)", "(5,)", "()".
std::string ShapeText(const std::vector<int64_t>& shape) {
  return absl::StrCat("(", absl::StrJoin(shape, ", "), shape.size() == 1 ? ",)" : ")");
}

struct NpyHeader {
  ElementType type = ElementType::kFloat32;
  std::vector<int64_t> shape;
};

// Maps a 'descr' to a supported type. Byte order matters only above one byte.
absl::Status ParseDescr(const std::string& path, const std::string& descr, ElementType* type) {
  const std::string expected = "(expected '<f4', '<f2', '<f8', '<i4', '<i8' or '|u1')";
  if (descr.size() >= 2) {
    const char order = descr[0];
    const std::string code = descr.substr(1);
    if (code == "u1" && (order == '|' || order == '<' || order == '>' || order == '=')) {
      *type = ElementType::kUint8;
      return absl::OkStatus();
    }
    struct Known {
      const char* code;
      ElementType type;
    };
    for (const Known& known :
         {Known{"f4", ElementType::kFloat32}, Known{"f2", ElementType::kFloat16},
          Known{"f8", ElementType::kFloat64}, Known{"i4", ElementType::kInt32},
          Known{"i8", ElementType::kInt64}}) {
      if (code != known.code) continue;
      if (order == '<') {
        *type = known.type;
        return absl::OkStatus();
      }
      if (order == '>') {
        return PathError(absl::StatusCode::kFailedPrecondition, path,
                         absl::StrCat("big-endian dtype '", descr,
                                      "' is not supported; convert with a.astype('<", code, "')"));
      }
    }
  }
  return PathError(absl::StatusCode::kFailedPrecondition, path,
                   absl::StrCat("unsupported dtype '", descr, "' ", expected));
}

absl::StatusOr<NpyHeader> ParseHeader(const std::string& path, std::string_view text) {
  std::vector<std::pair<std::string, PyValue>> entries;
  HeaderParser parser(text);
  if (!parser.ParseDict(&entries)) {
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     absl::StrCat("malformed header: ", parser.error()));
  }
  const PyValue* descr = nullptr;
  const PyValue* fortran_order = nullptr;
  const PyValue* shape = nullptr;
  for (const auto& [key, value] : entries) {
    const PyValue** slot = key == "descr"           ? &descr
                           : key == "fortran_order" ? &fortran_order
                           : key == "shape"         ? &shape
                                                    : nullptr;
    if (slot == nullptr) {
      return PathError(absl::StatusCode::kFailedPrecondition, path,
                       absl::StrCat("unexpected header key '", key,
                                    "' (a .npy header holds 'descr', 'fortran_order' and "
                                    "'shape')"));
    }
    if (*slot != nullptr) {
      return PathError(absl::StatusCode::kFailedPrecondition, path,
                       absl::StrCat("header key '", key, "' appears twice"));
    }
    *slot = &value;
  }
  for (const auto& [key, value] :
       {std::pair{"descr", descr}, std::pair{"fortran_order", fortran_order},
        std::pair{"shape", shape}}) {
    if (value == nullptr) {
      return PathError(absl::StatusCode::kFailedPrecondition, path,
                       absl::StrCat("header has no '", key, "' key"));
    }
  }
  NpyHeader header;
  if (descr->kind == PyValue::Kind::kList) {
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     "unsupported dtype: structured arrays (a list 'descr') are not supported");
  }
  if (descr->kind != PyValue::Kind::kString) {
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     "malformed header: 'descr' is not a string");
  }
  if (absl::Status s = ParseDescr(path, descr->text, &header.type); !s.ok()) return s;
  if (fortran_order->kind != PyValue::Kind::kBool) {
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     "malformed header: 'fortran_order' is not True or False");
  }
  if (fortran_order->boolean) {
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     "fortran_order is True: column-major arrays are not supported (save "
                     "np.ascontiguousarray(a) instead)");
  }
  if (shape->kind != PyValue::Kind::kTuple) {
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     "malformed header: 'shape' is not a tuple");
  }
  for (const PyValue& item : shape->items) {
    if (item.kind != PyValue::Kind::kInt || item.integer < 0) {
      return PathError(absl::StatusCode::kFailedPrecondition, path,
                       "malformed header: 'shape' holds something other than sizes >= 0");
    }
    header.shape.push_back(item.integer);
  }
  return header;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Reading.

absl::StatusOr<NpyReader> NpyReader::Open(std::string_view path_view) {
  absl::StatusOr<ReadOnlyFile> file = ReadOnlyFile::Open(path_view);
  if (!file.ok()) return file.status();
  const std::string& path = file->path();
  const int64_t size = file->size();
  if (size == 0) return PathError(absl::StatusCode::kFailedPrecondition, path, "empty file");
  // Magic (6), version (2), header length (2 in version 1, 4 after).
  std::byte preamble[12] = {};
  if (absl::Status s = file->ReadAt(0, std::span(preamble, std::min<int64_t>(size, 12))); !s.ok()) {
    return s;
  }
  if (size < kMagicBytes || std::memcmp(preamble, kMagic, kMagicBytes) != 0) {
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     "not a .npy file (bad magic: the file does not start with \"\\x93NUMPY\")");
  }
  // Version 1.0's 10-byte preamble is the shortest; checked before the version bytes are used.
  if (size < kMagicBytes + 4) {
    return PathError(absl::StatusCode::kDataLoss, path,
                     absl::StrCat("truncated: ", size, " bytes, too short for the ",
                                  kMagicBytes + 4, "-byte preamble of a .npy file"));
  }
  const int major = std::to_integer<int>(preamble[6]);
  const int minor = std::to_integer<int>(preamble[7]);
  if (major < 1 || major > 3 || minor != 0) {
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     absl::StrCat("unsupported .npy format version ", major, ".", minor,
                                  " (expected 1.0, 2.0 or 3.0)"));
  }
  const int64_t length_bytes = major == 1 ? 2 : 4;
  const int64_t header_begin = kMagicBytes + 2 + length_bytes;
  if (size < header_begin) {
    return PathError(absl::StatusCode::kDataLoss, path,
                     absl::StrCat("truncated: ", size, " bytes, too short for the ", header_begin,
                                  "-byte preamble of a version ", major, " .npy file"));
  }
  int64_t header_length = 0;
  for (int64_t i = 0; i < length_bytes; ++i) {
    header_length |= std::to_integer<int64_t>(preamble[8 + i]) << (8 * i);
  }
  if (header_length > kMaxNpyHeaderBytes) {
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     absl::StrCat("header length ", header_length, " exceeds the limit of ",
                                  kMaxNpyHeaderBytes, " bytes"));
  }
  if (header_length > size - header_begin) {
    return PathError(absl::StatusCode::kDataLoss, path,
                     absl::StrCat("truncated: header length ", header_length,
                                  " runs past the end of the file (", size, " bytes)"));
  }
  std::string text(static_cast<size_t>(header_length), '\0');
  if (absl::Status s = file->ReadAt(header_begin, std::as_writable_bytes(std::span(text)));
      !s.ok()) {
    return s;
  }
  absl::StatusOr<NpyHeader> header = ParseHeader(path, text);
  if (!header.ok()) return header.status();
  if (header->shape.size() != 2) {
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     absl::StrCat("expected a 2-D array, got shape ", ShapeText(header->shape)));
  }
  const int64_t rows = header->shape[0];
  const int64_t dim = header->shape[1];
  // Bounded as rows * dim * 8 so that every byte count downstream, int64 output included,
  // is overflow-free.
  int64_t elements = 0;
  int64_t bound = 0;
  if (!MulFits(rows, dim, &elements) || !MulFits(elements, 8, &bound)) {
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     absl::StrCat("shape ", ShapeText(header->shape),
                                  " is too large (its size overflows 64 bits)"));
  }
  if (dim < 1 || dim > kMaxVectorDim) {
    return PathError(absl::StatusCode::kFailedPrecondition, path,
                     absl::StrCat("shape ", ShapeText(header->shape), " has dimension ", dim,
                                  ", expected 1 to ", kMaxVectorDim));
  }
  const int64_t data_offset = header_begin + header_length;
  const int64_t data_bytes = elements * ElementTypeBytes(header->type);
  if (data_bytes > size - data_offset) {
    return PathError(absl::StatusCode::kDataLoss, path,
                     absl::StrCat("truncated: header promises ", data_bytes,
                                  " bytes of data, file has ", size - data_offset));
  }
  return NpyReader(std::move(*file), header->type, major, data_offset, rows, dim);
}

template <typename Decode>
absl::Status NpyReader::ReadSlices(int64_t begin, int64_t count, Decode decode) const {
  const int64_t row_bytes = dim_ * ElementTypeBytes(type_);
  const int64_t slice_rows = std::min(count, std::max<int64_t>(1, kSliceBytes / row_bytes));
  std::vector<std::byte> buffer(static_cast<size_t>(slice_rows * row_bytes));
  for (int64_t done = 0; done < count;) {
    const int64_t n = std::min(slice_rows, count - done);
    const std::span<std::byte> bytes(buffer.data(), static_cast<size_t>(n * row_bytes));
    if (absl::Status s = file_.ReadAt(data_offset_ + (begin + done) * row_bytes, bytes); !s.ok()) {
      return s;
    }
    if (absl::Status s = decode(begin + done, bytes.data(), n * dim_, done * dim_); !s.ok()) {
      return s;
    }
    done += n;
  }
  return absl::OkStatus();
}

absl::Status NpyReader::ReadRows(int64_t begin, int64_t count, std::span<float> out) const {
  if (absl::Status s = CheckSlice(begin, count, out.size()); !s.ok()) return s;
  return ReadSlices(
      begin, count,
      [&](int64_t first_row, const std::byte* bytes, int64_t elements, int64_t out_offset) {
        const int64_t bad =
            internal::DecodeToFloat(type_, bytes, elements, out.data() + out_offset);
        if (bad < 0) return absl::OkStatus();
        int64_t value = 0;
        internal::DecodeToInt64(type_, bytes + bad * ElementTypeBytes(type_), 1, &value);
        return PathError(absl::StatusCode::kFailedPrecondition, file_.path(),
                         absl::StrCat("row ", first_row + bad / dim_, " holds ", value,
                                      ", which float32 cannot represent exactly (ids are read as "
                                      "int64)"));
      });
}

absl::Status NpyReader::ReadInt64Rows(int64_t begin, int64_t count, std::span<int64_t> out) const {
  if (!IsIntegerType(type_)) {
    return PathError(absl::StatusCode::kFailedPrecondition, file_.path(),
                     absl::StrCat("holds ", std::string(ElementTypeName(type_)),
                                  " values, not integers (ids need an integer dtype)"));
  }
  if (absl::Status s = CheckSlice(begin, count, out.size()); !s.ok()) return s;
  return ReadSlices(begin, count,
                    [&](int64_t, const std::byte* bytes, int64_t elements, int64_t out_offset) {
                      internal::DecodeToInt64(type_, bytes, elements, out.data() + out_offset);
                      return absl::OkStatus();
                    });
}

// ---------------------------------------------------------------------------------------------
// Writing.

absl::Status WriteNpy(std::string_view path_view, const MatrixView<float>& matrix) {
  const std::string path(path_view);
  int64_t elements = 0;
  int64_t bytes = 0;
  if (matrix.rows < 0 || matrix.cols < 1 || matrix.cols > kMaxVectorDim ||
      !MulFits(matrix.rows, matrix.cols, &elements) || !MulFits(elements, 8, &bytes) ||
      elements != static_cast<int64_t>(matrix.data.size())) {
    return PathError(absl::StatusCode::kInvalidArgument, path,
                     absl::StrCat("cannot write a ", matrix.rows, " x ", matrix.cols,
                                  " matrix holding ", matrix.data.size(),
                                  " values (need rows >= 0, "
                                  "dimension 1 to ",
                                  kMaxVectorDim, ", and rows * dimension values)"));
  }
  // np.save's version 1.0 header: keys sorted, each followed by ", ", then 1 to 64 spaces
  // (numpy pads a full 64 when already aligned) and '\n', so the data starts 64-byte aligned.
  std::string header = absl::StrCat("{'descr': '<f4', 'fortran_order': False, 'shape': (",
                                    matrix.rows, ", ", matrix.cols, "), }");
  const int64_t unpadded = kMagicBytes + 2 + 2 + static_cast<int64_t>(header.size()) + 1;
  header.append(static_cast<size_t>(kNpyAlignment - unpadded % kNpyAlignment), ' ');
  header.push_back('\n');
  std::string preamble(kMagic, kMagicBytes);
  preamble.push_back('\x01');
  preamble.push_back('\x00');
  preamble.push_back(static_cast<char>(header.size() & 0xff));
  preamble.push_back(static_cast<char>(header.size() >> 8));

  absl::StatusOr<AtomicFileWriter> writer = AtomicFileWriter::Create(path);
  if (!writer.ok()) return writer.status();
  for (const std::string* part : {&preamble, &header}) {
    if (absl::Status s = writer->Append(std::as_bytes(std::span(*part))); !s.ok()) return s;
  }
  const int64_t slice_elements = kSliceBytes / 4;
  std::vector<std::byte> buffer(static_cast<size_t>(std::min(elements, slice_elements) * 4));
  for (int64_t done = 0; done < elements;) {
    const int64_t n = std::min(slice_elements, elements - done);
    for (int64_t i = 0; i < n; ++i) {
      internal::StoreLittle32(std::bit_cast<uint32_t>(matrix.data[static_cast<size_t>(done + i)]),
                              buffer.data() + 4 * i);
    }
    if (absl::Status s = writer->Append(std::span<const std::byte>(buffer.data(), 4 * n));
        !s.ok()) {
      return s;
    }
    done += n;
  }
  return writer->Commit();
}

}  // namespace tq::io
