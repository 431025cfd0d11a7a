#include "tools/index_cli/ingest.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "index/centering.h"
#include "tools/index_cli/progress.h"

namespace tq::cli {
namespace {

// Rows per batch: about 64 MiB of floats, at least one 32-vector block's worth.
int64_t BatchRows(int64_t dim) {
  return std::clamp<int64_t>((int64_t{64} << 20) / (dim * 4), 32, 65536);
}

bool IsTextIdFile(const std::string& path) {
  std::string lower = path;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (const char* ext : {".txt", ".tsv", ".csv"}) {
    if (lower.size() >= 4 && lower.compare(lower.size() - 4, 4, ext) == 0) return true;
  }
  return false;
}

absl::StatusOr<std::vector<uint64_t>> ReadTextIds(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::vector<uint64_t> ids;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    uint64_t id = 0;
    const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), id);
    if (line.empty() || error != std::errc() || end != line.data() + line.size() ||
        id > kMaxIndexId) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": line ", number, ": '", line, "' is not an id (an integer in [0, 2^63 - 1])"));
    }
    ids.push_back(id);
  }
  return ids;
}

absl::StatusOr<std::vector<uint64_t>> ReadVectorFileIds(const std::string& path,
                                                        const std::string& dataset) {
  absl::StatusOr<std::unique_ptr<io::VectorFileReader>> file = io::OpenVectorFile(path, dataset);
  if (!file.ok()) return file.status();
  if ((*file)->dim() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ids need one column, the file has ", (*file)->dim()));
  }
  std::vector<int64_t> values((*file)->rows());
  if (absl::Status status = (*file)->ReadInt64Rows(0, (*file)->rows(), std::span<int64_t>(values));
      !status.ok()) {
    return status;
  }
  std::vector<uint64_t> ids(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": row ", i, ": id ", values[i], " is negative"));
    }
    ids[i] = static_cast<uint64_t>(values[i]);
  }
  return ids;
}

// The rows Add would refuse, found here so the message can name the row in the file.
absl::Status CheckRows(const std::string& path, const float* x, int64_t first_row, int64_t n,
                       int64_t dim, Metric metric) {
  for (int64_t i = 0; i < n; ++i) {
    const float* row = x + i * dim;
    double squared = 0.0;
    for (int64_t j = 0; j < dim; ++j) {
      if (!std::isfinite(row[j])) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": row ", first_row + i, " has a non-finite value at coordinate ", j));
      }
      squared += static_cast<double>(row[j]) * row[j];
    }
    if (metric == Metric::kCosine && squared == 0.0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": row ", first_row + i, " is zero, which has no cosine"));
    }
  }
  return absl::OkStatus();
}

// Reads `data` in bounded batches of the index's dimension, checks each batch's rows, and hands
// it to `use(first_row, count, values)`; stops at the first error.
template <typename Use>
absl::Status ForEachCheckedBatch(const Index& index, const io::VectorFileReader& data, Use use) {
  const int64_t rows = data.rows(), dim = data.dim();
  if (dim != index.dim()) {
    return absl::InvalidArgumentError(
        absl::StrCat(data.path(), ": vectors of dimension ", dim, ", the index has ", index.dim()));
  }
  const int64_t batch = BatchRows(dim);
  std::vector<float> buffer(batch * dim);
  for (int64_t begin = 0; begin < rows; begin += batch) {
    const int64_t n = std::min(batch, rows - begin);
    std::span<float> slice(buffer.data(), n * dim);
    if (absl::Status status = data.ReadRows(begin, n, slice); !status.ok()) return status;
    if (absl::Status status =
            CheckRows(data.path(), slice.data(), begin, n, dim, index.options().metric);
        !status.ok()) {
      return status;
    }
    if (absl::Status status = use(begin, n, slice.data()); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<uint64_t>> ReadIds(const std::string& path, const std::string& dataset,
                                              int64_t expected) {
  absl::StatusOr<std::vector<uint64_t>> ids =
      IsTextIdFile(path) ? ReadTextIds(path) : ReadVectorFileIds(path, dataset);
  if (!ids.ok()) return ids.status();
  if (static_cast<int64_t>(ids->size()) != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", ids->size(), " ids for ", expected, " vectors"));
  }
  return ids;
}

absl::Status CheckFile(const Index& index, const io::VectorFileReader& data,
                       const std::vector<uint64_t>* ids) {
  if (absl::Status status = ForEachCheckedBatch(
          index, data, [](int64_t, int64_t, const float*) { return absl::OkStatus(); });
      !status.ok()) {
    return status;
  }
  if (ids == nullptr) return absl::OkStatus();
  absl::flat_hash_set<uint64_t> seen;
  seen.reserve(ids->size());
  for (size_t i = 0; i < ids->size(); ++i) {
    const uint64_t id = (*ids)[i];
    if (!seen.insert(id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--ids: id ", id, " (row ", i, ") appears twice"));
    }
    if (index.Contains(id)) {
      return absl::AlreadyExistsError(
          absl::StrCat("--ids: id ", id, " (row ", i, ") is already in the index"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>> SampleMean(const io::VectorFileReader& data, Metric metric) {
  const int64_t rows = data.rows(), dim = data.dim();
  const int64_t m = std::min(rows, kMeanSampleRows);
  std::vector<float> sample(m * dim);
  for (int64_t i = 0; i < m; ++i) {
    const int64_t row = MeanSampleRow(i, rows, m);
    std::span<float> out(sample.data() + i * dim, dim);
    if (absl::Status status = data.ReadRows(row, 1, out); !status.ok()) return status;
    if (absl::Status status = CheckRows(data.path(), out.data(), row, 1, dim, metric);
        !status.ok()) {
      return status;
    }
    if (metric == Metric::kCosine) {
      double squared = 0.0;
      for (float v : out) squared += static_cast<double>(v) * v;
      const double inverse = 1.0 / std::sqrt(squared);
      for (float& v : out) v = static_cast<float>(v * inverse);
    }
  }
  return EstimateMean(sample.data(), m, static_cast<int>(dim));
}

absl::Status AddFile(Index& index, const io::VectorFileReader& data,
                     const std::vector<uint64_t>* ids, const std::string& label, bool quiet) {
  Progress progress(label, data.rows(), quiet);
  return ForEachCheckedBatch(index, data, [&](int64_t begin, int64_t n, const float* x) {
    absl::Status status = index.Add(x, n, ids != nullptr ? ids->data() + begin : nullptr);
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat(data.path(), ": rows ", begin, "..",
                                                      begin + n - 1, ": ", status.message()));
    }
    progress.Update(begin + n);
    return absl::OkStatus();
  });
}

}  // namespace tq::cli
