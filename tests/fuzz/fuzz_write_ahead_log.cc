// libFuzzer target: the write-ahead log parser. The bytes are parsed as they are and with every
// record checksum recomputed (so that mutations reach the payload decoding), the contents
// checked against the promises of index/write_ahead_log.h, and a log that parses is reopened
// for appending, which must cut its dropped tail and leave a log that parses whole.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "index/crc32c.h"
#include "index/write_ahead_log.h"

namespace tq {
namespace {

constexpr int kMaxDim = 4096;
constexpr size_t kLogHeaderBytes = 64;
constexpr size_t kRecordHeaderBytes = 24;  // payload bytes, crc, sequence, type, flags

template <typename T>
T Load(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

// Rewrites each record's CRC32C as the writer computes it (of type, flags, sequence, then the
// payload; index/write_ahead_log.cc), walking the records while their lengths fit. A log that
// parses whole must come out unchanged, which catches this copy drifting from the writer.
std::vector<uint8_t> RepairChecksums(std::span<const uint8_t> in) {
  std::vector<uint8_t> bytes(in.begin(), in.end());
  size_t at = kLogHeaderBytes;
  while (bytes.size() >= kRecordHeaderBytes && at <= bytes.size() - kRecordHeaderBytes) {
    uint8_t* head = bytes.data() + at;
    const uint32_t payload_bytes = Load<uint32_t>(head);
    if (payload_bytes > bytes.size() - at - kRecordHeaderBytes) break;
    uint8_t fields[16];
    std::memcpy(fields, head + 16, 4);      // type
    std::memcpy(fields + 4, head + 20, 4);  // flags
    std::memcpy(fields + 8, head + 8, 8);   // sequence
    const uint32_t crc =
        Crc32c(Crc32c(0, fields, sizeof(fields)), head + kRecordHeaderBytes, payload_bytes);
    std::memcpy(head + 4, &crc, 4);
    at += kRecordHeaderBytes + payload_bytes;
  }
  return bytes;
}

// What a parsed log promises.
void CheckContents(const WalContents& contents, size_t size) {
  if (contents.valid_bytes < static_cast<int64_t>(kLogHeaderBytes)) {
    // Only a header cut short by a crash during a reset: no records, and no base.
    TQ_FUZZ_CHECK(contents.valid_bytes == 0 && size < kLogHeaderBytes);
    TQ_FUZZ_CHECK(contents.records.empty() && contents.base == WalBase{});
  }
  TQ_FUZZ_CHECK(contents.dropped_bytes >= 0);
  TQ_FUZZ_CHECK(contents.valid_bytes + contents.dropped_bytes == static_cast<int64_t>(size));
  if (contents.dropped_bytes > 0) TQ_FUZZ_CHECK(!contents.dropped_reason.empty());
  uint64_t previous_sequence = 0;
  for (const WalRecord& record : contents.records) {
    TQ_FUZZ_CHECK(record.sequence > previous_sequence);
    previous_sequence = record.sequence;
    if (record.type == WalRecord::Type::kAdd) {
      TQ_FUZZ_CHECK(record.dim >= 1 && record.dim <= kMaxDim);
      TQ_FUZZ_CHECK(record.vectors.size() == record.ids.size() * record.dim);
    } else {
      TQ_FUZZ_CHECK(record.type == WalRecord::Type::kRemove);
      TQ_FUZZ_CHECK(record.vectors.empty());
    }
  }
}

// Reopens the log for appending after its intact part and appends one remove: the torn tail
// must be gone and the new record must follow the old ones.
void CheckAppend(const std::string& path, const WalContents& contents) {
  const uint64_t next_sequence =
      contents.records.empty() ? 1 : contents.records.back().sequence + 1;
  absl::StatusOr<std::unique_ptr<WriteAheadLog>> log =
      WriteAheadLog::Open(path, contents.base, contents.valid_bytes, next_sequence, WalSync::kNone);
  if (!log.ok()) return;
  const uint64_t id = 12345;
  if (!(*log)->AppendRemove(&id, 1).ok()) return;
  log->reset();  // closes the file and releases its lock
  absl::StatusOr<WalContents> reread = ReadWriteAheadLog(path, kMaxDim);
  TQ_FUZZ_CHECK(reread.ok());
  TQ_FUZZ_CHECK(reread->dropped_bytes == 0);
  TQ_FUZZ_CHECK(reread->base == contents.base);
  TQ_FUZZ_CHECK(reread->records.size() == contents.records.size() + 1);
  const WalRecord& last = reread->records.back();
  TQ_FUZZ_CHECK(last.type == WalRecord::Type::kRemove && last.ids.size() == 1 &&
                last.ids[0] == id && last.sequence == next_sequence);
}

}  // namespace
}  // namespace tq

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const tq::fuzz::ScratchFile file("write_ahead_log", ".wal");
  const std::span<const uint8_t> raw(data, size);
  absl::StatusOr<tq::WalContents> parsed = tq::ParseWriteAheadLog("fuzz.wal", raw, tq::kMaxDim);
  if (parsed.ok()) tq::CheckContents(*parsed, size);

  const std::vector<uint8_t> repaired = tq::RepairChecksums(raw);
  if (parsed.ok() && parsed->dropped_bytes == 0) {
    TQ_FUZZ_CHECK(std::equal(repaired.begin(), repaired.end(), raw.begin(), raw.end()));
  }
  parsed = tq::ParseWriteAheadLog("fuzz.wal", repaired, tq::kMaxDim);
  if (!parsed.ok()) return 0;
  tq::CheckContents(*parsed, repaired.size());
  file.Write(repaired.data(), repaired.size());
  tq::CheckAppend(file.path(), *parsed);
  return 0;
}
