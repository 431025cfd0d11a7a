// A progress line on stderr for long build/add runs: vectors done, rate and ETA, redrawn in
// place at most a few times a second. Silent when stderr is not a terminal, with --quiet, and
// for work that finishes within its first second.
#ifndef TQ_TOOLS_INDEX_CLI_PROGRESS_H_
#define TQ_TOOLS_INDEX_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace tq::cli {

class Progress {
 public:
  Progress(std::string label, int64_t total, bool quiet);
  ~Progress();  // ends the line if one was drawn

  void Update(int64_t done);
  double seconds() const;

 private:
  using Clock = std::chrono::steady_clock;

  std::string label_;
  int64_t total_;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_;
  Clock::time_point last_draw_;
};

}  // namespace tq::cli

#endif  // TQ_TOOLS_INDEX_CLI_PROGRESS_H_
