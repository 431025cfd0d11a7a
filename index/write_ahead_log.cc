// The write-ahead log: record framing with CRC32C, a bounds-checked parser that stops at the
// first torn or corrupt record, and an appender holding an exclusive lock on the file.
#include "index/write_ahead_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "index/crc32c.h"
#include "platform/atomic_file_writer.h"
#include "platform/read_only_file.h"

namespace tq {
namespace {

static_assert(std::endian::native == std::endian::little, "the log is little-endian");

constexpr uint8_t kMagic[8] = {'T', 'Q', 'W', 'A', 'L', 0, 0, 0};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 64;
constexpr size_t kRecordHeaderBytes = 24;  // payload bytes, crc, sequence, type, flags
// Flag of a record whose batch continues in the next record (a batch too large for one).
constexpr uint32_t kContinues = 1;

template <typename T>
T Load(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}
template <typename T>
void Store(std::vector<uint8_t>& out, T value) {
  uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

std::vector<uint8_t> HeaderBytes(const WalBase& base) {
  std::vector<uint8_t> header(kMagic, kMagic + sizeof(kMagic));
  Store<uint32_t>(header, kVersion);
  Store<uint32_t>(header, 0);
  Store<uint32_t>(header, base.index_header_crc);
  Store<uint32_t>(header, 0);
  Store<uint64_t>(header, base.size);
  Store<uint64_t>(header, base.next_id);
  header.resize(kHeaderBytes, 0);
  return header;
}

// CRC of what a record's checksum covers: type, flags, sequence, payload.
uint32_t RecordCrc(uint32_t type, uint32_t flags, uint64_t sequence, const uint8_t* payload,
                   size_t size) {
  uint8_t fields[16];
  std::memcpy(fields, &type, 4);
  std::memcpy(fields + 4, &flags, 4);
  std::memcpy(fields + 8, &sequence, 8);
  return Crc32c(Crc32c(0, fields, sizeof(fields)), payload, size);
}

// Decodes one payload; false (with a reason) if it does not describe a well-formed batch.
bool DecodePayload(uint32_t type, const uint8_t* p, uint64_t size, int max_dim, WalRecord* record,
                   std::string* why) {
  if (type == static_cast<uint32_t>(WalRecord::Type::kAdd)) {
    if (size < 16) return *why = "add record too short", false;
    const uint64_t count = Load<uint64_t>(p);
    const uint32_t dim = Load<uint32_t>(p + 8);
    if (dim < 1 || dim > static_cast<uint32_t>(max_dim)) {
      return *why = absl::StrCat("add record of dimension ", dim), false;
    }
    // count * (8 + 4 * dim) must equal what follows, without overflow.
    const uint64_t per_vector = 8 + 4 * uint64_t{dim};
    if (count > (size - 16) / per_vector || count * per_vector != size - 16) {
      return *why = absl::StrCat("add record of ", count, " vectors does not match its ", size,
                                 " bytes"),
             false;
    }
    record->type = WalRecord::Type::kAdd;
    record->dim = static_cast<int>(dim);
    record->ids.resize(count);
    record->vectors.resize(count * dim);
    if (count > 0) {  // (an empty vector's data() may be null, which memcpy must not see)
      std::memcpy(record->ids.data(), p + 16, count * 8);
      std::memcpy(record->vectors.data(), p + 16 + count * 8, count * dim * 4);
    }
    return true;
  }
  if (type == static_cast<uint32_t>(WalRecord::Type::kRemove)) {
    if (size < 8) return *why = "remove record too short", false;
    const uint64_t count = Load<uint64_t>(p);
    if (count > (size - 8) / 8 || count * 8 != size - 8) {
      return *why = absl::StrCat("remove record of ", count, " ids does not match its ", size,
                                 " bytes"),
             false;
    }
    record->type = WalRecord::Type::kRemove;
    record->ids.resize(count);
    if (count > 0) std::memcpy(record->ids.data(), p + 8, count * 8);
    return true;
  }
  return *why = absl::StrCat("record of unknown type ", type), false;
}

absl::Status WriteFully(int fd, const uint8_t* p, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, "write");
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<WalContents> ParseWriteAheadLog(std::string_view path,
                                               std::span<const uint8_t> bytes, int max_dim) {
  const std::string name(path);
  if (bytes.size() < kHeaderBytes &&
      (bytes.empty() ||
       std::memcmp(bytes.data(), kMagic, std::min(bytes.size(), sizeof(kMagic))) == 0)) {
    // A reset cut short by a crash (truncated, header not yet written): a log of no records,
    // and of no known base, so it extends no index file.
    WalContents empty;
    empty.dropped_bytes = static_cast<int64_t>(bytes.size());
    if (!bytes.empty()) empty.dropped_reason = "a log header cut short";
    return empty;
  }
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError(absl::StrCat(name, ": not a tq-index write-ahead log (",
                                            bytes.size(), " bytes, no log header)"));
  }
  const uint32_t version = Load<uint32_t>(bytes.data() + 8);
  if (version != kVersion) {
    return absl::FailedPreconditionError(absl::StrCat(name, ": write-ahead log version ", version,
                                                      " is not readable by this "
                                                      "build, which reads version ",
                                                      kVersion));
  }
  WalContents contents;
  contents.base.index_header_crc = Load<uint32_t>(bytes.data() + 16);
  contents.base.size = Load<uint64_t>(bytes.data() + 24);
  contents.base.next_id = Load<uint64_t>(bytes.data() + 32);
  size_t at = kHeaderBytes;
  size_t group_start = at;  // where the batch being assembled began
  uint64_t expected_sequence = 1;
  std::string why;
  WalRecord pending;  // pieces of a batch split over several records
  bool has_pending = false;
  while (at < bytes.size()) {
    const size_t left = bytes.size() - at;
    if (left < kRecordHeaderBytes) {
      why = absl::StrCat("a torn record header (", left, " bytes)");
      break;
    }
    const uint8_t* head = bytes.data() + at;
    const uint32_t payload_bytes = Load<uint32_t>(head);
    const uint32_t crc = Load<uint32_t>(head + 4);
    const uint64_t sequence = Load<uint64_t>(head + 8);
    const uint32_t type = Load<uint32_t>(head + 16);
    const uint32_t flags = Load<uint32_t>(head + 20);
    if (payload_bytes > left - kRecordHeaderBytes) {
      why = absl::StrCat("a torn record (", payload_bytes, " payload bytes, ",
                         left - kRecordHeaderBytes, " present)");
      break;
    }
    const uint8_t* payload = head + kRecordHeaderBytes;
    if (RecordCrc(type, flags, sequence, payload, payload_bytes) != crc) {
      why = absl::StrCat("record ", expected_sequence, " fails its checksum");
      break;
    }
    if (sequence != expected_sequence) {
      why =
          absl::StrCat("record sequence ", sequence, " where ", expected_sequence, " was expected");
      break;
    }
    WalRecord piece;
    if (!DecodePayload(type, payload, payload_bytes, max_dim, &piece, &why)) break;
    if ((flags & ~kContinues) != 0 || (flags & kContinues && type != 1) ||
        (has_pending && (piece.type != pending.type || piece.dim != pending.dim))) {
      why = absl::StrCat("record ", sequence, " has flags ", flags, " that do not fit");
      break;
    }
    if (!has_pending) {
      pending = std::move(piece);
      has_pending = true;
    } else {
      pending.ids.insert(pending.ids.end(), piece.ids.begin(), piece.ids.end());
      pending.vectors.insert(pending.vectors.end(), piece.vectors.begin(), piece.vectors.end());
    }
    at += kRecordHeaderBytes + payload_bytes;
    ++expected_sequence;
    if (!(flags & kContinues)) {
      pending.sequence = sequence;
      contents.records.push_back(std::move(pending));
      pending = WalRecord();
      has_pending = false;
      group_start = at;
    }
  }
  // A batch whose last piece is missing was never acknowledged: it is dropped whole.
  if (has_pending && why.empty()) why = "a batch cut off before its last record";
  at = group_start;
  contents.valid_bytes = static_cast<int64_t>(at);
  contents.dropped_bytes = static_cast<int64_t>(bytes.size() - at);
  if (contents.dropped_bytes > 0) contents.dropped_reason = why;
  return contents;
}

absl::StatusOr<WalContents> ReadWriteAheadLog(std::string_view path, int max_dim) {
  absl::StatusOr<ReadOnlyFile> file = ReadOnlyFile::Open(path);
  if (!file.ok()) return file.status();
  std::vector<uint8_t> bytes(static_cast<size_t>(file->size()));
  if (absl::Status s = file->ReadAt(0, bytes.size(), bytes.data()); !s.ok()) return s;
  return ParseWriteAheadLog(path, bytes, max_dim);
}

absl::StatusOr<std::unique_ptr<WriteAheadLog>> WriteAheadLog::Open(std::string_view path,
                                                                   const WalBase& base,
                                                                   int64_t valid_bytes,
                                                                   uint64_t next_sequence,
                                                                   WalSync sync) {
  std::string name(path);
  const int fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat(name, ": cannot open the write-ahead log"));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          name, ": the index is open for writing in another process (its log is locked)"));
    }
    return absl::ErrnoToStatus(error, absl::StrCat(name, ": cannot lock the write-ahead log"));
  }
  std::unique_ptr<WriteAheadLog> log(new WriteAheadLog(name, fd, next_sequence, sync));
  if (valid_bytes == 0) {
    if (absl::Status s = log->Reset(base); !s.ok()) return s;
    return log;
  }
  // Cut a dropped tail off, so new records follow the last intact one.
  if (::ftruncate(fd, valid_bytes) != 0 || ::lseek(fd, 0, SEEK_END) < 0 ||
      (sync == WalSync::kEveryBatch && ::fdatasync(fd) != 0)) {
    return absl::ErrnoToStatus(errno, absl::StrCat(name, ": cannot truncate the log's torn tail"));
  }
  return log;
}

WriteAheadLog::~WriteAheadLog() {
  if (fd_ >= 0) ::close(fd_);  // also releases the lock
}

absl::Status WriteAheadLog::Reset(const WalBase& base) {
  // Truncate, then the header, then fsync: a crash in between leaves a short or empty log,
  // which holds no records, which is exactly its state after a checkpoint.
  const std::vector<uint8_t> header = HeaderBytes(base);
  if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat(path_, ": cannot reset the log"));
  }
  if (absl::Status s = WriteFully(fd_, header.data(), header.size()); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(path_, ": ", s.message()));
  }
  if (::fdatasync(fd_) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat(path_, ": fsync of the log failed"));
  }
  next_sequence_ = 1;
  return absl::OkStatus();
}

absl::Status WriteAheadLog::Append(WalRecord::Type type, uint32_t flags,
                                   std::span<const uint8_t> payload) {
  std::vector<uint8_t> head;
  head.reserve(kRecordHeaderBytes);
  const uint32_t type_value = static_cast<uint32_t>(type);
  Store<uint32_t>(head, static_cast<uint32_t>(payload.size()));
  Store<uint32_t>(head,
                  RecordCrc(type_value, flags, next_sequence_, payload.data(), payload.size()));
  Store<uint64_t>(head, next_sequence_);
  Store<uint32_t>(head, type_value);
  Store<uint32_t>(head, flags);
  const off_t start = ::lseek(fd_, 0, SEEK_CUR);
  absl::Status status = WriteFully(fd_, head.data(), head.size());
  if (status.ok()) status = WriteFully(fd_, payload.data(), payload.size());
  if (status.ok() && !(flags & kContinues) && sync_ == WalSync::kEveryBatch &&
      ::fdatasync(fd_) != 0) {
    status = absl::ErrnoToStatus(errno, "fsync");
  }
  if (!status.ok()) {
    // Leave no partial record behind: the batch is not acknowledged, so it must not replay.
    if (start >= 0 && ::ftruncate(fd_, start) == 0) ::lseek(fd_, start, SEEK_SET);
    return absl::Status(
        status.code(),
        absl::StrCat(path_, ": appending to the write-ahead log failed: ", status.message()));
  }
  ++next_sequence_;
  return absl::OkStatus();
}

absl::Status WriteAheadLog::AppendAdd(const float* vectors, int64_t n, int dim,
                                      const uint64_t* ids) {
  // Split so that no record exceeds max_payload_bytes_; every piece but the last is flagged
  // kContinues, and the parser replays a batch only once its last piece is there.
  const uint64_t per_vector = 8 + 4 * static_cast<uint64_t>(dim);
  const int64_t chunk =
      static_cast<int64_t>(std::max<uint64_t>(1, (max_payload_bytes_ - 16) / per_vector));
  const off_t batch_start = ::lseek(fd_, 0, SEEK_CUR);
  const uint64_t batch_sequence = next_sequence_;
  for (int64_t begin = 0; begin < n; begin += chunk) {
    const int64_t count = std::min(chunk, n - begin);
    const uint32_t flags = begin + count < n ? kContinues : 0;
    std::vector<uint8_t> payload;
    payload.reserve(16 + count * per_vector);
    Store<uint64_t>(payload, static_cast<uint64_t>(count));
    Store<uint32_t>(payload, static_cast<uint32_t>(dim));
    Store<uint32_t>(payload, 0);
    const size_t at = payload.size();
    payload.resize(at + count * per_vector);
    std::memcpy(payload.data() + at, ids + begin, count * 8);
    std::memcpy(payload.data() + at + count * 8, vectors + begin * dim, count * dim * 4);
    if (absl::Status s = Append(WalRecord::Type::kAdd, flags, payload); !s.ok()) {
      // Take back the pieces already written, so the next batch does not continue them.
      if (batch_start >= 0 && ::ftruncate(fd_, batch_start) == 0) {
        ::lseek(fd_, batch_start, SEEK_SET);
      }
      next_sequence_ = batch_sequence;
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status WriteAheadLog::AppendRemove(const uint64_t* ids, int64_t n) {
  std::vector<uint8_t> payload;
  Store<uint64_t>(payload, static_cast<uint64_t>(n));
  const size_t at = payload.size();
  payload.resize(at + n * 8);
  if (n > 0) std::memcpy(payload.data() + at, ids, n * 8);
  return Append(WalRecord::Type::kRemove, 0, payload);
}

}  // namespace tq
