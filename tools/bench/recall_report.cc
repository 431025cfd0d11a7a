// Renders a recall run as text, JSON, CSV and SVG with tools/report (see recall_report.h).
#include "tools/bench/recall_report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/bench/text_files.h"
#include "tools/report/json_writer.h"
#include "tools/report/svg_plot.h"

namespace tq::bench {
namespace {

// "2", or "2.24" for a non-integer TurboQuant rate.
std::string BitsPerDim(const MethodSpec& spec) {
  return spec.rate > spec.bits ? report::FormatShortest(spec.rate) : absl::StrCat(spec.bits);
}

std::string VariantOf(const MethodResult& m) {
  return m.spec.family == MethodFamily::kTurboQuant ? std::string(VariantName(m.spec.variant))
                                                    : std::string();
}

std::string ThreadsLabel(const RecallRun& run) { return absl::StrCat("QPS ", run.threads, "t"); }

// Table columns for recall@1@k: the issue's k = 1, 4, 16, 64 within --k, and --k itself.
bool ShownDepth(int k, const RecallRun& run) {
  return k == 1 || k == 4 || k == 16 || k == 64 || k == run.k;
}

}  // namespace

std::string RecallSummary(const RecallRun& run) {
  const RecallData& d = *run.data;
  std::string out =
      absl::StrCat("dataset ", run.dataset, ": n = ", d.n, ", d = ", d.dim, ", nq = ", d.nq,
                   ", metric ", std::string(io::DatasetMetricName(d.metric)), ", ground truth: ",
                   d.truth_from_file ? "file (its 'neighbors')"
                                     : absl::StrCat("brute force (", d.truth_note, ")"),
                   "\n");
  std::vector<std::string> notes;
  for (const MethodResult& m : run.methods) {
    const std::string who = m.spec.family == MethodFamily::kTurboQuant ? "TurboQuant" : "baselines";
    const std::string note = absl::StrCat(who, ": ", m.batch_note);
    if (std::find(notes.begin(), notes.end(), note) == notes.end()) notes.push_back(note);
  }
  absl::StrAppend(&out, "QPS times the searches only: 1t = one query per call on one thread; ",
                  run.threads, "t = ", absl::StrJoin(notes, "; "), ".\n");
  return out;
}

report::MarkdownTable RecallTable(const RecallRun& run) {
  std::vector<std::string> header = {"method",       "variant", "bits/dim",
                                     "bytes/vector", "train s", "encode s"};
  for (int k : RecallDepths(run.k)) {
    if (ShownDepth(k, run)) header.push_back(absl::StrCat("recall@1@", k));
  }
  header.push_back("recall@10@10");
  if (run.rerank > 0) header.push_back(absl::StrCat("recall@10 rerank ", run.rerank));
  header.push_back("QPS 1t");
  header.push_back(ThreadsLabel(run));
  report::MarkdownTable table(header);
  for (size_t c = 2; c < header.size(); ++c) table.SetNumeric(c);
  for (const MethodResult& m : run.methods) {
    std::vector<std::string> row = {m.spec.name,
                                    VariantOf(m),
                                    BitsPerDim(m.spec),
                                    report::FormatFixed(m.bytes_per_vector, 1),
                                    report::FormatFixed(m.train_seconds, 2),
                                    report::FormatFixed(m.encode_seconds, 2)};
    for (const auto& [k, recall] : m.recall_1_at) {
      if (ShownDepth(k, run)) row.push_back(report::FormatFixed(recall, 3));
    }
    row.push_back(report::FormatFixed(m.recall_10_at_10, 3));
    if (run.rerank > 0) row.push_back(report::FormatFixed(m.recall_10_rerank.value_or(0.0), 3));
    row.push_back(report::FormatFixed(m.qps_1t, 0));
    row.push_back(report::FormatFixed(m.qps, 0));
    table.AddRow(std::move(row));
  }
  return table;
}

report::MarkdownTable RecallCsvTable(const RecallRun& run) {
  std::vector<std::string> header = {"method",           "variant",       "bits_per_dim",
                                     "bytes_per_vector", "train_seconds", "encode_seconds"};
  for (int k : RecallDepths(run.k)) header.push_back(absl::StrCat("recall_1_at_", k));
  header.push_back("recall_10_at_10");
  if (run.rerank > 0) header.push_back(absl::StrCat("recall_10_rerank_", run.rerank));
  header.push_back("qps_1t");
  header.push_back(absl::StrCat("qps_", run.threads, "t"));
  report::MarkdownTable table(header);
  for (const MethodResult& m : run.methods) {
    std::vector<std::string> row = {m.spec.name,
                                    VariantOf(m),
                                    BitsPerDim(m.spec),
                                    report::FormatShortest(m.bytes_per_vector),
                                    report::FormatShortest(m.train_seconds),
                                    report::FormatShortest(m.encode_seconds)};
    for (const auto& [k, recall] : m.recall_1_at) row.push_back(report::FormatShortest(recall));
    row.push_back(report::FormatShortest(m.recall_10_at_10));
    if (run.rerank > 0) {
      row.push_back(report::FormatShortest(m.recall_10_rerank.value_or(0.0)));
    }
    row.push_back(report::FormatShortest(m.qps_1t));
    row.push_back(report::FormatShortest(m.qps));
    table.AddRow(std::move(row));
  }
  return table;
}

std::string RecallJson(const RecallRun& run) {
  const RecallData& d = *run.data;
  report::JsonWriter json;
  json.BeginObject();
  json.Key("dataset").String(run.dataset);
  json.Key("n").Int(d.n);
  json.Key("d").Int(d.dim);
  json.Key("nq").Int(d.nq);
  json.Key("metric").String(io::DatasetMetricName(d.metric));
  json.Key("k").Int(run.k);
  json.Key("rerank").Int(run.rerank);
  json.Key("threads").Int(run.threads);
  json.Key("ground_truth").String(d.truth_from_file ? "file" : "brute_force");
  json.Key("methods").BeginArray();
  for (const MethodResult& m : run.methods) {
    json.BeginObject();
    json.Key("name").String(m.spec.name);
    json.Key("variant");
    if (m.spec.family == MethodFamily::kTurboQuant) {
      json.String(VariantName(m.spec.variant));
    } else {
      json.Null();
    }
    if (m.spec.rate > m.spec.bits) {
      json.Key("bits_per_dim").Double(m.spec.rate);  // a non-integer rate
    } else {
      json.Key("bits_per_dim").Int(m.spec.bits);
    }
    json.Key("bytes_per_vector").Double(m.bytes_per_vector);
    json.Key("train_seconds").Double(m.train_seconds);
    json.Key("encode_seconds").Double(m.encode_seconds);
    json.Key("recall_1_at").BeginObject();
    for (const auto& [k, recall] : m.recall_1_at) json.Key(absl::StrCat(k)).Double(recall);
    json.EndObject();
    json.Key("recall_10_at_10").Double(m.recall_10_at_10);
    if (m.recall_10_rerank.has_value()) json.Key("recall_10_rerank").Double(*m.recall_10_rerank);
    json.Key("qps_1t").Double(m.qps_1t);
    json.Key("qps").Double(m.qps);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return json.json();
}

std::string RecallSvg(const RecallRun& run) {
  report::LinePlot plot;
  plot.title = absl::StrCat("Recall@1@k, ", run.dataset, " (n = ", run.data->n,
                            ", d = ", run.data->dim, ")");
  plot.x = {.label = "k (results returned)", .scale = report::AxisScale::kLog2};
  plot.y = {.label = "recall@1@k", .scale = report::AxisScale::kLinear, .max = 1.0};
  for (const MethodResult& m : run.methods) {
    // Baselines dashed, so TurboQuant's lines stand out as in the paper's figure.
    report::PlotSeries series{
        .name = m.spec.name, .dashed = m.spec.family != MethodFamily::kTurboQuant, .markers = true};
    for (const auto& [k, recall] : m.recall_1_at) series.points.push_back({double(k), recall});
    plot.series.push_back(std::move(series));
  }
  return report::RenderSvg(plot);
}

absl::Status WriteRecallReport(const std::string& dir, const RecallRun& run,
                               const std::string& command) {
  if (absl::Status s = CreateDirectories(dir); !s.ok()) return s;
  const std::string markdown = absl::StrCat(
      "# Recall: TurboQuant, PQ and RaBitQ\n\n", RecallSummary(run), "\nRegenerate with `", command,
      "`.\n\n", RecallTable(run).ToMarkdown(), "\n![recall@1@k](recall.svg)\n");
  for (const auto& [name, content] : {std::pair<std::string, std::string>{"results.md", markdown},
                                      {"results.csv", RecallCsvTable(run).ToCsv("\n")},
                                      {"recall.svg", RecallSvg(run)}}) {
    if (absl::Status s = WriteTextFile(absl::StrCat(dir, "/", name), content); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::string ShellCommandLine(const std::vector<std::string>& args) {
  std::vector<std::string> quoted;
  for (const std::string& arg : args) {
    const bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             std::string_view("_-./=,:+@%").find(c) != std::string_view::npos;
    });
    if (plain) {
      quoted.push_back(arg);
      continue;
    }
    std::string q = "'";
    for (char c : arg) {
      if (c == '\'') {
        q += "'\\''";
      } else {
        q += c;
      }
    }
    quoted.push_back(q + "'");
  }
  return absl::StrJoin(quoted, " ");
}

}  // namespace tq::bench
