// Tests for io/ann_hdf5: write-then-read round trips over every layout and type the reader must
// accept, slicing across chunks, metric attributes, error messages, and the real GloVe file.
#include "io/ann_hdf5.h"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tq::io {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Debian's Abseil has its own absl::string_view, which gMock's string matchers do not take.
std::string Message(const absl::Status& status) { return std::string(status.message()); }

// A unique file under the test temp dir, removed (with any writer leftovers) afterwards.
class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_(absl::StrCat(::testing::TempDir(), "tq_io_", name, "_",
                           ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                           ".hdf5")) {
    Remove();
  }
  ~TempFile() { Remove(); }
  const std::string& path() const { return path_; }

 private:
  void Remove() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
    std::filesystem::remove(path_ + ".partial", ignored);
  }
  std::string path_;
};

// Values exact in float32, so float64 storage and conversion back must round-trip bit for bit.
std::vector<float> MakeMatrix(int64_t rows, int64_t cols, float offset) {
  std::vector<float> data(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      data[r * cols + c] = offset + static_cast<float>(r * 1000 + c) + 0.25f;
    }
  }
  return data;
}

std::vector<int32_t> MakeNeighbors(int64_t rows, int64_t cols, int64_t train_rows) {
  std::vector<int32_t> ids(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i) ids[i] = static_cast<int32_t>((i * 7919) % train_rows);
  return ids;
}

// A small ann-benchmarks file: 50 x 6 train, 9 x 6 test, 9 x 4 ground truth.
struct Sample {
  static constexpr int64_t kTrain = 50, kTest = 9, kDim = 6, kK = 4;
  std::vector<float> train = MakeMatrix(kTrain, kDim, 0.0f);
  std::vector<float> test = MakeMatrix(kTest, kDim, 0.5f);
  std::vector<int32_t> neighbors = MakeNeighbors(kTest, kK, kTrain);
  std::vector<float> distances = MakeMatrix(kTest, kK, 0.125f);

  AnnData View(std::string distance = "angular") const {
    AnnData data;
    data.train = {train, kTrain, kDim};
    data.test = {test, kTest, kDim};
    data.neighbors = {neighbors, kTest, kK};
    data.distances = {distances, kTest, kK};
    data.distance = std::move(distance);
    return data;
  }
};

// On-disk element size and class of a dataset, read with the raw C API so the tests check what
// the writer really produced rather than what the reader converts it to.
struct DiskInfo {
  H5T_class_t type_class = H5T_NO_CLASS;
  size_t bytes = 0;
  H5D_layout_t layout = H5D_LAYOUT_ERROR;
  hsize_t chunk_rows = 0;
};

DiskInfo InspectDataset(const std::string& path, const char* name) {
  DiskInfo info;
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
  const hid_t type = H5Dget_type(dataset);
  const hid_t plist = H5Dget_create_plist(dataset);
  info.type_class = H5Tget_class(type);
  info.bytes = H5Tget_size(type);
  info.layout = H5Pget_layout(plist);
  if (info.layout == H5D_CHUNKED) {
    hsize_t chunk[2] = {0, 0};
    H5Pget_chunk(plist, 2, chunk);
    info.chunk_rows = chunk[0];
  }
  H5Pclose(plist);
  H5Tclose(type);
  H5Dclose(dataset);
  H5Fclose(file);
  return info;
}

void ExpectRoundTrip(const std::string& path, const Sample& sample) {
  absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->path(), path);
  for (const char* name : {"train", "test", "neighbors", "distances"}) {
    EXPECT_TRUE(*reader->HasDataset(name)) << name;
  }
  EXPECT_EQ(*reader->Shape("train"), (DatasetShape{Sample::kTrain, Sample::kDim}));
  EXPECT_EQ(*reader->Shape("test"), (DatasetShape{Sample::kTest, Sample::kDim}));
  EXPECT_EQ(*reader->Shape("neighbors"), (DatasetShape{Sample::kTest, Sample::kK}));
  EXPECT_EQ(*reader->Shape("distances"), (DatasetShape{Sample::kTest, Sample::kK}));
  EXPECT_EQ(*reader->ReadFloatRows("train", 0, Sample::kTrain), sample.train);
  EXPECT_EQ(*reader->ReadFloatRows("test", 0, Sample::kTest), sample.test);
  EXPECT_EQ(*reader->ReadFloatRows("distances", 0, Sample::kTest), sample.distances);
  absl::StatusOr<std::vector<int64_t>> neighbors =
      reader->ReadInt64Rows("neighbors", 0, Sample::kTest);
  ASSERT_TRUE(neighbors.ok()) << neighbors.status();
  EXPECT_EQ(*neighbors, std::vector<int64_t>(sample.neighbors.begin(), sample.neighbors.end()));
  EXPECT_EQ(*reader->ReadDistance(), "angular");
  EXPECT_EQ(*reader->ReadMetric(), DatasetMetric::kCosine);
  EXPECT_EQ(*reader->ReadIntAttribute("dimension"), Sample::kDim);
}

// ---------------------------------------------------------------------------------------------
// Metric names.

TEST(DatasetMetricTest, ParsesEveryKnownSpelling) {
  EXPECT_EQ(*ParseDatasetMetric("angular"), DatasetMetric::kCosine);
  EXPECT_EQ(*ParseDatasetMetric("cosine"), DatasetMetric::kCosine);
  EXPECT_EQ(*ParseDatasetMetric("euclidean"), DatasetMetric::kL2);
  EXPECT_EQ(*ParseDatasetMetric("l2"), DatasetMetric::kL2);
  EXPECT_EQ(*ParseDatasetMetric("ip"), DatasetMetric::kInnerProduct);
  EXPECT_EQ(*ParseDatasetMetric("dot"), DatasetMetric::kInnerProduct);
  EXPECT_EQ(*ParseDatasetMetric("inner_product"), DatasetMetric::kInnerProduct);
  EXPECT_EQ(*ParseDatasetMetric(" Angular\n"), DatasetMetric::kCosine);
}

TEST(DatasetMetricTest, NamesRoundTrip) {
  for (DatasetMetric metric :
       {DatasetMetric::kInnerProduct, DatasetMetric::kCosine, DatasetMetric::kL2}) {
    EXPECT_EQ(*ParseDatasetMetric(DatasetMetricName(metric)), metric);
  }
  EXPECT_EQ(DatasetMetricName(DatasetMetric::kCosine), "angular");
  EXPECT_EQ(DatasetMetricName(DatasetMetric::kL2), "euclidean");
}

TEST(DatasetMetricTest, RejectsUnknownNames) {
  absl::StatusOr<DatasetMetric> metric = ParseDatasetMetric("hamming");
  EXPECT_EQ(metric.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(metric.status()), HasSubstr("hamming"));
  EXPECT_FALSE(ParseDatasetMetric("").ok());
}

// ---------------------------------------------------------------------------------------------
// Round trips.

TEST(AnnHdf5Test, RoundTripFloat32Contiguous) {
  TempFile file("rt");
  Sample sample;
  ASSERT_TRUE(WriteAnnHdf5(file.path(), sample.View()).ok());
  EXPECT_FALSE(std::filesystem::exists(file.path() + ".partial"));
  const DiskInfo train = InspectDataset(file.path(), "train");
  EXPECT_EQ(train.type_class, H5T_FLOAT);
  EXPECT_EQ(train.bytes, 4u);
  EXPECT_EQ(train.layout, H5D_CONTIGUOUS);
  ExpectRoundTrip(file.path(), sample);
}

TEST(AnnHdf5Test, RoundTripFloat32Chunked) {
  TempFile file("rt");
  Sample sample;
  AnnWriteOptions options;
  options.float_layout = {StorageLayout::kChunked, /*chunk_rows=*/7};
  ASSERT_TRUE(WriteAnnHdf5(file.path(), sample.View(), options).ok());
  const DiskInfo train = InspectDataset(file.path(), "train");
  EXPECT_EQ(train.layout, H5D_CHUNKED);
  EXPECT_EQ(train.chunk_rows, 7u);
  ExpectRoundTrip(file.path(), sample);
}

TEST(AnnHdf5Test, RoundTripFloat64Chunked) {
  TempFile file("rt");
  Sample sample;
  AnnWriteOptions options;
  options.float_layout = {StorageLayout::kChunked, /*chunk_rows=*/0};
  options.float_type = DiskType::kFloat64;
  ASSERT_TRUE(WriteAnnHdf5(file.path(), sample.View(), options).ok());
  for (const char* name : {"train", "test", "distances"}) {
    const DiskInfo info = InspectDataset(file.path(), name);
    EXPECT_EQ(info.type_class, H5T_FLOAT) << name;
    EXPECT_EQ(info.bytes, 8u) << name;
    EXPECT_EQ(info.layout, H5D_CHUNKED) << name;
  }
  ExpectRoundTrip(file.path(), sample);
}

TEST(AnnHdf5Test, RoundTripNeighborsInt32AndInt64) {
  for (DiskType type : {DiskType::kInt32, DiskType::kInt64}) {
    TempFile file(type == DiskType::kInt32 ? "i32" : "i64");
    Sample sample;
    AnnWriteOptions options;
    options.neighbors_type = type;
    ASSERT_TRUE(WriteAnnHdf5(file.path(), sample.View(), options).ok());
    const DiskInfo info = InspectDataset(file.path(), "neighbors");
    EXPECT_EQ(info.type_class, H5T_INTEGER);
    EXPECT_EQ(info.bytes, type == DiskType::kInt32 ? 4u : 8u);
    ExpectRoundTrip(file.path(), sample);
  }
}

TEST(AnnHdf5Test, WritesInt64ValuesAndRejectsThoseAnInt32DatasetCannotHold) {
  TempFile file("ids");
  absl::StatusOr<AnnHdf5Writer> writer = AnnHdf5Writer::Create(file.path());
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE(writer->CreateDataset("wide", DiskType::kInt64, 1, 2).ok());
  ASSERT_TRUE(writer->CreateDataset("narrow", DiskType::kInt32, 1, 2).ok());
  const std::vector<int64_t> big = {int64_t{1} << 40, -(int64_t{1} << 40)};
  EXPECT_TRUE(writer->WriteRows("wide", 0, std::span<const int64_t>(big)).ok());
  const absl::Status status = writer->WriteRows("narrow", 0, std::span<const int64_t>(big));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr("does not fit int32"));
  ASSERT_TRUE(writer->Commit().ok());
  absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(file.path());
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*reader->ReadInt64Rows("wide", 0, 1), big);
}

// ---------------------------------------------------------------------------------------------
// Slicing.

TEST(AnnHdf5Test, SlicesAcrossChunkBoundariesMatchTheSource) {
  for (DiskType type : {DiskType::kFloat32, DiskType::kFloat64}) {
    TempFile file(type == DiskType::kFloat32 ? "f32" : "f64");
    Sample sample;
    AnnWriteOptions options;
    options.float_layout = {StorageLayout::kChunked, /*chunk_rows=*/7};
    options.float_type = type;
    ASSERT_TRUE(WriteAnnHdf5(file.path(), sample.View(), options).ok());
    absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(file.path());
    ASSERT_TRUE(reader.ok());
    // Every (begin, count) pair: slices inside one chunk, spanning several, ending at the end.
    for (int64_t begin = 0; begin <= Sample::kTrain; ++begin) {
      for (int64_t count = 0; begin + count <= Sample::kTrain; count += 3) {
        absl::StatusOr<std::vector<float>> rows = reader->ReadFloatRows("train", begin, count);
        ASSERT_TRUE(rows.ok()) << rows.status();
        const std::vector<float> expected(sample.train.begin() + begin * Sample::kDim,
                                          sample.train.begin() + (begin + count) * Sample::kDim);
        ASSERT_EQ(*rows, expected) << "begin " << begin << " count " << count;
      }
    }
  }
}

TEST(AnnHdf5Test, StreamsIntoOneReusedBuffer) {
  TempFile file("stream");
  Sample sample;
  AnnWriteOptions options;
  options.float_layout = {StorageLayout::kChunked, /*chunk_rows=*/8};
  ASSERT_TRUE(WriteAnnHdf5(file.path(), sample.View(), options).ok());
  absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(file.path());
  ASSERT_TRUE(reader.ok());
  constexpr int64_t kBatch = 11;  // not a multiple of the chunk, and leaves a short tail
  std::vector<float> buffer(kBatch * Sample::kDim);
  std::vector<float> all;
  for (int64_t begin = 0; begin < Sample::kTrain; begin += kBatch) {
    const int64_t count = std::min(kBatch, Sample::kTrain - begin);
    std::span<float> out(buffer.data(), count * Sample::kDim);
    ASSERT_TRUE(reader->ReadFloatRowsInto("train", begin, count, out).ok());
    all.insert(all.end(), out.begin(), out.end());
  }
  EXPECT_EQ(all, sample.train);
  std::vector<int64_t> ids(2 * Sample::kK);
  ASSERT_TRUE(reader->ReadInt64RowsInto("neighbors", 3, 2, ids).ok());
  EXPECT_EQ(ids[0], sample.neighbors[3 * Sample::kK]);
}

TEST(AnnHdf5Test, WriterFillsADatasetInSlices) {
  TempFile file("slices");
  const std::vector<float> data = MakeMatrix(10, 3, 0.0f);
  absl::StatusOr<AnnHdf5Writer> writer = AnnHdf5Writer::Create(file.path());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(
      writer->CreateDataset("train", DiskType::kFloat32, 10, 3, {StorageLayout::kChunked, 4}).ok());
  const std::span<const float> all(data);
  ASSERT_TRUE(writer->WriteRows("train", 0, all.subspan(0, 12)).ok());
  ASSERT_TRUE(writer->WriteRows("train", 4, all.subspan(12)).ok());
  EXPECT_EQ(writer->WriteRows("train", 8, all.subspan(0, 9)).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(writer->WriteRows("train", 0, all.subspan(0, 4)).code(),
            absl::StatusCode::kInvalidArgument);  // not whole rows
  EXPECT_EQ(writer->CreateDataset("train", DiskType::kFloat32, 1, 1).code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(writer->Commit().code(), absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<FloatMatrix> matrix = ReadAll(file.path(), "train");
  ASSERT_TRUE(matrix.ok()) << matrix.status();
  EXPECT_EQ(matrix->rows, 10);
  EXPECT_EQ(matrix->cols, 3);
  EXPECT_EQ(matrix->data, data);
}

TEST(AnnHdf5Test, EmptyDatasetsReadAsEmpty) {
  TempFile file("empty");
  absl::StatusOr<AnnHdf5Writer> writer = AnnHdf5Writer::Create(file.path());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(
      writer->CreateDataset("train", DiskType::kFloat32, 0, 5, {StorageLayout::kChunked, 0}).ok());
  ASSERT_TRUE(writer->Commit().ok());
  absl::StatusOr<FloatMatrix> matrix = ReadAll(file.path(), "train");
  ASSERT_TRUE(matrix.ok()) << matrix.status();
  EXPECT_EQ(matrix->rows, 0);
  EXPECT_EQ(matrix->cols, 5);
  EXPECT_TRUE(matrix->data.empty());
}

// ---------------------------------------------------------------------------------------------
// Attributes.

TEST(AnnHdf5Test, ReadsFixedAndVariableLengthMetricStrings) {
  struct Case {
    std::string distance;
    StringStorage storage;
    DatasetMetric metric;
  };
  for (const Case& c : {Case{"euclidean", StringStorage::kFixedLength, DatasetMetric::kL2},
                        Case{"ip", StringStorage::kVariableLength, DatasetMetric::kInnerProduct},
                        Case{"dot", StringStorage::kFixedLength, DatasetMetric::kInnerProduct},
                        Case{"angular", StringStorage::kFixedLength, DatasetMetric::kCosine}}) {
    TempFile file(c.distance);
    Sample sample;
    AnnWriteOptions options;
    options.distance_storage = c.storage;
    ASSERT_TRUE(WriteAnnHdf5(file.path(), sample.View(c.distance), options).ok());
    absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(file.path());
    ASSERT_TRUE(reader.ok());
    EXPECT_EQ(*reader->ReadDistance(), c.distance);
    EXPECT_EQ(*reader->ReadMetric(), c.metric) << c.distance;
  }
}

TEST(AnnHdf5Test, AbsentAttributesAreNullopt) {
  TempFile no_dimension("nodim");
  Sample sample;
  AnnWriteOptions options;
  options.write_dimension = false;
  ASSERT_TRUE(WriteAnnHdf5(no_dimension.path(), sample.View(), options).ok());
  absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(no_dimension.path());
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*reader->ReadIntAttribute("dimension"), std::nullopt);
  EXPECT_EQ(*reader->ReadMetric(), DatasetMetric::kCosine);

  TempFile bare("bare");
  absl::StatusOr<AnnHdf5Writer> writer = AnnHdf5Writer::Create(bare.path());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->CreateDataset("train", DiskType::kFloat32, 1, 1).ok());
  ASSERT_TRUE(writer->Commit().ok());
  reader = AnnHdf5Reader::Open(bare.path());
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*reader->ReadDistance(), std::nullopt);
  EXPECT_EQ(*reader->ReadMetric(), std::nullopt);
  EXPECT_EQ(*reader->ReadStringAttribute("point_type"), std::nullopt);
}

TEST(AnnHdf5Test, UnknownOrMistypedMetricIsAnError) {
  TempFile file("badattr");
  absl::StatusOr<AnnHdf5Writer> writer = AnnHdf5Writer::Create(file.path());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->WriteStringAttribute("distance", "hamming").ok());
  ASSERT_TRUE(writer->WriteIntAttribute("dimension", 100).ok());
  ASSERT_TRUE(writer->Commit().ok());
  absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(file.path());
  ASSERT_TRUE(reader.ok());
  const absl::Status metric = reader->ReadMetric().status();
  EXPECT_EQ(metric.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(metric), StartsWith(file.path() + ": "));
  EXPECT_THAT(Message(metric), HasSubstr("hamming"));
  const absl::Status mistyped = reader->ReadStringAttribute("dimension").status();
  EXPECT_EQ(mistyped.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(mistyped), HasSubstr("attribute 'dimension' is int64, expected a string"));
}

// ---------------------------------------------------------------------------------------------
// Errors.

TEST(AnnHdf5Test, MissingFileIsNotFound) {
  const std::string path = ::testing::TempDir() + "tq_io_does_not_exist.hdf5";
  const absl::Status status = AnnHdf5Reader::Open(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), path + ": file not found");
  EXPECT_EQ(ReadAll(path, "train").status().code(), absl::StatusCode::kNotFound);
}

TEST(AnnHdf5Test, NonHdf5FileIsRejectedQuietly) {
  for (const std::string& bytes : {std::string("this is not HDF5 at all\n"), std::string()}) {
    TempFile file(bytes.empty() ? "empty" : "text");
    std::ofstream(file.path(), std::ios::binary) << bytes;
    ::testing::internal::CaptureStderr();
    const absl::Status status = AnnHdf5Reader::Open(file.path()).status();
    // HDF5's automatic error-stack printing would otherwise spam stderr on every failure.
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(status.message(), file.path() + ": not an HDF5 file");
  }
}

TEST(AnnHdf5Test, TruncatedFileIsRejectedWithHdf5sReason) {
  TempFile file("truncated");
  Sample sample;
  ASSERT_TRUE(WriteAnnHdf5(file.path(), sample.View()).ok());
  std::filesystem::resize_file(file.path(), std::filesystem::file_size(file.path()) / 2);
  const absl::Status status = AnnHdf5Reader::Open(file.path()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(status), StartsWith(file.path() + ": cannot open HDF5 file (HDF5: "));
  EXPECT_THAT(Message(status), HasSubstr("truncated"));
}

TEST(AnnHdf5Test, MissingDatasetIsNotFound) {
  TempFile file("missing");
  Sample sample;
  ASSERT_TRUE(WriteAnnHdf5(file.path(), sample.View()).ok());
  absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(file.path());
  ASSERT_TRUE(reader.ok());
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(*reader->HasDataset("nope"));
  EXPECT_FALSE(*reader->HasDataset("group/nope"));  // H5Lexists alone would fail here
  EXPECT_FALSE(*reader->HasDataset(""));
  const absl::Status status = reader->Shape("nope").status();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), file.path() + ": dataset 'nope' not found");
  EXPECT_EQ(reader->ReadFloatRows("nope", 0, 1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadAll(file.path(), "nope").status().code(), absl::StatusCode::kNotFound);
}

TEST(AnnHdf5Test, WrongRankIsRejected) {
  TempFile file("rank");
  {
    // Written with the raw C API: the library's own writer only makes rank-2 datasets.
    const hid_t h5 = H5Fcreate(file.path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(h5, 0);
    const hsize_t dims3[3] = {2, 3, 4};
    const hsize_t dims1[1] = {5};
    for (const auto& [name, rank, dims] :
         {std::tuple<const char*, int, const hsize_t*>{"cube", 3, dims3}, {"line", 1, dims1}}) {
      const hid_t space = H5Screate_simple(rank, dims, nullptr);
      const hid_t dataset =
          H5Dcreate2(h5, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      ASSERT_GE(dataset, 0);
      H5Dclose(dataset);
      H5Sclose(space);
    }
    const hid_t group = H5Gcreate2(h5, "group", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(group);
    H5Fclose(h5);
  }
  absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  const absl::Status cube = reader->Shape("cube").status();
  EXPECT_EQ(cube.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(cube.message(), file.path() + ": dataset 'cube' has rank 3, expected 2");
  EXPECT_EQ(reader->ReadFloatRows("cube", 0, 1).status().message(), cube.message());
  EXPECT_THAT(Message(reader->Shape("line").status()), HasSubstr("has rank 1, expected 2"));
  EXPECT_FALSE(*reader->HasDataset("group"));
  EXPECT_THAT(Message(reader->Shape("group").status()), HasSubstr("'group' is not a dataset"));
}

TEST(AnnHdf5Test, BadSlicesAreRejectedBeforeReading) {
  TempFile file("range");
  Sample sample;
  ASSERT_TRUE(WriteAnnHdf5(file.path(), sample.View()).ok());
  absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(file.path());
  ASSERT_TRUE(reader.ok());

  const absl::Status past_end = reader->ReadFloatRows("train", 45, 10).status();
  EXPECT_EQ(past_end.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(past_end.message(),
            file.path() + ": rows [45, 55) out of range for dataset 'train' with 50 rows");
  EXPECT_EQ(reader->ReadFloatRows("train", 51, 0).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(reader->ReadFloatRows("train", 1, INT64_MAX).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(reader->ReadInt64Rows("neighbors", 0, 10).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(reader->ReadFloatRows("train", -1, 2).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reader->ReadFloatRows("train", 0, -2).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(reader->ReadFloatRows("train", 50, 0)->empty());

  // 10 rows x 6 floats = 240 bytes.
  EXPECT_TRUE(reader->ReadFloatRows("train", 0, 10, /*max_bytes=*/240).ok());
  const absl::Status budget = reader->ReadFloatRows("train", 0, 10, /*max_bytes=*/239).status();
  EXPECT_EQ(budget.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(Message(budget), StartsWith(file.path() + ": "));
  EXPECT_THAT(Message(budget), HasSubstr("needs 240 bytes, over the limit of 239"));
  EXPECT_EQ(ReadAll(file.path(), "train", /*max_bytes=*/100).status().code(),
            absl::StatusCode::kResourceExhausted);

  std::vector<float> small(5);
  EXPECT_EQ(reader->ReadFloatRowsInto("train", 0, 1, std::span<float>(small)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AnnHdf5Test, ErrorPathsLeakNoHdf5Handles) {
  TempFile file("leaks");
  Sample sample;
  AnnWriteOptions options;
  options.float_layout = {StorageLayout::kChunked, 5};
  options.distance_storage = StringStorage::kFixedLength;
  ASSERT_TRUE(WriteAnnHdf5(file.path(), sample.View("hamming"), options).ok());
  EXPECT_EQ(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
  {
    absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(file.path());
    ASSERT_TRUE(reader.ok());
    EXPECT_FALSE(reader->ReadFloatRows("train", 40, 20).ok());
    EXPECT_FALSE(reader->ReadFloatRows("train", 0, 50, 8).ok());
    EXPECT_FALSE(reader->ReadFloatRows("neighbors", 0, 1).ok());
    EXPECT_FALSE(reader->ReadInt64Rows("train", 0, 1).ok());
    EXPECT_FALSE(reader->Shape("missing").ok());
    EXPECT_FALSE(reader->ReadMetric().ok());
    EXPECT_FALSE(reader->ReadIntAttribute("distance").ok());
    EXPECT_TRUE(reader->ReadFloatRows("train", 3, 20).ok());
    EXPECT_TRUE(reader->ReadDistance().ok());
    // Only the file itself stays open between calls.
    EXPECT_EQ(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 1);
  }
  EXPECT_EQ(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

TEST(AnnHdf5Test, ElementKindsAreNotMixed) {
  TempFile file("kinds");
  Sample sample;
  ASSERT_TRUE(WriteAnnHdf5(file.path(), sample.View()).ok());
  absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(file.path());
  ASSERT_TRUE(reader.ok());
  const absl::Status floats = reader->ReadFloatRows("neighbors", 0, 1).status();
  EXPECT_EQ(floats.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(floats.message(),
            file.path() + ": dataset 'neighbors' is int32, expected float32 or float64");
  const absl::Status ints = reader->ReadInt64Rows("train", 0, 1).status();
  EXPECT_EQ(ints.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(ints), HasSubstr("dataset 'train' is float32, expected int32 or int64"));
}

TEST(AnnHdf5Test, WriterRejectsInconsistentShapes) {
  TempFile file("shapes");
  Sample sample;
  AnnData data = sample.View();
  data.test.cols = Sample::kDim - 1;
  data.test.rows = Sample::kTest;
  const absl::Status status = WriteAnnHdf5(file.path(), data);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(file.path()));

  data = sample.View();
  data.neighbors.rows = Sample::kTest - 1;
  data.neighbors.data = data.neighbors.data.subspan(0, (Sample::kTest - 1) * Sample::kK);
  EXPECT_THAT(WriteAnnHdf5(file.path(), data).message(), HasSubstr("inconsistent shapes"));
}

TEST(AnnHdf5Test, WriterOverwritesAndAbandonedWritesLeaveNothing) {
  TempFile file("overwrite");
  Sample sample;
  ASSERT_TRUE(WriteAnnHdf5(file.path(), sample.View("euclidean")).ok());
  ASSERT_TRUE(WriteAnnHdf5(file.path(), sample.View("angular")).ok());
  EXPECT_EQ(*AnnHdf5Reader::Open(file.path())->ReadDistance(), "angular");

  TempFile abandoned("abandoned");
  {
    absl::StatusOr<AnnHdf5Writer> writer = AnnHdf5Writer::Create(abandoned.path());
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer->CreateDataset("train", DiskType::kFloat32, 2, 2).ok());
    EXPECT_TRUE(std::filesystem::exists(abandoned.path() + ".partial"));
  }
  EXPECT_FALSE(std::filesystem::exists(abandoned.path()));
  EXPECT_FALSE(std::filesystem::exists(abandoned.path() + ".partial"));

  const std::string unwritable = ::testing::TempDir() + "tq_io_no_such_dir/x.hdf5";
  const absl::Status status = WriteAnnHdf5(unwritable, sample.View());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(status), StartsWith(unwritable + ": cannot create"));
}

// ---------------------------------------------------------------------------------------------
// The real GloVe file shipped beside the repository.

TEST(AnnHdf5Test, ReadsGlove100Angular) {
  const std::string path = std::string(TQ_SHARED_DATASETS) + "/glove-100-angular.hdf5";
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << path << " is absent";
  }
  absl::StatusOr<AnnHdf5Reader> reader = AnnHdf5Reader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(*reader->Shape("train"), (DatasetShape{100000, 100}));
  EXPECT_EQ(*reader->Shape("test"), (DatasetShape{1000, 100}));
  EXPECT_EQ(*reader->Shape("neighbors"), (DatasetShape{1000, 100}));
  EXPECT_EQ(*reader->Shape("distances"), (DatasetShape{1000, 100}));
  EXPECT_EQ(*reader->ReadDistance(), "angular");
  EXPECT_EQ(*reader->ReadMetric(), DatasetMetric::kCosine);
  absl::StatusOr<std::optional<int64_t>> dimension = reader->ReadIntAttribute("dimension");
  ASSERT_TRUE(dimension.ok()) << dimension.status();
  if (dimension->has_value()) {
    EXPECT_EQ(**dimension, 100);
  }

  // Stream train in slices and check it matches one whole read.
  absl::StatusOr<FloatMatrix> train = ReadAll(path, "train");
  ASSERT_TRUE(train.ok()) << train.status();
  ASSERT_EQ(train->data.size(), 100000u * 100u);
  std::vector<float> slice(7000 * 100);
  for (int64_t begin = 0; begin < 100000; begin += 7000) {
    const int64_t count = std::min<int64_t>(7000, 100000 - begin);
    std::span<float> out(slice.data(), count * 100);
    ASSERT_TRUE(reader->ReadFloatRowsInto("train", begin, count, out).ok());
    ASSERT_TRUE(std::equal(out.begin(), out.end(), train->data.begin() + begin * 100));
  }
  for (float value : train->data) ASSERT_TRUE(std::isfinite(value));

  // Ground truth is consistent with train: ids in range, and for "angular" the stored distance
  // is 1 - cosine, which the first query's nearest neighbour must reproduce.
  absl::StatusOr<std::vector<int64_t>> neighbors = reader->ReadInt64Rows("neighbors", 0, 1000);
  ASSERT_TRUE(neighbors.ok()) << neighbors.status();
  for (int64_t id : *neighbors) ASSERT_TRUE(id >= 0 && id < 100000) << id;
  absl::StatusOr<std::vector<float>> query = reader->ReadFloatRows("test", 0, 1);
  absl::StatusOr<std::vector<float>> distances = reader->ReadFloatRows("distances", 0, 1);
  ASSERT_TRUE(query.ok() && distances.ok());
  const float* nearest = train->data.data() + (*neighbors)[0] * 100;
  double dot = 0, query_norm = 0, nearest_norm = 0;
  for (int c = 0; c < 100; ++c) {
    dot += double{(*query)[c]} * nearest[c];
    query_norm += double{(*query)[c]} * (*query)[c];
    nearest_norm += double{nearest[c]} * nearest[c];
  }
  EXPECT_NEAR(1.0 - dot / std::sqrt(query_norm * nearest_norm), (*distances)[0], 1e-4);
}

}  // namespace
}  // namespace tq::io
