// `tq-bench distortion`: the paper's Figure 3. Per bit width and variant: D_mse, d * D_prod,
// the inner-product bias, and the paper's bounds, on random unit vectors or a data file.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/distortion.h"
#include "engine/random.h"
#include "engine/turbo_quantizer.h"
#include "io/ann_hdf5.h"
#include "tools/bench/commands.h"
#include "tools/bench/flag_lists.h"
#include "tools/bench/flags.h"
#include "tools/bench/text_files.h"
#include "tools/report/json_writer.h"
#include "tools/report/markdown_table.h"
#include "tools/report/svg_plot.h"

namespace tq::bench {

const cli::CommandSpec& DistortionSpec() {
  static const cli::CommandSpec spec{
      "tq-bench",
      "distortion",
      "D_mse, D_prod and inner-product bias per bit width (paper Fig. 3)",
      "[--dim D] [--bits 1,2,3,4] [--samples N] [--rotation haar|fast] [--variants ...] "
      "[--data FILE.hdf5] [--json] [--report DIR]",
      {{"dim", "D", "dimension of the random unit vectors, ignored with --data (default 1536)"},
       {"bits", "LIST", "bit widths, comma-separated, each in 1..4 (default 1,2,3,4)"},
       {"samples", "N", "number of vectors: random, or the first rows of --data (default 20000)"},
       {"queries", "Q",
        "queries paired with every vector for D_prod and the bias, 1..4096 "
        "(default 32)"},
       {"rotation", "R", "haar (the paper's) or fast (default haar)"},
       {"variants", "LIST",
        "comma-separated: mse, prod (Gaussian QJL, the paper's), "
        "prod-orthogonal (orthogonal QJL), corrected (nearest-centroid "
        "encoder), corrected-max-cosine (default mse,prod,corrected)"},
       {"data", "FILE.hdf5",
        "ann-benchmarks HDF5 file: vectors from --dataset, queries from its "
        "`test` rows (default: random unit vectors)"},
       {"dataset", "NAME", "dataset of --data holding the vectors (default train)"},
       {"seed", "S", "seed of the rotation, QJL matrix and random data (default 42)"},
       {"threads", "T", "encoding threads (default 0 = all cores)"},
       {"json", "", "print one JSON object instead of a table"},
       {"report", "DIR", "folder for distortion.md, distortion.csv and two SVG plots"}},
      "exit codes: 0 ok, 1 bad input (file, data), 2 usage (flags)."};
  return spec;
}

namespace {

struct VariantSpec {
  std::string name;
  Variant variant;
  QjlTransform qjl = QjlTransform::kGaussian;
  CorrectedEncoder encoder = CorrectedEncoder::kMaxCosine;
};

absl::StatusOr<VariantSpec> ParseVariantSpec(const std::string& name) {
  if (name == "mse") return VariantSpec{name, Variant::kMse};
  if (name == "prod") return VariantSpec{name, Variant::kProd, QjlTransform::kGaussian};
  if (name == "prod-orthogonal") {
    return VariantSpec{name, Variant::kProd, QjlTransform::kOrthogonal};
  }
  if (name == "corrected") {
    return VariantSpec{name, Variant::kCorrected, QjlTransform::kGaussian,
                       CorrectedEncoder::kNearest};
  }
  if (name == "corrected-max-cosine") {
    return VariantSpec{name, Variant::kCorrected, QjlTransform::kGaussian,
                       CorrectedEncoder::kMaxCosine};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--variants: unknown variant '", name,
                   "' (expected mse, prod, prod-orthogonal, corrected or corrected-max-cosine)"));
}

struct Row {
  int bits;
  std::string variant;
  DistortionResult result;
  double lower_bound;       // Shannon: 4^-b (for D_mse and for d * D_prod alike)
  double upper_bound;       // paper, D_mse: sqrt(3) pi / 2 * 4^-b
  double prod_upper_bound;  // paper, d * D_prod: sqrt(3) pi^2 * 4^-b
};

struct Workload {
  std::string source;  // "random" or the file path
  int dim = 0;
  int64_t n = 0;
  int64_t nq = 0;
  std::vector<float> vectors;
  std::vector<float> queries;
};

std::vector<float> GaussianRows(int64_t rows, int dim, uint64_t seed) {
  std::vector<float> out(rows * dim);
  Rng rng(seed);
  for (float& v : out) v = static_cast<float>(rng.NextGaussian());
  return out;
}

absl::StatusOr<Workload> LoadWorkload() {
  Workload w;
  const int samples = absl::GetFlag(FLAGS_samples);
  const int64_t queries = absl::GetFlag(FLAGS_queries);
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  const std::string path = absl::GetFlag(FLAGS_data);
  if (path.empty()) {
    w.source = "random";
    w.dim = absl::GetFlag(FLAGS_dim);
    w.n = samples;
    w.nq = queries;
    w.vectors = GaussianRows(w.n, w.dim, DeriveSeed(seed, 100));
    w.queries = GaussianRows(w.nq, w.dim, DeriveSeed(seed, 101));
    return w;
  }
  w.source = path;
  absl::StatusOr<io::AnnHdf5Reader> reader = io::AnnHdf5Reader::Open(path);
  if (!reader.ok()) return reader.status();
  const std::string dataset = absl::GetFlag(FLAGS_dataset);
  absl::StatusOr<io::DatasetShape> shape = reader->Shape(dataset);
  if (!shape.ok()) return shape.status();
  if (shape->cols < 2) return absl::InvalidArgumentError(absl::StrCat(path, ": dimension < 2"));
  w.dim = static_cast<int>(shape->cols);
  w.n = std::min<int64_t>(samples, shape->rows);
  absl::StatusOr<std::vector<float>> rows = reader->ReadFloatRows(dataset, 0, w.n);
  if (!rows.ok()) return rows.status();
  w.vectors = *std::move(rows);
  absl::StatusOr<bool> has_test = reader->HasDataset("test");
  if (!has_test.ok()) return has_test.status();
  if (*has_test && dataset != "test") {
    absl::StatusOr<io::DatasetShape> test_shape = reader->Shape("test");
    if (!test_shape.ok()) return test_shape.status();
    if (test_shape->cols != w.dim) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": test has dimension ", test_shape->cols, ", ", dataset, " has ", w.dim));
    }
    w.nq = std::min<int64_t>(queries, test_shape->rows);
    absl::StatusOr<std::vector<float>> q = reader->ReadFloatRows("test", 0, w.nq);
    if (!q.ok()) return q.status();
    w.queries = *std::move(q);
  } else {
    w.nq = queries;
    w.queries = GaussianRows(w.nq, w.dim, DeriveSeed(seed, 101));
  }
  if (w.n == 0 || w.nq == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no vectors or no queries"));
  }
  return w;
}

std::string ToJson(const Workload& w, const std::string& rotation, const std::vector<Row>& rows) {
  report::JsonWriter json;
  json.BeginObject();
  json.Key("data").String(w.source);
  json.Key("dim").Int(w.dim);
  json.Key("samples").Int(w.n);
  json.Key("queries").Int(w.nq);
  json.Key("rotation").String(rotation);
  json.Key("rows").BeginArray();
  for (const Row& row : rows) {
    json.BeginObject();
    json.Key("bits").Int(row.bits);
    json.Key("variant").String(row.variant);
    json.Key("d_mse").Double(row.result.d_mse);
    json.Key("d_prod").Double(row.result.d_prod);
    json.Key("ip_bias").Double(row.result.ip_bias);
    json.Key("lower_bound").Double(row.lower_bound);
    json.Key("upper_bound").Double(row.upper_bound);
    json.Key("prod_upper_bound").Double(row.prod_upper_bound);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return json.json();
}

report::MarkdownTable ToTable(const std::vector<Row>& rows) {
  report::MarkdownTable table({"bits", "variant", "D_mse", "d*D_prod", "ip bias", "lower 4^-b",
                               "upper D_mse", "upper d*D_prod"});
  for (size_t c : {0, 2, 3, 4, 5, 6, 7}) table.SetNumeric(c);
  for (const Row& row : rows) {
    table.AddRow(
        {absl::StrCat(row.bits), row.variant, report::FormatSignificant(row.result.d_mse, 4),
         report::FormatSignificant(row.result.d_prod, 4),
         report::FormatFixed(row.result.ip_bias, 4), report::FormatSignificant(row.lower_bound, 4),
         report::FormatSignificant(row.upper_bound, 4),
         report::FormatSignificant(row.prod_upper_bound, 4)});
  }
  return table;
}

// Distortion against bits on a log scale, one line per variant, bounds dashed (Fig. 3).
std::string Plot(const std::vector<Row>& rows, const std::vector<std::string>& variants,
                 const std::vector<int>& bits, bool prod, int dim) {
  report::LinePlot plot;
  plot.title = prod ? absl::StrCat("Inner-product error d*D_prod (d = ", dim, ")")
                    : absl::StrCat("MSE distortion D_mse (d = ", dim, ")");
  plot.x = {.label = "bits per coordinate", .scale = report::AxisScale::kLinear};
  plot.y = {.label = prod ? "d * D_prod / |q|^2" : "D_mse", .scale = report::AxisScale::kLog10};
  for (const std::string& variant : variants) {
    report::PlotSeries series{.name = variant, .markers = true};
    for (const Row& row : rows) {
      if (row.variant == variant) {
        series.points.push_back({double(row.bits), prod ? row.result.d_prod : row.result.d_mse});
      }
    }
    plot.series.push_back(series);
  }
  report::PlotSeries lower{.name = "lower bound 4^-b", .dashed = true, .color = "#555555"};
  report::PlotSeries upper{
      .name = prod ? "upper bound sqrt(3) pi^2 4^-b" : "upper bound sqrt(3) pi/2 4^-b",
      .dashed = true,
      .color = "#000000"};
  for (int b : bits) {
    const double shannon = std::pow(4.0, -b);
    lower.points.push_back({double(b), shannon});
    upper.points.push_back(
        {double(b), std::sqrt(3.0) *
                        (prod ? std::numbers::pi * std::numbers::pi : std::numbers::pi / 2) *
                        shannon});
  }
  plot.series.push_back(lower);
  plot.series.push_back(upper);
  return report::RenderSvg(plot);
}

absl::Status WriteReport(const std::string& dir, const Workload& w, const std::string& rotation,
                         const std::vector<Row>& rows, const std::vector<std::string>& variants,
                         const std::vector<int>& bits, const std::string& command) {
  if (absl::Status s = CreateDirectories(dir); !s.ok()) return s;
  const report::MarkdownTable table = ToTable(rows);
  const std::string markdown = absl::StrCat(
      "# TurboQuant distortion\n\n", "Data: ", w.source, ", d = ", w.dim, ", ", w.n, " vectors x ",
      w.nq, " queries, rotation ", rotation, ".\n\nRegenerate with `", command, "`.\n\n",
      table.ToMarkdown(), "\n![D_mse](distortion.svg)\n![D_prod](distortion_prod.svg)\n");
  for (const auto& [name, content] :
       {std::pair<std::string, std::string>{"distortion.md", markdown},
        {"distortion.csv", table.ToCsv("\n")},
        {"distortion.svg", Plot(rows, variants, bits, false, w.dim)},
        {"distortion_prod.svg", Plot(rows, variants, bits, true, w.dim)}}) {
    if (absl::Status s = WriteTextFile(absl::StrCat(dir, "/", name), content); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

// Every flag of distortion has its Abseil default (flags.cc), so `given` is not needed.
int RunDistortion(const std::vector<std::string>& args, const std::vector<std::string>& /*given*/) {
  const std::string command =
      absl::StrCat("tq-bench distortion ", absl::StrJoin(args.begin() + 1, args.end(), " "));

  absl::StatusOr<std::vector<int>> bits = ParseIntList("bits", absl::GetFlag(FLAGS_bits), 1, 4);
  absl::StatusOr<RotationKind> rotation = ParseRotationKind(absl::GetFlag(FLAGS_rotation));
  absl::StatusOr<std::vector<std::string>> variant_names =
      ParseNameList("variants", absl::GetFlag(FLAGS_variants));
  std::vector<VariantSpec> specs;
  absl::Status usage = bits.status();
  if (usage.ok()) usage = rotation.status();
  if (usage.ok()) usage = variant_names.status();
  if (usage.ok()) {
    for (const std::string& name : *variant_names) {
      absl::StatusOr<VariantSpec> spec = ParseVariantSpec(name);
      if (!spec.ok()) {
        usage = spec.status();
        break;
      }
      specs.push_back(*spec);
    }
  }
  if (usage.ok() && (absl::GetFlag(FLAGS_samples) < 1 || absl::GetFlag(FLAGS_queries) < 1 ||
                     absl::GetFlag(FLAGS_queries) > 4096)) {
    usage = absl::InvalidArgumentError("--samples must be positive, --queries in [1, 4096]");
  }
  if (usage.ok() && absl::GetFlag(FLAGS_data).empty() &&
      (absl::GetFlag(FLAGS_dim) < 2 || absl::GetFlag(FLAGS_dim) > 65536)) {
    usage = absl::InvalidArgumentError("--dim must be in [2, 65536]");
  }
  // The vectors, their codes and decodings are held in memory together (~4 copies):
  // refuse early what cannot fit rather than die in an allocation.
  constexpr double kMaxVectorBytes = 4.0 * (1ULL << 30);
  if (usage.ok() && 4.0 * absl::GetFlag(FLAGS_samples) * std::max(absl::GetFlag(FLAGS_dim), 2) >
                        kMaxVectorBytes) {
    usage = absl::InvalidArgumentError("--samples x dimension exceeds 4 GiB of vectors");
  }
  if (!usage.ok()) {
    std::fprintf(stderr, "tq-bench distortion: %s\n", std::string(usage.message()).c_str());
    return kExitUsage;
  }

  absl::StatusOr<Workload> workload = LoadWorkload();
  if (!workload.ok()) {
    std::fprintf(stderr, "tq-bench distortion: %s\n",
                 std::string(workload.status().message()).c_str());
    return kExitBadInput;
  }
  const bool json = absl::GetFlag(FLAGS_json);
  std::vector<Row> rows;
  // Kept alive until the next quantizer exists, so that they share one cached rotation.
  std::unique_ptr<TurboQuantizer> previous;
  for (const VariantSpec& spec : specs) {
    for (int b : *bits) {
      QuantizerOptions options;
      options.dim = workload->dim;
      options.bits = b;
      options.variant = spec.variant;
      options.rotation = *rotation;
      options.seed = absl::GetFlag(FLAGS_seed);
      options.qjl = spec.qjl;
      options.encoder = spec.encoder;
      if (!json) std::fprintf(stderr, "measuring %s at %d bits...\n", spec.name.c_str(), b);
      absl::StatusOr<std::unique_ptr<TurboQuantizer>> quantizer = TurboQuantizer::Create(options);
      absl::StatusOr<DistortionResult> result =
          quantizer.ok() ? MeasureDistortion(**quantizer, workload->vectors.data(), workload->n,
                                             workload->queries.data(), workload->nq,
                                             absl::GetFlag(FLAGS_threads))
                         : absl::StatusOr<DistortionResult>(quantizer.status());
      if (!result.ok()) {
        std::fprintf(stderr, "tq-bench distortion: %s\n",
                     std::string(result.status().message()).c_str());
        return kExitBadInput;
      }
      previous = *std::move(quantizer);
      const double shannon = std::pow(4.0, -b);
      rows.push_back({b, spec.name, *result, shannon,
                      std::sqrt(3.0) * std::numbers::pi / 2 * shannon,
                      std::sqrt(3.0) * std::numbers::pi * std::numbers::pi * shannon});
    }
  }

  const std::string rotation_name(RotationKindName(*rotation));
  if (json) {
    std::printf("%s\n", ToJson(*workload, rotation_name, rows).c_str());
  } else {
    std::printf("data %s, d = %d, %lld vectors x %lld queries, rotation %s\n\n%s",
                workload->source.c_str(), workload->dim, static_cast<long long>(workload->n),
                static_cast<long long>(workload->nq), rotation_name.c_str(),
                ToTable(rows).ToMarkdown().c_str());
  }
  const std::string report_dir = absl::GetFlag(FLAGS_report);
  if (!report_dir.empty()) {
    std::vector<std::string> names;
    for (const VariantSpec& spec : specs) names.push_back(spec.name);
    if (absl::Status s =
            WriteReport(report_dir, *workload, rotation_name, rows, names, *bits, command);
        !s.ok()) {
      std::fprintf(stderr, "tq-bench distortion: %s\n", std::string(s.message()).c_str());
      return kExitBadInput;
    }
  }
  return kExitOk;
}

}  // namespace tq::bench
