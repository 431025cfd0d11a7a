// `tq-index info`: what an index file holds, from its header alone (instant at any size), and
// with --verify the whole file checked as Open checks it, every checksum included.
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "index/index.h"
#include "index/index_file.h"
#include "index/write_ahead_log.h"
#include "tools/index_cli/cli_util.h"
#include "tools/index_cli/commands.h"
#include "tools/index_cli/flags.h"
#include "tools/report/json_writer.h"

namespace tq::cli {
namespace {

std::string Hex32(uint32_t value) { return absl::StrFormat("%08x", value); }

// Bytes per vector in the scanned blocks: codes, per-vector floats and the block's share of
// live mask and padding.
double BlockBytesPerVector(const IndexFileHeader& h) {
  return static_cast<double>(h.stride) / h.block_vectors;
}

// The write-ahead log beside the index, as Open would treat it.
struct LogState {
  bool present = false;
  bool stale = false;  // predates the file: ignored
  int64_t records = 0, vectors_added = 0, ids_removed = 0, dropped_bytes = 0;
  std::string error;  // unreadable
};

LogState ReadLogState(const std::string& path, const IndexFileHeader& h) {
  LogState state;
  absl::StatusOr<WalContents> log = ReadWriteAheadLog(path + ".wal", h.options.dim);
  if (!log.ok()) {
    if (log.status().code() != absl::StatusCode::kNotFound) {
      state.present = true;
      state.error = std::string(log.status().message());
    }
    return state;
  }
  state.present = true;
  state.stale = log->base != WalBase{h.header_crc, static_cast<uint64_t>(h.size), h.next_id};
  if (state.stale) return state;
  state.records = static_cast<int64_t>(log->records.size());
  for (const WalRecord& r : log->records) {
    (r.type == WalRecord::Type::kAdd ? state.vectors_added : state.ids_removed) +=
        static_cast<int64_t>(r.ids.size());
  }
  state.dropped_bytes = log->dropped_bytes;
  return state;
}

std::string DescribeLog(const LogState& log) {
  if (!log.present) return "none";
  if (!log.error.empty()) return "unreadable: " + log.error;
  if (log.stale) return "older than the file (its checkpoint completed); ignored";
  if (log.records == 0 && log.dropped_bytes == 0) return "empty: everything is in the file";
  return absl::StrFormat(
      "%lld batches not yet checkpointed (%lld vectors added, %lld removed)%s", log.records,
      log.vectors_added, log.ids_removed,
      log.dropped_bytes > 0
          ? absl::StrFormat("; a torn tail of %lld bytes will be dropped", log.dropped_bytes)
          : "");
}

std::string Json(const std::string& path, const IndexFileHeader& h, int64_t file_bytes,
                 const LogState& log, const char* verified) {
  report::JsonWriter w;
  w.BeginObject();
  w.Key("path").String(path);
  w.Key("format").String(absl::StrCat(h.major, ".", h.minor));
  w.Key("dim").Int(h.options.dim);
  w.Key("bits").Int(h.options.bits);
  w.Key("upper_coords").Int(h.options.upper_coords);
  w.Key("metric").String(MetricName(h.options.metric));
  w.Key("variant").String(VariantName(h.options.variant));
  w.Key("rotation").String(RotationKindName(h.options.rotation));
  w.Key("seed").Uint(h.options.seed);
  w.Key("keep_vectors").String(KeepVectorsName(h.options.keep_vectors));
  w.Key("center").String(CenteringName(h.options.center));
  w.Key("encoder").String(CorrectedEncoderName(h.encoder));
  w.Key("size").Int(h.size);
  w.Key("live").Int(h.live);
  w.Key("removed").Int(h.size - h.live);
  w.Key("next_id").Uint(h.next_id);
  w.Key("code_bytes_per_vector").Int(h.code_bytes_per_vector);
  w.Key("floats_per_vector").Int(h.floats_per_vector);
  w.Key("bits_per_vector")
      .Int(8 * int64_t{h.code_bytes_per_vector} + 32 * int64_t{h.floats_per_vector});
  w.Key("block_bytes_per_vector").Double(BlockBytesPerVector(h));
  w.Key("file_bytes").Int(file_bytes);
  w.Key("file_bytes_per_vector")
      .Double(h.size > 0 ? static_cast<double>(file_bytes) / h.size : 0.0);
  w.Key("sections").BeginArray();
  for (const SectionEntry& s : h.sections) {
    w.BeginObject();
    w.Key("kind").String(SectionKindName(s.kind));
    w.Key("offset").Uint(s.offset);
    w.Key("bytes").Uint(s.size);
    w.Key("crc32c").String(Hex32(s.crc32c));
    w.EndObject();
  }
  w.EndArray();
  w.Key("log");
  if (!log.present) {
    w.Null();
  } else {
    w.BeginObject();
    w.Key("stale").Bool(log.stale);
    w.Key("records").Int(log.records);
    w.Key("vectors_added").Int(log.vectors_added);
    w.Key("ids_removed").Int(log.ids_removed);
    w.Key("dropped_bytes").Int(log.dropped_bytes);
    if (!log.error.empty()) w.Key("error").String(log.error);
    w.EndObject();
  }
  w.Key("verified");
  if (verified == nullptr) {
    w.Null();
  } else {
    w.Bool(true);
  }
  w.EndObject();
  return w.json() + "\n";
}

std::string Text(const std::string& path, const IndexFileHeader& h, int64_t file_bytes,
                 const LogState& log, const char* verified) {
  std::string out = absl::StrCat(path, "\n");
  auto line = [&](const char* label, const std::string& value) {
    absl::StrAppend(&out, absl::StrFormat("  %-14s %s\n", label, value));
  };
  line("format", absl::StrCat(h.major, ".", h.minor));
  line("dimension", absl::StrCat(h.options.dim));
  line("quantizer",
       absl::StrCat(
           h.options.bits, " bits",
           h.options.upper_coords > 0 ? absl::StrCat(" (", h.options.bits + 1, " on the first ",
                                                     h.options.upper_coords, " coordinates)")
                                      : std::string(),
           ", ", std::string(VariantName(h.options.variant)),
           h.encoder == CorrectedEncoder::kMaxCosine ? " (max-cosine encoder)" : "", ", ",
           std::string(RotationKindName(h.options.rotation)), " rotation, seed ", h.options.seed));
  line("metric", std::string(MetricName(h.options.metric)));
  line("centering", std::string(CenteringName(h.options.center)));
  line("vectors", absl::StrCat(h.live, " live, ", h.size - h.live, " removed (", h.size,
                               " stored); next id ", h.next_id));
  line("per vector", absl::StrFormat("%d code bytes + %d floats = %d bits; %.1f bytes in "
                                     "blocks; %s kept",
                                     h.code_bytes_per_vector, h.floats_per_vector,
                                     8 * h.code_bytes_per_vector + 32 * h.floats_per_vector,
                                     BlockBytesPerVector(h),
                                     std::string(KeepVectorsName(h.options.keep_vectors))));
  line("file", absl::StrFormat("%s (%lld bytes, %.1f bytes/vector)", FormatBytes(file_bytes),
                               static_cast<long long>(file_bytes),
                               h.size > 0 ? static_cast<double>(file_bytes) / h.size : 0.0));
  for (size_t i = 0; i < h.sections.size(); ++i) {
    const SectionEntry& s = h.sections[i];
    line(i == 0 ? "sections" : "",
         absl::StrFormat("%-10s %llu bytes at %llu, crc32c %s", SectionKindName(s.kind),
                         static_cast<unsigned long long>(s.size),
                         static_cast<unsigned long long>(s.offset), Hex32(s.crc32c)));
  }
  line("log", DescribeLog(log));
  if (verified != nullptr) line("verified", verified);
  return out;
}

}  // namespace

const CommandSpec& InfoSpec() {
  static const CommandSpec spec{
      "tq-index",
      "info",
      "describe an index file; --verify checks all of it",
      "--index=INDEX [--json] [--verify]",
      {{"index", "INDEX", "index file (required)"},
       {"json", "", "one JSON object instead of text"},
       {"verify", "",
        "open the index as a search would and check every checksum, the ids, "
        "the tombstones and the quantizer; exit 1 if anything is wrong"}}};
  return spec;
}

int RunInfo(const std::vector<std::string>& /*args*/, const std::vector<std::string>& /*given*/) {
  const std::string path = absl::GetFlag(FLAGS_index);
  if (path.empty()) return UsageError("info", "--index is required");
  absl::StatusOr<IndexFileHeader> header = ReadIndexFileHeader(path);
  if (!header.ok()) return InputError("info", header.status());
  const char* verified = nullptr;
  if (absl::GetFlag(FLAGS_verify)) {
    OpenOptions options;
    options.mmap = true;  // checks everything without copying the blocks
    options.verify_checksums = true;
    absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(path, options);
    if (!index.ok()) return InputError("info", index.status());
    verified = "ok: checksums, ids, tombstones, live masks and quantizer fingerprint";
  }
  const int64_t bytes = FileSize(path);
  const LogState log = ReadLogState(path, *header);
  const std::string text = absl::GetFlag(FLAGS_json) ? Json(path, *header, bytes, log, verified)
                                                     : Text(path, *header, bytes, log, verified);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

}  // namespace tq::cli
