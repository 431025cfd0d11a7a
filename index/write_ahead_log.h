// The write-ahead log of an index opened for writing: every Add and Remove batch is appended
// (and by default fsynced) to "<index>.wal" before the call returns, so an acknowledged batch
// survives a crash; Open replays the log, and a checkpoint folds it into the index file.
//
// Log file (little-endian):
//   header, 64 bytes: magic "TQWAL\0\0\0", version u32 (1), reserved u32, then the state of the
//     index file the log extends: its header CRC32C u32, reserved u32, size u64, next id u64,
//     then zeros; a log whose recorded state is not the index file's is stale (a checkpoint
//     completed but the process died before resetting the log) and is ignored
//   records, each: payload bytes u32, CRC32C u32 (of type, flags, sequence and payload),
//     sequence u64 (1, 2, ... from the last checkpoint), type u32 (1 add, 2 remove), flags u32
//     (1 = the batch continues in the next record: an add over 1 GiB is split, and replayed
//     only once its last record is there), then the payload:
//       add:    count u64, dim u32, reserved u32, count ids u64, count * dim float32 (the
//               vectors as passed to Add; replaying them encodes the same codes)
//       remove: count u64, count ids u64
// A record cut short or failing its CRC ends the log: it and anything after it are dropped and
// reported (only the last record can be torn by a crash; anything else is damage).
#ifndef TQ_INDEX_WRITE_AHEAD_LOG_H_
#define TQ_INDEX_WRITE_AHEAD_LOG_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tq {

// When an appended record reaches the disk.
enum class WalSync {
  kEveryBatch,  // fsync before Add/Remove returns: an acknowledged batch survives power loss
  kNone,        // left to the OS: survives a crash of the process, not of the machine
};

// The index file state a log extends (see the header layout above).
struct WalBase {
  uint32_t index_header_crc = 0;
  uint64_t size = 0;
  uint64_t next_id = 0;
  friend bool operator==(const WalBase&, const WalBase&) = default;
};

struct WalRecord {
  enum class Type : uint32_t { kAdd = 1, kRemove = 2 };
  Type type = Type::kAdd;
  uint64_t sequence = 0;
  int dim = 0;                 // add only
  std::vector<uint64_t> ids;   // add: one per vector; remove: the ids removed
  std::vector<float> vectors;  // add only: ids.size() * dim
};

// What reading a log found.
struct WalContents {
  WalBase base;
  std::vector<WalRecord> records;  // the intact records, in order
  int64_t valid_bytes = 0;         // header plus intact records
  int64_t dropped_bytes = 0;       // a torn or corrupt tail, not replayed
  std::string dropped_reason;      // why, when dropped_bytes > 0
};

// Parses a log held in memory (`path` names it in messages). A short or corrupt tail is not an
// error (see WalContents::dropped_*), nor is a header cut short by a crash during a reset (no
// records, an all-zero base that matches no index file); a wrong header is DataLoss, and a
// record whose sizes exceed `max_dim` or the bytes present ends the log like a torn one. Never
// reads out of bounds.
absl::StatusOr<WalContents> ParseWriteAheadLog(std::string_view path,
                                               std::span<const uint8_t> bytes, int max_dim);

// Reads and parses the log at `path`; NotFound if there is none.
absl::StatusOr<WalContents> ReadWriteAheadLog(std::string_view path, int max_dim);

// An open log, appending records. Holds an exclusive lock on the log file (flock), so a second
// writer of the same index fails to open instead of interleaving records.
class WriteAheadLog {
 public:
  // Opens the log at `path` for appending after `valid_bytes` (cutting off a dropped tail), or
  // creates a fresh one for `base` when `valid_bytes` is 0. `next_sequence` continues the
  // numbering of the records already there.
  static absl::StatusOr<std::unique_ptr<WriteAheadLog>> Open(std::string_view path,
                                                             const WalBase& base,
                                                             int64_t valid_bytes,
                                                             uint64_t next_sequence, WalSync sync);
  WriteAheadLog(const WriteAheadLog&) = delete;
  WriteAheadLog& operator=(const WriteAheadLog&) = delete;
  ~WriteAheadLog();

  const std::string& path() const { return path_; }
  uint64_t records() const { return next_sequence_ - 1; }

  absl::Status AppendAdd(const float* vectors, int64_t n, int dim, const uint64_t* ids);
  absl::Status AppendRemove(const uint64_t* ids, int64_t n);
  // Starts the log over for a new base (after a checkpoint wrote the index file).
  absl::Status Reset(const WalBase& base);
  // Largest payload of one record (default 1 GiB); larger adds are split. For tests.
  void set_max_payload_bytes(uint64_t bytes) { max_payload_bytes_ = bytes; }

 private:
  WriteAheadLog(std::string path, int fd, uint64_t next_sequence, WalSync sync)
      : path_(std::move(path)),
        fd_(fd),
        next_sequence_(next_sequence),
        sync_(sync),
        max_payload_bytes_(uint64_t{1} << 30) {}
  absl::Status Append(WalRecord::Type type, uint32_t flags, std::span<const uint8_t> payload);

  std::string path_;
  int fd_ = -1;
  uint64_t next_sequence_ = 1;
  WalSync sync_;
  uint64_t max_payload_bytes_;
};

}  // namespace tq

#endif  // TQ_INDEX_WRITE_AHEAD_LOG_H_
