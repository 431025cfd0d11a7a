// Flag values shared by the tq-bench commands (see flag_lists.h).
#include "tools/bench/flag_lists.h"

#include <omp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tq::bench {

absl::StatusOr<std::vector<std::string>> ParseNameList(const std::string& flag,
                                                       const std::string& text) {
  std::vector<std::string> names = absl::StrSplit(text, ',');
  for (const std::string& name : names) {
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, "=", text, ": empty item in the list"));
    }
  }
  return names;
}

absl::StatusOr<std::vector<int>> ParseIntList(const std::string& flag, const std::string& text,
                                              int min, int max) {
  absl::StatusOr<std::vector<std::string>> items = ParseNameList(flag, text);
  if (!items.ok()) return items.status();
  std::vector<int> values;
  for (const std::string& item : *items) {
    int value = 0;
    if (!absl::SimpleAtoi(item, &value) || value < min || value > max) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": '", item,
                                                     "' is not an integer in [", min, ", ", max,
                                                     "]"));
    }
    values.push_back(value);
  }
  return values;
}

absl::StatusOr<int> ParseThreads(int value) {
  if (value < 0 || value > 4096) {
    return absl::InvalidArgumentError(absl::StrCat("--threads ", value, " outside [0, 4096]"));
  }
  return value > 0 ? value : omp_get_max_threads();
}

}  // namespace tq::bench
