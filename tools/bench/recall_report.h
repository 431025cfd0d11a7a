// `tq-bench recall` output: the markdown table and dataset line on stdout, the one JSON object
// of --json, and --report's results.md, results.csv and recall.svg (the paper's Figure 5).
#ifndef TQ_TOOLS_BENCH_RECALL_REPORT_H_
#define TQ_TOOLS_BENCH_RECALL_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/bench/recall_data.h"
#include "tools/bench/recall_measure.h"
#include "tools/report/markdown_table.h"

namespace tq::bench {

struct RecallRun {
  std::string dataset;  // the file's name, without its folder
  const RecallData* data = nullptr;
  int k = 64;
  int rerank = 0;  // 0: none
  int threads = 1;
  std::vector<MethodResult> methods;
};

// "dataset X: n = .., d = .., nq = .., metric .., ground truth: .." and a line on what the QPS
// columns time; each ends with '\n'.
std::string RecallSummary(const RecallRun& run);
// The columns of the issue: recall@1@k at k = 1, 4, 16, 64 (those up to --k, and --k itself).
report::MarkdownTable RecallTable(const RecallRun& run);
// Every k and full precision, for results.csv.
report::MarkdownTable RecallCsvTable(const RecallRun& run);
std::string RecallJson(const RecallRun& run);
// recall@1@k against k on a log2 axis, one line per method.
std::string RecallSvg(const RecallRun& run);

// Writes results.md (summary, table, the command line, the plot), results.csv and recall.svg
// into `dir`, creating it.
absl::Status WriteRecallReport(const std::string& dir, const RecallRun& run,
                               const std::string& command);

// argv as a shell command line, quoting what a shell would split or expand.
std::string ShellCommandLine(const std::vector<std::string>& args);

}  // namespace tq::bench

#endif  // TQ_TOOLS_BENCH_RECALL_REPORT_H_
