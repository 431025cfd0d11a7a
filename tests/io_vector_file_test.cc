// Tests for io/vecs_file, io/npy_file and the io/vector_file front door: round trips through the
// writers and through hand-built bytes (numpy's own header layout), slices, conversions, and a
// clear path-prefixed error for every malformed file.
#include "io/vector_file.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/float16.h"
#include "io/ann_hdf5.h"
#include "io/npy_file.h"
#include "io/vecs_file.h"

namespace tq::io {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The hand-built files below are written with memcpy from host values.
static_assert(std::endian::native == std::endian::little, "tests build little-endian bytes");

// Debian's Abseil has its own absl::string_view, which gMock's string matchers do not take.
std::string Message(const absl::Status& status) { return std::string(status.message()); }

// A path `name` in a fresh directory of its own under the test temp dir; the directory, with
// anything a writer left in it, is removed afterwards.
class TempPath {
 public:
  explicit TempPath(const std::string& name)
      : dir_(absl::StrCat(::testing::TempDir(), "tq_vf_",
                          ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_",
                          name, ".d")),
        path_(absl::StrCat(dir_, "/", name)) {
    Remove();
    std::filesystem::create_directories(dir_);
  }
  ~TempPath() { Remove(); }
  const std::string& path() const { return path_; }

  // The names in the directory other than path()'s own: whatever a writer left behind (its
  // temporary file, say), which must be nothing.
  std::vector<std::string> Others() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      if (entry.path() != std::filesystem::path(path_)) names.push_back(entry.path().string());
    }
    return names;
  }

 private:
  void Remove() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string dir_;
  std::string path_;
};

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

template <typename T>
std::string Bytes(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

std::string Int32Bytes(int32_t value) { return Bytes(std::vector<int32_t>{value}); }

// One hand-built .?vecs row: the int32 dimension header, then the values.
template <typename T>
std::string VecsRow(int32_t dim, const std::vector<T>& values) {
  return Int32Bytes(dim) + Bytes(values);
}

// Values exact in float32 and distinct per (row, col), so any misplaced element shows.
std::vector<float> MakeMatrix(int64_t rows, int64_t cols) {
  std::vector<float> data(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) data[r * cols + c] = r * 1000.0f + c + 0.25f;
  }
  return data;
}

template <typename T>
std::vector<T> Rows(const std::vector<T>& all, int64_t cols, int64_t begin, int64_t count) {
  return std::vector<T>(all.begin() + begin * cols, all.begin() + (begin + count) * cols);
}

// A .npy file laid out as numpy 1.x's np.save writes it: magic, version, little-endian header
// length (2 bytes in version 1.0, 4 in 2.0 and 3.0), the dict, spaces up to a 64-byte boundary
// (a full 64 when already aligned) and '\n', then the data.
std::string NpyFile(const std::string& dict, const std::string& data, int major = 1) {
  const size_t length_bytes = major == 1 ? 2 : 4;
  std::string header = dict;
  const size_t unpadded = 6 + 2 + length_bytes + header.size() + 1;
  header.append(64 - unpadded % 64, ' ');
  header.push_back('\n');
  std::string out("\x93NUMPY", 6);
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  for (size_t i = 0; i < length_bytes; ++i) {
    out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  }
  return out + header + data;
}

// The dict np.save writes: keys sorted ('descr' first), each followed by ", ".
std::string NpyDict(const std::string& descr, const std::string& shape,
                    const std::string& fortran_order = "False") {
  return absl::StrCat("{'descr': '", descr, "', 'fortran_order': ", fortran_order,
                      ", 'shape': ", shape, ", }");
}

std::vector<float> ReadAllFloats(const VectorFileReader& reader) {
  std::vector<float> out(static_cast<size_t>(reader.rows() * reader.dim()));
  const absl::Status status = reader.ReadRows(0, reader.rows(), out);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

std::vector<int64_t> ReadAllInts(const VectorFileReader& reader) {
  std::vector<int64_t> out(static_cast<size_t>(reader.rows() * reader.dim()));
  const absl::Status status = reader.ReadInt64Rows(0, reader.rows(), out);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

// Every error names the file first, then the problem.
void ExpectError(const absl::Status& status, absl::StatusCode code, const std::string& path,
                 const std::string& what) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_THAT(Message(status), StartsWith(path + ": "));
  EXPECT_THAT(Message(status), HasSubstr(what));
}

void ExpectSlicesMatch(const VectorFileReader& reader, const std::vector<float>& expected) {
  const int64_t rows = reader.rows();
  const int64_t dim = reader.dim();
  // Start, middle, end, a single row, and the empty slice at the end.
  for (const auto& [begin, count] : {std::pair<int64_t, int64_t>{0, 3},
                                     {rows / 2 - 2, 5},
                                     {rows - 4, 4},
                                     {rows - 1, 1},
                                     {rows, 0},
                                     {0, rows}}) {
    std::vector<float> out(static_cast<size_t>(count * dim));
    ASSERT_TRUE(reader.ReadRows(begin, count, out).ok()) << begin << "+" << count;
    EXPECT_EQ(out, Rows(expected, dim, begin, count)) << begin << "+" << count;
  }
}

// ---------------------------------------------------------------------------------------------
// Element types.

TEST(ElementTypeTest, NamesAndSizes) {
  EXPECT_EQ(ElementTypeName(ElementType::kFloat16), "float16");
  EXPECT_EQ(ElementTypeName(ElementType::kInt64), "int64");
  EXPECT_EQ(ElementTypeBytes(ElementType::kUint8), 1);
  EXPECT_EQ(ElementTypeBytes(ElementType::kFloat16), 2);
  EXPECT_EQ(ElementTypeBytes(ElementType::kInt32), 4);
  EXPECT_EQ(ElementTypeBytes(ElementType::kFloat64), 8);
  EXPECT_TRUE(IsIntegerType(ElementType::kUint8));
  EXPECT_FALSE(IsIntegerType(ElementType::kFloat16));
}

TEST(ElementTypeTest, LowerExtension) {
  EXPECT_EQ(internal::LowerExtension("a/b/base.FVECS"), ".fvecs");
  EXPECT_EQ(internal::LowerExtension("dir.v2/base"), "");
  EXPECT_EQ(internal::LowerExtension(".npy"), "");
  EXPECT_EQ(internal::LowerExtension("x.tar.H5"), ".h5");
}

// ---------------------------------------------------------------------------------------------
// .fvecs / .ivecs / .bvecs.

TEST(VecsTest, FvecsRoundTripAndSlices) {
  TempPath file("base.fvecs");
  const std::vector<float> data = MakeMatrix(37, 5);
  ASSERT_TRUE(WriteFvecs(file.path(), {data, 37, 5}).ok());
  EXPECT_EQ(file.Others(), std::vector<std::string>{});
  EXPECT_EQ(std::filesystem::file_size(file.path()), 37u * (4 + 5 * 4));
  absl::StatusOr<VecsReader> reader = VecsReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->path(), file.path());
  EXPECT_EQ(reader->format(), VecsFormat::kFvecs);
  EXPECT_EQ(reader->element_type(), ElementType::kFloat32);
  EXPECT_EQ(reader->rows(), 37);
  EXPECT_EQ(reader->dim(), 5);
  EXPECT_EQ(ReadAllFloats(*reader), data);
  ExpectSlicesMatch(*reader, data);
  EXPECT_FALSE(reader->metric().value().has_value());
}

TEST(VecsTest, FvecsReadsHandBuiltBytes) {
  TempPath file("hand.fvecs");
  WriteBytes(file.path(),
             VecsRow<float>(3, {1.5f, -2.0f, 0.0f}) +
                 VecsRow<float>(3, {std::numeric_limits<float>::infinity(), 1e-30f, -0.0f}));
  absl::StatusOr<VecsReader> reader = VecsReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_EQ(reader->rows(), 2);
  ASSERT_EQ(reader->dim(), 3);
  const std::vector<float> all = ReadAllFloats(*reader);
  EXPECT_EQ(all[0], 1.5f);
  EXPECT_EQ(all[1], -2.0f);
  EXPECT_TRUE(std::isinf(all[3]));
  EXPECT_EQ(all[4], 1e-30f);
  EXPECT_TRUE(std::signbit(all[5]));
}

TEST(VecsTest, WriterBytesAreTheTexmexLayout) {
  TempPath file("layout.fvecs");
  const std::vector<float> data = {1.0f, 2.0f, 3.0f, 4.0f};
  ASSERT_TRUE(WriteFvecs(file.path(), {data, 2, 2}).ok());
  EXPECT_EQ(ReadBytes(file.path()),
            VecsRow<float>(2, {1.0f, 2.0f}) + VecsRow<float>(2, {3.0f, 4.0f}));
}

TEST(VecsTest, LargeFileStreamsThroughSeveralBufferFills) {
  // 700 rows of 1000 floats is 2.8 MB: several 1 MiB slices, with slice edges inside requests.
  TempPath file("large.fvecs");
  constexpr int64_t kRows = 700, kDim = 1000;
  const std::vector<float> data = MakeMatrix(kRows, kDim);
  ASSERT_TRUE(WriteFvecs(file.path(), {data, kRows, kDim}).ok());
  absl::StatusOr<VecsReader> reader = VecsReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(ReadAllFloats(*reader), data);
  ExpectSlicesMatch(*reader, data);
}

TEST(VecsTest, IvecsReadsAsInt64AndExactFloats) {
  TempPath file("gt.ivecs");
  const std::vector<int32_t> ids = {0, 5, -1, 16777216, -16777216, 7, 8, 9};
  ASSERT_TRUE(WriteIvecs(file.path(), MatrixView<int32_t>{ids, 2, 4}).ok());
  absl::StatusOr<VecsReader> reader = VecsReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->format(), VecsFormat::kIvecs);
  EXPECT_EQ(ReadAllInts(*reader), std::vector<int64_t>(ids.begin(), ids.end()));
  EXPECT_EQ(ReadAllFloats(*reader), std::vector<float>(ids.begin(), ids.end()));
  std::vector<int64_t> row(4);
  ASSERT_TRUE(reader->ReadInt64Rows(1, 1, row).ok());
  EXPECT_EQ(row, (std::vector<int64_t>{-16777216, 7, 8, 9}));
}

TEST(VecsTest, IvecsValuesFloatCannotHoldAreAnErrorAsFloat) {
  TempPath file("big.ivecs");
  ASSERT_TRUE(
      WriteIvecs(file.path(), MatrixView<int32_t>{std::vector<int32_t>{1, 2, 3, 16777217}, 2, 2})
          .ok());
  absl::StatusOr<VecsReader> reader = VecsReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<float> out(4);
  ExpectError(reader->ReadRows(0, 2, out), absl::StatusCode::kFailedPrecondition, file.path(),
              "row 1 holds 16777217, which float32 cannot represent exactly");
  EXPECT_EQ(ReadAllInts(*reader), (std::vector<int64_t>{1, 2, 3, 16777217}));
}

TEST(VecsTest, WriteIvecsTakesSearchIdsAndRefusesThoseOutsideInt32) {
  TempPath file("ids.ivecs");
  const std::vector<int64_t> ids = {3, 1, -1, 2147483647, -2147483648LL, 0};
  ASSERT_TRUE(WriteIvecs(file.path(), MatrixView<int64_t>{ids, 3, 2}).ok());
  absl::StatusOr<std::unique_ptr<VectorFileReader>> reader = OpenVectorFile(file.path(), "");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(ReadAllInts(**reader), ids);

  TempPath wide("wide.ivecs");
  const std::vector<int64_t> too_big = {1, int64_t{1} << 31};
  ExpectError(WriteIvecs(wide.path(), MatrixView<int64_t>{too_big, 1, 2}),
              absl::StatusCode::kInvalidArgument, wide.path(),
              "value 2147483648 in row 0 does not fit int32");
  EXPECT_FALSE(std::filesystem::exists(wide.path()));
  EXPECT_EQ(wide.Others(), std::vector<std::string>{});
}

TEST(VecsTest, BvecsConvertsToFloatAndInt64) {
  TempPath file("base.bvecs");
  WriteBytes(file.path(), VecsRow<uint8_t>(3, {0, 255, 128}) + VecsRow<uint8_t>(3, {1, 2, 3}));
  absl::StatusOr<VecsReader> reader = VecsReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->element_type(), ElementType::kUint8);
  EXPECT_EQ(ReadAllFloats(*reader), (std::vector<float>{0, 255, 128, 1, 2, 3}));
  EXPECT_EQ(ReadAllInts(*reader), (std::vector<int64_t>{0, 255, 128, 1, 2, 3}));

  TempPath written("written.bvecs");
  std::vector<uint8_t> bytes(40 * 16);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 37);
  ASSERT_TRUE(WriteBvecs(written.path(), MatrixView<uint8_t>{bytes, 40, 16}).ok());
  absl::StatusOr<VecsReader> again = VecsReader::Open(written.path());
  ASSERT_TRUE(again.ok()) << again.status();
  ExpectSlicesMatch(*again, std::vector<float>(bytes.begin(), bytes.end()));
}

TEST(VecsTest, FvecsIsNotReadAsIntegers) {
  TempPath file("x.fvecs");
  ASSERT_TRUE(WriteFvecs(file.path(), {std::vector<float>{1, 2}, 1, 2}).ok());
  absl::StatusOr<VecsReader> reader = VecsReader::Open(file.path());
  ASSERT_TRUE(reader.ok());
  std::vector<int64_t> out(2);
  ExpectError(reader->ReadInt64Rows(0, 1, out), absl::StatusCode::kFailedPrecondition, file.path(),
              "holds float32 vectors, not integers");
}

TEST(VecsTest, FormatFromExtensionOrExplicit) {
  EXPECT_EQ(*VecsFormatFromPath("a.IVECS"), VecsFormat::kIvecs);
  EXPECT_EQ(*VecsFormatFromPath("a.bvecs"), VecsFormat::kBvecs);
  ExpectError(VecsFormatFromPath("a.vecs").status(), absl::StatusCode::kInvalidArgument, "a.vecs",
              "not a .fvecs, .ivecs or .bvecs file name");
  // An explicit format reads a file whatever its name.
  TempPath file("data.bin");
  WriteBytes(file.path(), VecsRow<int32_t>(2, {4, 5}));
  absl::StatusOr<VecsReader> reader = VecsReader::Open(file.path(), VecsFormat::kIvecs);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(ReadAllInts(*reader), (std::vector<int64_t>{4, 5}));
}

TEST(VecsTest, WriterReplacesAnExistingFile) {
  TempPath file("replace.fvecs");
  WriteBytes(file.path(), "old contents that are not a vecs file");
  const std::vector<float> data = MakeMatrix(3, 2);
  ASSERT_TRUE(WriteFvecs(file.path(), {data, 3, 2}).ok());
  absl::StatusOr<VecsReader> reader = VecsReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(ReadAllFloats(*reader), data);
  EXPECT_EQ(file.Others(), std::vector<std::string>{});
}

TEST(VecsTest, WriterRejectsBadShapes) {
  TempPath file("bad.fvecs");
  const std::vector<float> six(6, 1.0f);
  ExpectError(WriteFvecs(file.path(), {six, 0, 6}), absl::StatusCode::kInvalidArgument, file.path(),
              "cannot write a 0 x 6 matrix");
  ExpectError(WriteFvecs(file.path(), {six, 6, 0}), absl::StatusCode::kInvalidArgument, file.path(),
              "cannot write a 6 x 0 matrix");
  ExpectError(WriteFvecs(file.path(), {six, 2, 2}), absl::StatusCode::kInvalidArgument, file.path(),
              "holding 6 values");
  ExpectError(WriteFvecs(file.path(), {six, int64_t{1} << 62, 4}),
              absl::StatusCode::kInvalidArgument, file.path(), "cannot write");
  EXPECT_FALSE(std::filesystem::exists(file.path()));
  EXPECT_EQ(file.Others(), std::vector<std::string>{});
  const std::string no_dir = file.path() + "_missing_dir/x.fvecs";
  ExpectError(WriteFvecs(no_dir, {six, 1, 6}), absl::StatusCode::kNotFound, no_dir,
              "cannot create");
}

TEST(VecsTest, MalformedFilesAreRejectedWithThePathAndTheProblem) {
  struct Case {
    const char* name;
    std::string bytes;
    absl::StatusCode code;
    std::string what;
  };
  const std::string row4 = VecsRow<float>(4, {1, 2, 3, 4});
  const std::vector<Case> cases = {
      {"empty", "", absl::StatusCode::kFailedPrecondition, "empty file"},
      {"short", std::string("\x04\x00", 2), absl::StatusCode::kDataLoss,
       "truncated: 2 bytes, too short for the 4-byte dimension of row 0"},
      {"truncated_last_row", row4 + row4.substr(0, 10), absl::StatusCode::kDataLoss,
       "truncated last row (or rows of mixed dimensions): 30 bytes is not a whole number of "
       "20-byte rows of dimension 4 (row 0's); 10 bytes left over"},
      {"header_only", Int32Bytes(4), absl::StatusCode::kDataLoss, "truncated last row"},
      {"negative_dim", VecsRow<float>(-5, {1, 2}), absl::StatusCode::kFailedPrecondition,
       "row 0 has dimension -5, expected 1 to 1048576"},
      {"zero_dim", Int32Bytes(0) + Int32Bytes(0), absl::StatusCode::kFailedPrecondition,
       "row 0 has dimension 0, expected 1 to 1048576"},
      {"huge_dim", VecsRow<float>(1 << 21, {1, 2}), absl::StatusCode::kFailedPrecondition,
       "row 0 has dimension 2097152, expected 1 to 1048576"},
      {"max_int_dim", VecsRow<float>(std::numeric_limits<int32_t>::max(), {1}),
       absl::StatusCode::kFailedPrecondition, "row 0 has dimension 2147483647"},
      // Same size as 3 rows of dimension 4, but the last row claims dimension 5.
      {"last_row_dim", row4 + row4 + VecsRow<float>(5, {1, 2, 3, 4}), absl::StatusCode::kDataLoss,
       "row 2 (the last) has dimension 5, expected 4 (row 0's)"},
      {"text", "hello, world: this is text\n", absl::StatusCode::kFailedPrecondition,
       "row 0 has dimension 1819043176"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempPath file(absl::StrCat(c.name, ".fvecs"));
    WriteBytes(file.path(), c.bytes);
    ExpectError(VecsReader::Open(file.path()).status(), c.code, file.path(), c.what);
    ExpectError(OpenVectorFile(file.path(), "train").status(), c.code, file.path(), c.what);
  }
}

TEST(VecsTest, InconsistentRowDimensionIsCaughtWhenTheRowIsRead) {
  // Rows 0, 1, 3 and 4 declare dimension 4; row 2 declares 3 but keeps the same byte count, so
  // only reading row 2 can notice.
  TempPath file("mixed.fvecs");
  const std::string row4 = VecsRow<float>(4, {1, 2, 3, 4});
  WriteBytes(file.path(), row4 + row4 + VecsRow<float>(3, {1, 2, 3, 4}) + row4 + row4);
  absl::StatusOr<VecsReader> reader = VecsReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<float> two(8);
  EXPECT_TRUE(reader->ReadRows(0, 2, two).ok());
  EXPECT_TRUE(reader->ReadRows(3, 2, two).ok());
  std::vector<float> all(20);
  ExpectError(reader->ReadRows(0, 5, all), absl::StatusCode::kDataLoss, file.path(),
              "row 2 has dimension 3, expected 4");
  std::vector<int64_t> ints(4);
  absl::StatusOr<VecsReader> as_ivecs = VecsReader::Open(file.path(), VecsFormat::kIvecs);
  ASSERT_TRUE(as_ivecs.ok());
  ExpectError(as_ivecs->ReadInt64Rows(2, 1, ints), absl::StatusCode::kDataLoss, file.path(),
              "row 2 has dimension 3");
}

TEST(VecsTest, CorruptedHeadersNeverCrash) {
  // Every dimension header overwritten with values around the edges: whatever Open decides, a
  // successful open must read every row or fail cleanly naming the row.
  TempPath good("good.fvecs");
  ASSERT_TRUE(WriteFvecs(good.path(), {MakeMatrix(6, 3), 6, 3}).ok());
  const std::string bytes = ReadBytes(good.path());
  TempPath file("corrupt.fvecs");
  for (int64_t row = 0; row < 6; ++row) {
    for (int32_t dim : {0, 1, 2, 4, 6, -1, 1 << 20, std::numeric_limits<int32_t>::min()}) {
      std::string corrupt = bytes;
      std::memcpy(corrupt.data() + row * 16, &dim, 4);
      WriteBytes(file.path(), corrupt);
      absl::StatusOr<VecsReader> reader = VecsReader::Open(file.path());
      if (!reader.ok()) {
        EXPECT_THAT(Message(reader.status()), StartsWith(file.path() + ": "));
        continue;
      }
      std::vector<float> out(static_cast<size_t>(reader->rows() * reader->dim()));
      const absl::Status status = reader->ReadRows(0, reader->rows(), out);
      if (!status.ok()) {
        EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
        EXPECT_THAT(Message(status), HasSubstr(absl::StrCat("row ", row, " has dimension")));
      }
    }
  }
}

TEST(VecsTest, BadSlicesAreRejectedBeforeReading) {
  TempPath file("slices.fvecs");
  ASSERT_TRUE(WriteFvecs(file.path(), {MakeMatrix(10, 3), 10, 3}).ok());
  absl::StatusOr<VecsReader> reader = VecsReader::Open(file.path());
  ASSERT_TRUE(reader.ok());
  std::vector<float> out(6);
  ExpectError(reader->ReadRows(-1, 2, out), absl::StatusCode::kInvalidArgument, file.path(),
              "invalid slice: begin -1, count 2");
  ExpectError(reader->ReadRows(0, -2, out), absl::StatusCode::kInvalidArgument, file.path(),
              "invalid slice");
  ExpectError(reader->ReadRows(9, 2, out), absl::StatusCode::kOutOfRange, file.path(),
              "rows [9, 11) out of range for a file of 10 rows");
  ExpectError(reader->ReadRows(11, 0, {}), absl::StatusCode::kOutOfRange, file.path(),
              "out of range");
  ExpectError(reader->ReadRows(1, std::numeric_limits<int64_t>::max(), out),
              absl::StatusCode::kOutOfRange, file.path(), "rows [1, 1+9223372036854775807)");
  ExpectError(reader->ReadRows(0, 3, out), absl::StatusCode::kInvalidArgument, file.path(),
              "buffer for 3 rows of dimension 3 has 6 elements, expected 9");
}

TEST(VecsTest, MissingFileAndDirectory) {
  const std::string missing = ::testing::TempDir() + "tq_vf_does_not_exist.fvecs";
  const absl::Status status = VecsReader::Open(missing).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), missing + ": file not found");
  TempPath dir("dir.fvecs");
  std::filesystem::create_directory(dir.path());
  ExpectError(VecsReader::Open(dir.path()).status(), absl::StatusCode::kFailedPrecondition,
              dir.path(), "is a directory");
}

TEST(VecsTest, ConcurrentSlicesReadTheSameAsSequential) {
  TempPath file("threads.fvecs");
  constexpr int64_t kRows = 400, kDim = 64;
  const std::vector<float> data = MakeMatrix(kRows, kDim);
  ASSERT_TRUE(WriteFvecs(file.path(), {data, kRows, kDim}).ok());
  absl::StatusOr<VecsReader> reader = VecsReader::Open(file.path());
  ASSERT_TRUE(reader.ok());
  std::vector<float> out(data.size());
  std::vector<absl::Status> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int64_t begin = t * 7; begin < kRows; begin += 28) {
        const int64_t count = std::min<int64_t>(7, kRows - begin);
        absl::Status s = reader->ReadRows(
            begin, count, std::span<float>(out).subspan(begin * kDim, count * kDim));
        if (!s.ok()) results[t] = s;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(out, data);
}

// ---------------------------------------------------------------------------------------------
// .npy.

TEST(NpyTest, WriterProducesNumpysExactBytes) {
  TempPath file("w.npy");
  const std::vector<float> data = MakeMatrix(2, 3);
  ASSERT_TRUE(WriteNpy(file.path(), {data, 2, 3}).ok());
  EXPECT_EQ(file.Others(), std::vector<std::string>{});
  const std::string bytes = ReadBytes(file.path());
  EXPECT_EQ(bytes,
            NpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", Bytes(data)));
  // The data starts 64-byte aligned, as np.save makes it: 10 + 59 + 1 bytes round up to 128.
  EXPECT_EQ(bytes.size() - data.size() * 4, 128u);
  EXPECT_EQ(bytes[bytes.size() - data.size() * 4 - 1], '\n');
}

TEST(NpyTest, RoundTripAndSlices) {
  TempPath file("rt.npy");
  const std::vector<float> data = MakeMatrix(50, 7);
  ASSERT_TRUE(WriteNpy(file.path(), {data, 50, 7}).ok());
  absl::StatusOr<NpyReader> reader = NpyReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->rows(), 50);
  EXPECT_EQ(reader->dim(), 7);
  EXPECT_EQ(reader->element_type(), ElementType::kFloat32);
  EXPECT_EQ(reader->major_version(), 1);
  EXPECT_EQ(reader->data_offset() % 64, 0);
  EXPECT_EQ(ReadAllFloats(*reader), data);
  ExpectSlicesMatch(*reader, data);
}

TEST(NpyTest, LargeFileStreamsThroughSeveralBufferFills) {
  TempPath file("large.npy");
  constexpr int64_t kRows = 600, kDim = 1000;
  const std::vector<float> data = MakeMatrix(kRows, kDim);
  ASSERT_TRUE(WriteNpy(file.path(), {data, kRows, kDim}).ok());
  absl::StatusOr<NpyReader> reader = NpyReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(ReadAllFloats(*reader), data);
  ExpectSlicesMatch(*reader, data);
}

TEST(NpyTest, ZeroRowsIsAnEmptyArray) {
  TempPath file("empty_rows.npy");
  ASSERT_TRUE(WriteNpy(file.path(), {{}, 0, 4}).ok());
  absl::StatusOr<NpyReader> reader = NpyReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->rows(), 0);
  EXPECT_EQ(reader->dim(), 4);
  EXPECT_TRUE(reader->ReadRows(0, 0, {}).ok());
}

TEST(NpyTest, HandBuiltNumpy1xHeader) {
  TempPath file("hand.npy");
  const std::vector<float> data = {1.0f, -2.5f, 3.0f, 0.125f, 5.0f, 6.0f};
  const std::string bytes = NpyFile(NpyDict("<f4", "(3, 2)"), Bytes(data));
  ASSERT_EQ(bytes.size() % 64, 24u);  // header padded to 64, then the 24 data bytes
  WriteBytes(file.path(), bytes);
  absl::StatusOr<NpyReader> reader = NpyReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->rows(), 3);
  EXPECT_EQ(reader->dim(), 2);
  EXPECT_EQ(reader->data_offset(), 128);
  EXPECT_EQ(ReadAllFloats(*reader), data);
}

TEST(NpyTest, Version2And3Headers) {
  const std::vector<float> data = MakeMatrix(4, 3);
  for (int major : {2, 3}) {
    SCOPED_TRACE(major);
    TempPath file(absl::StrCat("v", major, ".npy"));
    WriteBytes(file.path(), NpyFile(NpyDict("<f4", "(4, 3)"), Bytes(data), major));
    absl::StatusOr<NpyReader> reader = NpyReader::Open(file.path());
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ(reader->major_version(), major);
    EXPECT_EQ(reader->data_offset(), 128);
    EXPECT_EQ(ReadAllFloats(*reader), data);
  }
}

TEST(NpyTest, Float16RoundTripsExactly) {
  // Values float16 holds exactly: zeros, the largest normal, the smallest subnormal, powers of
  // two and short fractions.
  const std::vector<float> values = {0.0f,     -0.0f,     1.0f,         -2.0f,
                                     0.5f,     65504.0f,  -65504.0f,    0x1p-24f,
                                     0x1p-14f, 3.140625f, 0.099975586f, 1024.0f};
  std::vector<uint16_t> halves;
  for (float v : values) halves.push_back(FloatToHalf(v));
  for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(HalfToFloat(halves[i]), values[i]) << i;
  TempPath file("half.npy");
  WriteBytes(file.path(), NpyFile(NpyDict("<f2", "(3, 4)"), Bytes(halves)));
  absl::StatusOr<NpyReader> reader = NpyReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->element_type(), ElementType::kFloat16);
  const std::vector<float> read = ReadAllFloats(*reader);
  ASSERT_EQ(read.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(read[i]), std::bit_cast<uint32_t>(values[i])) << i;
  }
  std::vector<int64_t> ints(12);
  ExpectError(reader->ReadInt64Rows(0, 3, ints), absl::StatusCode::kFailedPrecondition, file.path(),
              "holds float16 values, not integers");
}

TEST(NpyTest, Float64IsRoundedToFloat32) {
  TempPath file("f8.npy");
  const std::vector<double> values = {0.1, -1.5, 1e300, 3.0};
  WriteBytes(file.path(), NpyFile(NpyDict("<f8", "(2, 2)"), Bytes(values)));
  absl::StatusOr<NpyReader> reader = NpyReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->element_type(), ElementType::kFloat64);
  const std::vector<float> read = ReadAllFloats(*reader);
  EXPECT_EQ(read[0], 0.1f);
  EXPECT_EQ(read[1], -1.5f);
  EXPECT_TRUE(std::isinf(read[2]));
  EXPECT_EQ(read[3], 3.0f);
}

TEST(NpyTest, IntegerArraysReadAsInt64) {
  TempPath i4("i4.npy");
  const std::vector<int32_t> ids32 = {0, -1, 2147483647, 12, 13, 14};
  WriteBytes(i4.path(), NpyFile(NpyDict("<i4", "(2, 3)"), Bytes(ids32)));
  absl::StatusOr<NpyReader> reader = NpyReader::Open(i4.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(ReadAllInts(*reader), std::vector<int64_t>(ids32.begin(), ids32.end()));
  std::vector<float> floats(6);
  ExpectError(reader->ReadRows(0, 2, floats), absl::StatusCode::kFailedPrecondition, i4.path(),
              "row 0 holds 2147483647, which float32 cannot represent exactly");
  std::vector<float> second(3);
  ASSERT_TRUE(reader->ReadRows(1, 1, second).ok());
  EXPECT_EQ(second, (std::vector<float>{12, 13, 14}));

  TempPath i8("i8.npy");
  const std::vector<int64_t> ids64 = {int64_t{1} << 40, -7, 0, 9};
  WriteBytes(i8.path(), NpyFile(NpyDict("<i8", "(2, 2)"), Bytes(ids64)));
  absl::StatusOr<NpyReader> wide = NpyReader::Open(i8.path());
  ASSERT_TRUE(wide.ok()) << wide.status();
  EXPECT_EQ(ReadAllInts(*wide), ids64);

  TempPath u1("u1.npy");
  const std::vector<uint8_t> bytes = {0, 1, 200, 255};
  WriteBytes(u1.path(), NpyFile(NpyDict("|u1", "(1, 4)"), Bytes(bytes)));
  absl::StatusOr<NpyReader> small = NpyReader::Open(u1.path());
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(ReadAllFloats(*small), (std::vector<float>{0, 1, 200, 255}));
  EXPECT_EQ(ReadAllInts(*small), (std::vector<int64_t>{0, 1, 200, 255}));
}

TEST(NpyTest, HeaderParsingToleratesWhatOtherWritersProduce) {
  const std::vector<float> data = MakeMatrix(2, 3);
  const std::vector<std::string> dicts = {
      // Keys in another order, no trailing comma.
      "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",
      // Double quotes and generous whitespace.
      "{ \"descr\" : \"<f4\" ,\n 'fortran_order':False,'shape':( 2 ,3 , ) }",
      // Python 2's long integers.
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",
  };
  for (const std::string& dict : dicts) {
    SCOPED_TRACE(dict);
    TempPath file("tolerant.npy");
    WriteBytes(file.path(), NpyFile(dict, Bytes(data)));
    absl::StatusOr<NpyReader> reader = NpyReader::Open(file.path());
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ(reader->rows(), 2);
    EXPECT_EQ(reader->dim(), 3);
    EXPECT_EQ(ReadAllFloats(*reader), data);
  }
}

TEST(NpyTest, BytesAfterTheDataAreAllowed) {
  // np.save twice on one open file: np.load reads the first array, and so do we.
  TempPath file("two.npy");
  const std::vector<float> first = MakeMatrix(2, 2);
  WriteBytes(file.path(), NpyFile(NpyDict("<f4", "(2, 2)"), Bytes(first)) +
                              NpyFile(NpyDict("<f4", "(1, 2)"), Bytes(MakeMatrix(1, 2))));
  absl::StatusOr<NpyReader> reader = NpyReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->rows(), 2);
  EXPECT_EQ(ReadAllFloats(*reader), first);
}

TEST(NpyTest, MalformedFilesAreRejectedWithThePathAndTheProblem) {
  struct Case {
    const char* name;
    std::string bytes;
    absl::StatusCode code;
    std::string what;
  };
  const std::string data24 = Bytes(MakeMatrix(3, 2));
  const std::string good = NpyFile(NpyDict("<f4", "(3, 2)"), data24);
  std::string bad_magic = good;
  bad_magic[1] = 'M';
  std::string version4 = good;
  version4[6] = 4;
  std::string long_header = good;  // header length field set past the end of the file
  long_header[8] = '\xff';
  long_header[9] = '\x7f';
  std::string over_limit = NpyFile(NpyDict("<f4", "(3, 2)"), data24, 2);
  over_limit[10] = '\x01';  // header length 116 + 65536: over the 64 KiB limit
  constexpr auto kFailed = absl::StatusCode::kFailedPrecondition;
  constexpr auto kDataLoss = absl::StatusCode::kDataLoss;
  const std::vector<Case> cases = {
      {"empty", "", kFailed, "empty file"},
      {"bad_magic", bad_magic, kFailed, "not a .npy file (bad magic"},
      {"text", "just some text, not numpy\n", kFailed, "not a .npy file (bad magic"},
      {"magic_only", std::string("\x93NUMPY\x01", 7), kDataLoss,
       "truncated: 7 bytes, too short for the 10-byte preamble of a .npy file"},
      {"version4", version4, kFailed, "unsupported .npy format version 4.0"},
      {"header_past_end", long_header, kDataLoss,
       "truncated: header length 32767 runs past the end of the file (152 bytes)"},
      {"header_over_limit", over_limit, kFailed,
       "header length 65652 exceeds the limit of 65536 bytes"},
      {"fortran", NpyFile(NpyDict("<f4", "(3, 2)", "True"), data24), kFailed,
       "fortran_order is True: column-major arrays are not supported"},
      {"complex", NpyFile(NpyDict("<c8", "(3, 1)"), data24), kFailed,
       "unsupported dtype '<c8' (expected '<f4', '<f2', '<f8', '<i4', '<i8' or '|u1')"},
      {"int16", NpyFile(NpyDict("<i2", "(3, 4)"), data24), kFailed, "unsupported dtype '<i2'"},
      {"object", NpyFile(NpyDict("|O", "(3, 1)"), data24), kFailed, "unsupported dtype '|O'"},
      {"structured",
       NpyFile("{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (3,), }",
               data24),
       kFailed, "structured arrays (a list 'descr') are not supported"},
      {"big_endian", NpyFile(NpyDict(">f4", "(3, 2)"), data24), kFailed,
       "big-endian dtype '>f4' is not supported; convert with a.astype('<f4')"},
      {"rank1", NpyFile(NpyDict("<f4", "(6,)"), data24), kFailed,
       "expected a 2-D array, got shape (6,)"},
      {"rank3", NpyFile(NpyDict("<f4", "(1, 3, 2)"), data24), kFailed,
       "expected a 2-D array, got shape (1, 3, 2)"},
      {"rank0", NpyFile(NpyDict("<f4", "()"), data24), kFailed,
       "expected a 2-D array, got shape ()"},
      {"shape_overflow", NpyFile(NpyDict("<f4", "(4611686018427387904, 1024)"), data24), kFailed,
       "shape (4611686018427387904, 1024) is too large (its size overflows 64 bits)"},
      {"shape_bytes_overflow", NpyFile(NpyDict("<f4", "(576460752303423488, 8)"), data24), kFailed,
       "is too large (its size overflows 64 bits)"},
      {"shape_literal_overflow", NpyFile(NpyDict("<f4", "(99999999999999999999, 2)"), data24),
       kFailed, "malformed header: integer 99999999999999999999 does not fit 64 bits"},
      {"negative_shape", NpyFile(NpyDict("<f4", "(-3, 2)"), data24), kFailed,
       "'shape' holds something other than sizes >= 0"},
      {"zero_dim", NpyFile(NpyDict("<f4", "(3, 0)"), ""), kFailed,
       "shape (3, 0) has dimension 0, expected 1 to 1048576"},
      {"huge_dim", NpyFile(NpyDict("<f4", "(1, 2000000)"), data24), kFailed,
       "has dimension 2000000, expected 1 to 1048576"},
      {"truncated_data", NpyFile(NpyDict("<f4", "(3, 4)"), data24), kDataLoss,
       "truncated: header promises 48 bytes of data, file has 24"},
      {"truncated_f2", NpyFile(NpyDict("<f2", "(100, 2)"), data24), kDataLoss,
       "truncated: header promises 400 bytes of data, file has 24"},
      {"missing_shape", NpyFile("{'descr': '<f4', 'fortran_order': False}", data24), kFailed,
       "header has no 'shape' key"},
      {"extra_key",
       NpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), "
               "'extra': 1}",
               data24),
       kFailed, "unexpected header key 'extra'"},
      {"duplicate_key",
       NpyFile("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, "
               "'shape': (3, 2)}",
               data24),
       kFailed, "header key 'descr' appears twice"},
      {"not_a_dict", NpyFile("['descr', '<f4']", data24), kFailed,
       "malformed header: expected '{' at offset 0"},
      {"unterminated", NpyFile("{'descr': '<f4, 'fortran_order': False}", data24), kFailed,
       "malformed header"},
      {"garbage_after", NpyFile(NpyDict("<f4", "(3, 2)") + " x", data24), kFailed,
       "malformed header: unexpected text after the dict"},
      {"parenthesised_int", NpyFile(NpyDict("<f4", "(6)"), data24), kFailed,
       "'shape' is not a tuple"},
      {"shape_of_strings", NpyFile(NpyDict("<f4", "('3', '2')"), data24), kFailed,
       "'shape' holds something other than sizes"},
      {"fortran_not_bool", NpyFile(NpyDict("<f4", "(3, 2)", "0"), data24), kFailed,
       "'fortran_order' is not True or False"},
      {"deep_nesting",
       NpyFile(NpyDict("<f4", std::string(200, '(') + std::string(200, ')')), data24), kFailed,
       "values nested too deeply"},
      {"bad_token", NpyFile("{'descr': <f4}", data24), kFailed,
       "malformed header: unexpected character '<'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempPath file(absl::StrCat(c.name, ".npy"));
    WriteBytes(file.path(), c.bytes);
    ExpectError(NpyReader::Open(file.path()).status(), c.code, file.path(), c.what);
    ExpectError(OpenVectorFile(file.path(), "train").status(), c.code, file.path(), c.what);
  }
}

TEST(NpyTest, EveryPrefixOfAValidFileFailsCleanly) {
  // Truncation at any byte, header included, is an error and never a crash.
  TempPath good("good.npy");
  ASSERT_TRUE(WriteNpy(good.path(), {MakeMatrix(3, 2), 3, 2}).ok());
  const std::string bytes = ReadBytes(good.path());
  TempPath file("prefix.npy");
  for (size_t size = 0; size < bytes.size(); ++size) {
    WriteBytes(file.path(), bytes.substr(0, size));
    const absl::Status status = NpyReader::Open(file.path()).status();
    EXPECT_FALSE(status.ok()) << size;
    EXPECT_THAT(Message(status), StartsWith(file.path() + ": ")) << size;
  }
}

TEST(NpyTest, CorruptedBytesNeverCrash) {
  // Every byte of the preamble and header, and a few of the data, set to values that matter to
  // a parser: whatever Open decides, a successful open must also read every row.
  TempPath good("good.npy");
  ASSERT_TRUE(WriteNpy(good.path(), {MakeMatrix(5, 3), 5, 3}).ok());
  const std::string bytes = ReadBytes(good.path());
  TempPath file("corrupt.npy");
  for (size_t i = 0; i < 140; ++i) {
    for (char value : {'\0', '\xff', '(', ')', '\'', ',', '9', '\n', '-', '{'}) {
      std::string corrupt = bytes;
      corrupt[i] = value;
      WriteBytes(file.path(), corrupt);
      absl::StatusOr<NpyReader> reader = NpyReader::Open(file.path());
      if (!reader.ok()) {
        EXPECT_THAT(Message(reader.status()), StartsWith(file.path() + ": ")) << i;
        continue;
      }
      std::vector<float> out(static_cast<size_t>(reader->rows() * reader->dim()));
      const absl::Status status = reader->ReadRows(0, reader->rows(), out);
      EXPECT_TRUE(status.ok() || Message(status).starts_with(file.path() + ": ")) << i;
    }
  }
}

TEST(NpyTest, WriterRejectsBadShapes) {
  TempPath file("bad.npy");
  const std::vector<float> six(6, 1.0f);
  ExpectError(WriteNpy(file.path(), {six, 6, 0}), absl::StatusCode::kInvalidArgument, file.path(),
              "cannot write a 6 x 0 matrix");
  ExpectError(WriteNpy(file.path(), {six, 4, 2}), absl::StatusCode::kInvalidArgument, file.path(),
              "holding 6 values");
  ExpectError(WriteNpy(file.path(), {six, -1, 6}), absl::StatusCode::kInvalidArgument, file.path(),
              "cannot write a -1 x 6 matrix");
  EXPECT_FALSE(std::filesystem::exists(file.path()));
}

// ---------------------------------------------------------------------------------------------
// The front door.

// A small ann-benchmarks file: 20 x 4 train, 3 x 4 test, 3 x 2 neighbours.
struct Hdf5Sample {
  std::vector<float> train = MakeMatrix(20, 4);
  std::vector<float> test = MakeMatrix(3, 4);
  std::vector<int32_t> neighbors = {0, 1, 19, 18, 5, 6};
  std::vector<float> distances = MakeMatrix(3, 2);

  absl::Status Write(const std::string& path, const std::string& distance) const {
    AnnData data;
    data.train = {train, 20, 4};
    data.test = {test, 3, 4};
    data.neighbors = {neighbors, 3, 2};
    data.distances = {distances, 3, 2};
    data.distance = distance;
    return WriteAnnHdf5(path, data);
  }
};

TEST(OpenVectorFileTest, PicksTheReaderByExtension) {
  const std::vector<float> data = MakeMatrix(6, 3);
  TempPath fvecs("a.fvecs");
  TempPath upper("b.FVECS");
  TempPath npy("c.Npy");
  ASSERT_TRUE(WriteFvecs(fvecs.path(), {data, 6, 3}).ok());
  ASSERT_TRUE(WriteFvecs(upper.path(), {data, 6, 3}).ok());
  ASSERT_TRUE(WriteNpy(npy.path(), {data, 6, 3}).ok());
  for (const TempPath* file : {&fvecs, &upper, &npy}) {
    SCOPED_TRACE(file->path());
    // The dataset name means nothing to the flat formats.
    absl::StatusOr<std::unique_ptr<VectorFileReader>> reader =
        OpenVectorFile(file->path(), "ignored");
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ((*reader)->path(), file->path());
    EXPECT_EQ((*reader)->rows(), 6);
    EXPECT_EQ((*reader)->dim(), 3);
    EXPECT_EQ(ReadAllFloats(**reader), data);
    absl::StatusOr<std::optional<DatasetMetric>> metric = (*reader)->metric();
    ASSERT_TRUE(metric.ok());
    EXPECT_FALSE(metric->has_value());
  }
  absl::StatusOr<std::unique_ptr<VectorFileReader>> as_npy = OpenVectorFile(npy.path(), "");
  ASSERT_TRUE(as_npy.ok());
  EXPECT_NE(dynamic_cast<const NpyReader*>(as_npy->get()), nullptr);

  TempPath ivecs("d.ivecs");
  TempPath bvecs("e.bvecs");
  ASSERT_TRUE(WriteIvecs(ivecs.path(), MatrixView<int32_t>{std::vector<int32_t>{4, 5}, 1, 2}).ok());
  ASSERT_TRUE(
      WriteBvecs(bvecs.path(), MatrixView<uint8_t>{std::vector<uint8_t>{7, 8, 9}, 1, 3}).ok());
  absl::StatusOr<std::unique_ptr<VectorFileReader>> ids = OpenVectorFile(ivecs.path(), "");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ReadAllInts(**ids), (std::vector<int64_t>{4, 5}));
  absl::StatusOr<std::unique_ptr<VectorFileReader>> bytes = OpenVectorFile(bvecs.path(), "");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(ReadAllFloats(**bytes), (std::vector<float>{7, 8, 9}));
}

TEST(OpenVectorFileTest, Hdf5DatasetsAndMetric) {
  TempPath file("ann.hdf5");
  Hdf5Sample sample;
  ASSERT_TRUE(sample.Write(file.path(), "euclidean").ok());
  absl::StatusOr<std::unique_ptr<VectorFileReader>> train = OpenVectorFile(file.path(), "train");
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ((*train)->path(), file.path());
  EXPECT_EQ((*train)->rows(), 20);
  EXPECT_EQ((*train)->dim(), 4);
  EXPECT_EQ(ReadAllFloats(**train), sample.train);
  ExpectSlicesMatch(**train, sample.train);
  EXPECT_EQ((*train)->metric().value(), DatasetMetric::kL2);
  std::vector<int64_t> ints(4);
  ExpectError((*train)->ReadInt64Rows(0, 1, ints), absl::StatusCode::kFailedPrecondition,
              file.path(), "train");

  absl::StatusOr<std::unique_ptr<VectorFileReader>> test = OpenVectorFile(file.path(), "test");
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(ReadAllFloats(**test), sample.test);

  absl::StatusOr<std::unique_ptr<VectorFileReader>> neighbors =
      OpenVectorFile(file.path(), "neighbors");
  ASSERT_TRUE(neighbors.ok()) << neighbors.status();
  EXPECT_EQ(ReadAllInts(**neighbors),
            std::vector<int64_t>(sample.neighbors.begin(), sample.neighbors.end()));
  // Integers read as floats exactly, as from .ivecs.
  EXPECT_EQ(ReadAllFloats(**neighbors),
            std::vector<float>(sample.neighbors.begin(), sample.neighbors.end()));

  // .h5 is the same format; the extension is case-insensitive.
  TempPath h5("ann.H5");
  std::filesystem::copy_file(file.path(), h5.path());
  absl::StatusOr<std::unique_ptr<VectorFileReader>> again = OpenVectorFile(h5.path(), "train");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ReadAllFloats(**again), sample.train);
  EXPECT_EQ((*again)->metric().value(), DatasetMetric::kL2);
}

TEST(OpenVectorFileTest, Hdf5MetricAbsentOrUnknown) {
  TempPath angular("angular.hdf5");
  Hdf5Sample sample;
  ASSERT_TRUE(sample.Write(angular.path(), "angular").ok());
  absl::StatusOr<std::unique_ptr<VectorFileReader>> reader = OpenVectorFile(angular.path(), "test");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->metric().value(), DatasetMetric::kCosine);

  // An unknown name opens (the vectors are fine) but is no metric to default to.
  TempPath hamming("hamming.hdf5");
  ASSERT_TRUE(sample.Write(hamming.path(), "hamming").ok());
  reader = OpenVectorFile(hamming.path(), "train");
  ASSERT_TRUE(reader.ok()) << reader.status();
  ExpectError((*reader)->metric().status(), absl::StatusCode::kFailedPrecondition, hamming.path(),
              "hamming");

  TempPath bare("bare.hdf5");
  absl::StatusOr<AnnHdf5Writer> writer = AnnHdf5Writer::Create(bare.path());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->CreateDataset("train", DiskType::kFloat32, 2, 2).ok());
  ASSERT_TRUE(writer->WriteRows("train", 0, std::span<const float>(MakeMatrix(2, 2))).ok());
  ASSERT_TRUE(writer->CreateDataset("flat", DiskType::kFloat32, 3, 0).ok());
  ASSERT_TRUE(writer->Commit().ok());
  reader = OpenVectorFile(bare.path(), "train");
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<std::optional<DatasetMetric>> metric = (*reader)->metric();
  ASSERT_TRUE(metric.ok());
  EXPECT_FALSE(metric->has_value());
  ExpectError(OpenVectorFile(bare.path(), "flat").status(), absl::StatusCode::kFailedPrecondition,
              bare.path(), "dataset 'flat' has dimension 0, expected 1 to 1048576");
}

TEST(OpenVectorFileTest, Hdf5Errors) {
  TempPath file("errors.hdf5");
  ASSERT_TRUE(Hdf5Sample().Write(file.path(), "angular").ok());
  ExpectError(OpenVectorFile(file.path(), "nope").status(), absl::StatusCode::kNotFound,
              file.path(), "dataset 'nope' not found");
  ExpectError(OpenVectorFile(file.path(), "").status(), absl::StatusCode::kInvalidArgument,
              file.path(), "an HDF5 file needs a dataset name");
  TempPath text("text.h5");
  WriteBytes(text.path(), "not hdf5");
  ExpectError(OpenVectorFile(text.path(), "train").status(), absl::StatusCode::kFailedPrecondition,
              text.path(), "not an HDF5 file");
}

TEST(OpenVectorFileTest, UnknownExtensionsAndMissingFiles) {
  const absl::Status txt = OpenVectorFile("x.txt", "train").status();
  EXPECT_EQ(txt.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(txt.message(),
            "x.txt: unknown vector file extension '.txt' (expected .hdf5, .h5, .fvecs, .bvecs, "
            ".ivecs or .npy)");
  ExpectError(OpenVectorFile("dir.d/vectors", "").status(), absl::StatusCode::kInvalidArgument,
              "dir.d/vectors", "no file extension (expected .hdf5");
  EXPECT_EQ(OpenVectorFile("", "train").status().code(), absl::StatusCode::kInvalidArgument);
  for (const char* extension : {".fvecs", ".ivecs", ".bvecs", ".npy", ".hdf5"}) {
    const std::string missing = ::testing::TempDir() + "tq_vf_missing" + extension;
    ExpectError(OpenVectorFile(missing, "train").status(), absl::StatusCode::kNotFound, missing,
                "file not found");
  }
}

TEST(OpenVectorFileTest, StreamsEveryFormatThroughOneReusedBuffer) {
  const std::vector<float> data = MakeMatrix(45, 6);
  TempPath fvecs("s.fvecs");
  TempPath npy("s.npy");
  TempPath hdf5("s.hdf5");
  ASSERT_TRUE(WriteFvecs(fvecs.path(), {data, 45, 6}).ok());
  ASSERT_TRUE(WriteNpy(npy.path(), {data, 45, 6}).ok());
  absl::StatusOr<AnnHdf5Writer> writer = AnnHdf5Writer::Create(hdf5.path());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->CreateDataset("base", DiskType::kFloat32, 45, 6).ok());
  ASSERT_TRUE(writer->WriteRows("base", 0, std::span<const float>(data)).ok());
  ASSERT_TRUE(writer->Commit().ok());
  for (const TempPath* file : {&fvecs, &npy, &hdf5}) {
    SCOPED_TRACE(file->path());
    absl::StatusOr<std::unique_ptr<VectorFileReader>> reader = OpenVectorFile(file->path(), "base");
    ASSERT_TRUE(reader.ok()) << reader.status();
    const VectorFileReader& r = **reader;
    constexpr int64_t kBatch = 8;  // leaves a short tail
    std::vector<float> buffer(kBatch * r.dim());
    std::vector<float> all;
    for (int64_t begin = 0; begin < r.rows(); begin += kBatch) {
      const int64_t count = std::min(kBatch, r.rows() - begin);
      const std::span<float> out(buffer.data(), count * r.dim());
      ASSERT_TRUE(r.ReadRows(begin, count, out).ok());
      all.insert(all.end(), out.begin(), out.end());
    }
    EXPECT_EQ(all, data);
    std::vector<float> wrong(5);
    ExpectError(r.ReadRows(0, 1, wrong), absl::StatusCode::kInvalidArgument, file->path(),
                "buffer for 1 rows of dimension 6 has 5 elements, expected 6");
    ExpectError(r.ReadRows(44, 2, std::span<float>(buffer.data(), 12)),
                absl::StatusCode::kOutOfRange, file->path(), "rows [44, 46) out of range");
  }
}

}  // namespace
}  // namespace tq::io
