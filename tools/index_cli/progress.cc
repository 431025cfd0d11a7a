#include "tools/index_cli/progress.h"

#include <unistd.h>

#include <cstdio>
#include <utility>

namespace tq::cli {
namespace {

// "1.2k", "3.4M": rates and counts at a glance.
std::string Short(double value) {
  char text[32];
  if (value >= 1e9) {
    std::snprintf(text, sizeof(text), "%.2fG", value / 1e9);
  } else if (value >= 1e6) {
    std::snprintf(text, sizeof(text), "%.2fM", value / 1e6);
  } else if (value >= 1e3) {
    std::snprintf(text, sizeof(text), "%.1fk", value / 1e3);
  } else {
    std::snprintf(text, sizeof(text), "%.0f", value);
  }
  return text;
}

}  // namespace

Progress::Progress(std::string label, int64_t total, bool quiet)
    : label_(std::move(label)),
      total_(total),
      enabled_(!quiet && ::isatty(STDERR_FILENO) == 1),
      start_(Clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  if (drawn_) std::fputc('\n', stderr);
}

double Progress::seconds() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void Progress::Update(int64_t done) {
  if (!enabled_) return;
  const Clock::time_point now = Clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const bool finished = done >= total_;
  if (elapsed < 1.0 && !drawn_) return;  // quick jobs stay quiet
  if (!finished && now - last_draw_ < std::chrono::milliseconds(250)) return;
  last_draw_ = now;
  drawn_ = true;
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  const double eta = rate > 0 ? (total_ - done) / rate : 0.0;
  std::fprintf(stderr, "\r%s: %s / %s vectors (%.1f%%), %s/s, ETA %.0fs   ", label_.c_str(),
               Short(static_cast<double>(done)).c_str(), Short(static_cast<double>(total_)).c_str(),
               total_ > 0 ? 100.0 * done / total_ : 100.0, Short(rate).c_str(), eta);
  std::fflush(stderr);
}

}  // namespace tq::cli
