// Writes the generated part of the seed corpora (corpus/<target>/gen_*) with this build's own
// writers, so that the seeds follow the formats when they change:
//   build-fuzz/tests/fuzz/make_seed_corpus tests/fuzz/corpus
// The golden index files (tests/data/*.tqi) are copied beside them by hand.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "index/index.h"
#include "index/write_ahead_log.h"
#include "io/ann_hdf5.h"
#include "io/npy_file.h"
#include "io/vecs_file.h"

namespace {

void Check(const absl::Status& status, const std::string& what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", what.c_str(), std::string(status.message()).c_str());
    std::exit(1);
  }
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "%s: cannot write\n", path.c_str());
    std::exit(1);
  }
}

std::vector<float> Vectors(int64_t n, int dim, int salt) {
  std::vector<float> v(n * dim);
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = static_cast<float>((static_cast<int>(i) * 37 + salt * 11) % 19) - 9.0f + 0.5f;
  }
  return v;
}

// --- index files --------------------------------------------------------------------------

void IndexSeed(const std::string& dir, const std::string& name, const tq::IndexOptions& options,
               int64_t n, int64_t removed) {
  absl::StatusOr<std::unique_ptr<tq::Index>> index = tq::Index::Create(options);
  Check(index.status(), name);
  if (n > 0) Check((*index)->Add(Vectors(n, options.dim, 1)), name);
  for (int64_t i = 0; i < removed; ++i) {
    const uint64_t id = static_cast<uint64_t>(i * 3);
    Check((*index)->Remove(&id, 1), name);
  }
  Check((*index)->Save(dir + "/" + name), name);
}

// --- flat vector files: one selector byte (fuzz_vector_files.cc), then the file -------------

enum Selector : uint8_t { kNpy = 0, kFvecs = 1, kIvecs = 2, kBvecs = 3 };

void FlatSeed(const std::string& dir, const std::string& name, Selector selector,
              const std::string& written) {
  std::vector<uint8_t> bytes = {selector};
  const std::vector<uint8_t> file = ReadFile(written);
  bytes.insert(bytes.end(), file.begin(), file.end());
  WriteFile(dir + "/" + name, bytes);
  std::remove(written.c_str());
}

// A .npy file by hand, for the dtypes and versions WriteNpy does not write.
std::vector<uint8_t> Npy(int major, const std::string& descr, int64_t rows, int64_t cols,
                         const std::vector<uint8_t>& data) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" +
                     std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  const size_t prefix = 8 + (major == 1 ? 2 : 4);
  while ((prefix + dict.size() + 1) % 64 != 0) dict.push_back(' ');
  dict.push_back('\n');
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const uint32_t length = static_cast<uint32_t>(dict.size());
  for (size_t i = 0; i < prefix - 8; ++i) out.push_back(static_cast<uint8_t>(length >> (8 * i)));
  out.insert(out.end(), dict.begin(), dict.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

template <typename T>
std::vector<uint8_t> Bytes(const std::vector<T>& values) {
  std::vector<uint8_t> out(values.size() * sizeof(T));
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR (tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  const std::string root = argv[1];

  // Index files: the layouts the goldens do not cover (empty, mse, Haar, f32, removals).
  {
    const std::string dir = root + "/fuzz_index_file";
    tq::IndexOptions empty;
    empty.dim = 8;
    empty.bits = 2;
    empty.metric = tq::Metric::kL2;
    empty.variant = tq::Variant::kMse;
    IndexSeed(dir, "gen_empty_l2_mse_b2.tqi", empty, 0, 0);
    tq::IndexOptions haar;
    haar.dim = 12;
    haar.bits = 1;
    haar.metric = tq::Metric::kInnerProduct;
    haar.variant = tq::Variant::kProd;
    haar.rotation = tq::RotationKind::kHaar;
    haar.keep_vectors = tq::KeepVectors::kFloat32;
    IndexSeed(dir, "gen_ip_prod_haar_b1_f32_removed.tqi", haar, 40, 5);
  }

  // Flat vector files, each behind its selector byte.
  {
    const std::string dir = root + "/fuzz_vector_files";
    const std::string tmp = dir + "/.tmp";
    const std::vector<float> f = Vectors(3, 4, 2);
    Check(tq::io::WriteNpy(tmp + ".npy", {f, 3, 4}), "npy");
    FlatSeed(dir, "gen_f4.npy", kNpy, tmp + ".npy");
    Check(tq::io::WriteFvecs(tmp + ".fvecs", {f, 3, 4}), "fvecs");
    FlatSeed(dir, "gen.fvecs", kFvecs, tmp + ".fvecs");
    const std::vector<int32_t> ids = {0, 5, 2, 7, 1, 9, 3, -1, 16777216};
    Check(tq::io::WriteIvecs(tmp + ".ivecs", tq::io::MatrixView<int32_t>{ids, 3, 3}), "ivecs");
    FlatSeed(dir, "gen.ivecs", kIvecs, tmp + ".ivecs");
    const std::vector<uint8_t> b = {0, 1, 2, 254, 255, 128, 7, 9, 11, 13, 15, 17};
    Check(tq::io::WriteBvecs(tmp + ".bvecs", {b, 2, 6}), "bvecs");
    FlatSeed(dir, "gen.bvecs", kBvecs, tmp + ".bvecs");
    // Hand-built .npy of the other dtypes and header versions.
    auto npy_seed = [&](const std::string& name, const std::vector<uint8_t>& file) {
      std::vector<uint8_t> bytes = {kNpy};
      bytes.insert(bytes.end(), file.begin(), file.end());
      WriteFile(dir + "/" + name, bytes);
    };
    npy_seed("gen_i8_v2.npy", Npy(2, "<i8", 2, 3, Bytes(std::vector<int64_t>{1, 2, 3, 4, 5, -6})));
    npy_seed("gen_i4_v3.npy", Npy(3, "<i4", 3, 1, Bytes(std::vector<int32_t>{10, 20, 30})));
    npy_seed("gen_f2.npy",
             Npy(1, "<f2", 2, 2, Bytes(std::vector<uint16_t>{0x3c00, 0xc000, 0x7bff, 0x0001})));
    npy_seed("gen_f8.npy", Npy(1, "<f8", 1, 3, Bytes(std::vector<double>{0.5, -1e300, 3.0})));
    npy_seed("gen_u1.npy", Npy(1, "|u1", 2, 2, {1, 2, 3, 255}));
    npy_seed("gen_empty_rows.npy", Npy(1, "<f4", 0, 5, {}));
  }

  // ann-benchmarks HDF5: float32 contiguous with int32 neighbours, and chunked float64 with
  // int64 neighbours and a fixed-length metric string.
  {
    const std::string dir = root + "/fuzz_hdf5";
    const std::vector<float> train = Vectors(6, 3, 3), test = Vectors(2, 3, 4);
    const std::vector<int32_t> neighbors = {0, 1, 2, 3, 4, 5};
    const std::vector<float> distances = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
    tq::io::AnnData data;
    data.train = {train, 6, 3};
    data.test = {test, 2, 3};
    data.neighbors = {neighbors, 2, 3};
    data.distances = {distances, 2, 3};
    data.distance = "euclidean";
    Check(tq::io::WriteAnnHdf5(dir + "/gen_f32_contiguous.hdf5", data), "hdf5");
    tq::io::AnnWriteOptions options;
    options.float_layout.layout = tq::io::StorageLayout::kChunked;
    options.float_layout.chunk_rows = 4;
    options.float_type = tq::io::DiskType::kFloat64;
    options.neighbors_type = tq::io::DiskType::kInt64;
    options.distance_storage = tq::io::StringStorage::kFixedLength;
    options.write_dimension = false;
    data.distance = "angular";
    Check(tq::io::WriteAnnHdf5(dir + "/gen_f64_chunked.hdf5", data, options), "hdf5");
  }

  // Write-ahead logs from the writer: adds and removes; one torn by a cut-off last record.
  {
    const std::string dir = root + "/fuzz_write_ahead_log";
    const std::string path = dir + "/gen_add_remove.wal";
    std::remove(path.c_str());
    const tq::WalBase base{0x12345678u, 3, 3};
    {
      absl::StatusOr<std::unique_ptr<tq::WriteAheadLog>> log =
          tq::WriteAheadLog::Open(path, base, 0, 1, tq::WalSync::kNone);
      Check(log.status(), path);
      const std::vector<float> v = Vectors(2, 4, 5);
      const uint64_t ids[] = {3, 4};
      Check((*log)->AppendAdd(v.data(), 2, 4, ids), path);
      const uint64_t removed[] = {1, 3};
      Check((*log)->AppendRemove(removed, 2), path);
      const std::vector<float> w = Vectors(1, 4, 6);
      const uint64_t more[] = {9};
      Check((*log)->AppendAdd(w.data(), 1, 4, more), path);
    }
    std::vector<uint8_t> torn = ReadFile(path);
    torn.resize(torn.size() - 7);
    WriteFile(dir + "/gen_torn_tail.wal", torn);
    const std::string empty_path = dir + "/gen_empty.wal";
    std::remove(empty_path.c_str());
    Check(tq::WriteAheadLog::Open(empty_path, base, 0, 1, tq::WalSync::kNone).status(), empty_path);
  }
  return 0;
}
