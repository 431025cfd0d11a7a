// A readers-writer lock for Index: many searches share it, a writer waiting for it goes
// before newly arriving readers. Usable with std::shared_lock and std::unique_lock.
#ifndef TQ_INDEX_RW_LOCK_H_
#define TQ_INDEX_RW_LOCK_H_

#include <pthread.h>

namespace tq {

// Why not std::shared_mutex: on glibc it is a reader-preferring pthread rwlock, so a few
// threads searching back to back can starve Add forever. Why not absl::Mutex: Debian's Abseil
// is not built with ThreadSanitizer annotations, so TSan cannot see its ordering and reports
// false races; pthread rwlocks are intercepted by TSan.
// Not recursive: a thread holding it shared must not take it again (a waiting writer would
// block the second acquisition).
class RwLock {
 public:
  RwLock() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
#ifdef __GLIBC__
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~RwLock() { pthread_rwlock_destroy(&lock_); }
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;

  void lock() { pthread_rwlock_wrlock(&lock_); }
  void unlock() { pthread_rwlock_unlock(&lock_); }
  void lock_shared() { pthread_rwlock_rdlock(&lock_); }
  void unlock_shared() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};

}  // namespace tq

#endif  // TQ_INDEX_RW_LOCK_H_
