// Tests for tools/report: exact JSON, markdown and CSV text, axis ticks, and SVG plots that
// a strict XML checker (below) accepts whatever the series names contain.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tools/report/json_writer.h"
#include "tools/report/markdown_table.h"
#include "tools/report/number_format.h"
#include "tools/report/plot_axis.h"
#include "tools/report/svg_plot.h"
#include "tools/report/xml_escape.h"

namespace tq::report {
namespace {

// ---------------------------------------------------------------------------------------------
// A small recursive XML well-formedness checker. It accepts an optional <?xml ...?> prolog and
// one root element; elements must balance, attributes must be quoted and unique, and the only
// entities allowed are the five predefined ones. It is stricter than XML in one way, to catch
// missed escaping: a raw '>' is rejected in text and attribute values too.
class XmlChecker {
 public:
  explicit XmlChecker(std::string_view doc) : s_(doc) {}

  // Empty on success, else what went wrong and where.
  std::string Check() {
    if (Starts("<?xml")) {
      const size_t end = s_.find("?>");
      if (end == std::string_view::npos) return Fail("unterminated XML declaration");
      pos_ = end + 2;
    }
    SkipSpace();
    if (!Starts("<")) return Fail("expected the root element");
    if (!Element(0)) return error_;
    SkipSpace();
    if (pos_ != s_.size()) return Fail("content after the root element");
    return "";
  }

  // How many elements of each name the document holds (valid after a successful Check()).
  const std::map<std::string, int>& tag_counts() const { return tag_counts_; }
  // All character data between tags, entities decoded.
  const std::string& text() const { return text_; }

 private:
  bool Element(int depth) {
    if (depth > 100) return FailB("nesting too deep");
    ++pos_;  // '<'
    std::string name;
    if (!Name(name)) return false;
    ++tag_counts_[name];
    std::map<std::string, bool> seen;
    while (true) {
      const bool had_space = SkipSpace();
      if (Starts("/>")) {
        pos_ += 2;
        return true;
      }
      if (Starts(">")) {
        ++pos_;
        break;
      }
      if (!had_space) return FailB("expected space before an attribute");
      std::string attr;
      if (!Name(attr)) return false;
      if (seen[attr]) return FailB("duplicate attribute " + attr);
      seen[attr] = true;
      SkipSpace();
      if (!Starts("=")) return FailB("expected '=' after attribute " + attr);
      ++pos_;
      SkipSpace();
      if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) {
        return FailB("unquoted value of attribute " + attr);
      }
      const char quote = s_[pos_++];
      std::string ignored;
      if (!CharData(quote, ignored)) return false;
      if (pos_ >= s_.size()) return FailB("unterminated attribute value");
      ++pos_;  // Closing quote.
    }
    while (true) {
      if (!CharData('<', text_)) return false;
      if (pos_ >= s_.size()) return FailB("unclosed element " + name);
      if (Starts("</")) {
        pos_ += 2;
        std::string closing;
        if (!Name(closing)) return false;
        if (closing != name) return FailB("</" + closing + "> closes <" + name + ">");
        SkipSpace();
        if (!Starts(">")) return FailB("expected '>' in end tag");
        ++pos_;
        return true;
      }
      if (Starts("<!--") || Starts("<![CDATA[") || Starts("<?")) {
        return FailB("comments, CDATA and processing instructions are not expected");
      }
      if (!Element(depth + 1)) return false;
    }
  }

  // Consumes characters up to (not including) `stop`, checking entities and raw '<' / '>'.
  bool CharData(char stop, std::string& decoded) {
    while (pos_ < s_.size() && s_[pos_] != stop) {
      const char c = s_[pos_];
      if (c == '<') return FailB("raw '<' in a value");
      if (c == '>') return FailB("raw '>' (should be &gt;)");
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        return FailB("control character");
      }
      if (c == '&') {
        static constexpr std::pair<std::string_view, char> kEntities[] = {
            {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
        bool known = false;
        for (const auto& [entity, ch] : kEntities) {
          if (Starts(entity)) {
            decoded.push_back(ch);
            pos_ += entity.size();
            known = true;
            break;
          }
        }
        if (!known) return FailB("unknown or malformed entity");
        continue;
      }
      decoded.push_back(c);
      ++pos_;
    }
    return true;
  }

  bool Name(std::string& name) {
    const size_t start = pos_;
    const auto is_start = [](char c) {
      return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
    };
    if (pos_ >= s_.size() || !is_start(s_[pos_])) return FailB("expected a name");
    while (pos_ < s_.size() &&
           (is_start(s_[pos_]) || std::isdigit(static_cast<unsigned char>(s_[pos_])) ||
            s_[pos_] == '-' || s_[pos_] == '.')) {
      ++pos_;
    }
    name = std::string(s_.substr(start, pos_ - start));
    return true;
  }

  bool SkipSpace() {
    const size_t start = pos_;
    while (pos_ < s_.size() && std::strchr(" \t\r\n", s_[pos_]) != nullptr) ++pos_;
    return pos_ > start;
  }

  bool Starts(std::string_view prefix) const { return s_.substr(pos_).starts_with(prefix); }

  std::string Fail(const std::string& what) {
    error_ = what + " at offset " + std::to_string(pos_) + ": \"" +
             std::string(s_.substr(pos_, 40)) + "\"";
    return error_;
  }
  bool FailB(const std::string& what) {
    Fail(what);
    return false;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
  std::map<std::string, int> tag_counts_;
  std::string text_;
};

TEST(XmlCheckerTest, RejectsBrokenDocuments) {
  EXPECT_EQ(XmlChecker("<a x=\"1\"><b/>t &amp; u</a>").Check(), "");
  EXPECT_NE(XmlChecker("<a><b></a></b>").Check(), "");
  EXPECT_NE(XmlChecker("<a x=1/>").Check(), "");
  EXPECT_NE(XmlChecker("<a>x & y</a>").Check(), "");
  EXPECT_NE(XmlChecker("<a>x &nbsp; y</a>").Check(), "");
  EXPECT_NE(XmlChecker("<a x=\"<\"/>").Check(), "");
  EXPECT_NE(XmlChecker("<a x=\"1\" x=\"2\"/>").Check(), "");
  EXPECT_NE(XmlChecker("<a>").Check(), "");
  EXPECT_NE(XmlChecker("<a/><b/>").Check(), "");
}

// ---------------------------------------------------------------------------------------------
// JsonWriter

TEST(JsonWriterTest, NestedCompact) {
  JsonWriter w;
  w.BeginObject();
  w.Key("dataset").String("glove-100");
  w.Key("bits").Int(4);
  w.Key("n").Uint(1183514);
  w.Key("recall").BeginArray().Double(0.5).Double(0.875).Int(-1).EndArray();
  w.Key("params").BeginObject();
  w.Key("rerank").Bool(true);
  w.Key("seed").Null();
  w.EndObject();
  w.Key("empty_list").BeginArray().EndArray();
  w.Key("empty_obj").BeginObject().EndObject();
  EXPECT_FALSE(w.complete());
  w.EndObject();
  EXPECT_TRUE(w.complete());
  EXPECT_EQ(w.json(), R"({"dataset":"glove-100","bits":4,"n":1183514,"recall":[0.5,0.875,-1],)"
                      R"("params":{"rerank":true,"seed":null},"empty_list":[],"empty_obj":{}})");
}

TEST(JsonWriterTest, NestedPretty) {
  JsonWriter w(/*pretty=*/true);
  w.BeginObject();
  w.Key("a").Int(1);
  w.Key("b").BeginArray().Int(2).BeginObject().Key("c").Bool(false).EndObject().EndArray();
  w.Key("d").BeginArray().EndArray();
  w.EndObject();
  EXPECT_EQ(w.json(),
            "{\n"
            "  \"a\": 1,\n"
            "  \"b\": [\n"
            "    2,\n"
            "    {\n"
            "      \"c\": false\n"
            "    }\n"
            "  ],\n"
            "  \"d\": []\n"
            "}");
}

TEST(JsonWriterTest, TopLevelScalarAndArray) {
  JsonWriter scalar;
  EXPECT_FALSE(scalar.complete());
  scalar.String("x");
  EXPECT_TRUE(scalar.complete());
  EXPECT_EQ(scalar.json(), "\"x\"");

  JsonWriter array;
  array.BeginArray().Int(1);
  EXPECT_FALSE(array.complete());
  array.Int(2).EndArray();
  EXPECT_TRUE(array.complete());
  EXPECT_EQ(array.json(), "[1,2]");
}

TEST(JsonWriterTest, EscapesStrings) {
  JsonWriter w;
  w.BeginObject()
      .Key("k\"ey")
      .String("q\" b\\ nl\n cr\r tab\t bs\b ff\f one\x01 us\x1f del\x7f \xC3\xA9")
      .EndObject();
  EXPECT_EQ(w.json(),
            "{\"k\\\"ey\":\"q\\\" b\\\\ nl\\n cr\\r tab\\t bs\\b ff\\f one\\u0001 us\\u001f "
            "del\x7f \xC3\xA9\"}");

  std::string nul;
  AppendJsonString(std::string_view("a\0b", 3), nul);
  EXPECT_EQ(nul, "\"a\\u0000b\"");
}

TEST(JsonWriterTest, IntegerExtremes) {
  JsonWriter w;
  w.BeginArray()
      .Int(std::numeric_limits<int64_t>::min())
      .Int(std::numeric_limits<int64_t>::max())
      .Uint(std::numeric_limits<uint64_t>::max())
      .EndArray();
  EXPECT_EQ(w.json(), "[-9223372036854775808,9223372036854775807,18446744073709551615]");
}

TEST(JsonWriterTest, NonFiniteDoublesAreNull) {
  JsonWriter w;
  w.BeginArray()
      .Double(std::numeric_limits<double>::quiet_NaN())
      .Double(std::numeric_limits<double>::infinity())
      .Double(-std::numeric_limits<double>::infinity())
      .Double(1.5)
      .EndArray();
  EXPECT_EQ(w.json(), "[null,null,null,1.5]");
}

TEST(JsonWriterTest, ShortestDoubles) {
  JsonWriter w;
  w.BeginArray().Double(0.1).Double(1e-5).Double(2.0).Double(-0.0).Double(1e300).EndArray();
  EXPECT_EQ(w.json(), "[0.1,1e-05,2,-0,1e+300]");
}

TEST(JsonWriterTest, DoublesRoundTrip) {
  std::vector<double> values = {0.0,
                                1.0 / 3.0,
                                2.0 / 3.0,
                                0.1 + 0.2,
                                123456789.123456789,
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::denorm_min(),
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::epsilon(),
                                -1e-300};
  std::mt19937_64 rng(42);
  while (values.size() < 2000) {
    const uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof(v));
    if (std::isfinite(v)) values.push_back(v);
  }
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < 1000; ++i) values.push_back(unit(rng));

  for (double v : values) {
    JsonWriter w;
    w.Double(v);
    const std::string& text = w.json();
    double parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    ASSERT_EQ(ec, std::errc()) << text;
    ASSERT_EQ(end, text.data() + text.size()) << text;
    ASSERT_EQ(std::memcmp(&parsed, &v, sizeof(v)), 0) << text;
  }
}

#ifndef NDEBUG
TEST(JsonWriterDeathTest, MisuseAsserts) {
  EXPECT_DEATH({ JsonWriter().Key("x"); }, "Key\\(\\) outside an object");
  EXPECT_DEATH({ JsonWriter().BeginObject().Int(1); }, "needs a Key\\(\\) first");
  EXPECT_DEATH({ JsonWriter().BeginArray().Key("x"); }, "outside an object");
  EXPECT_DEATH({ JsonWriter().BeginArray().EndObject(); }, "wrong container");
  EXPECT_DEATH({ JsonWriter().BeginObject().Key("a").EndObject(); }, "without a value");
  EXPECT_DEATH({ JsonWriter().Int(1).Int(2); }, "one top-level value");
  EXPECT_DEATH({ JsonWriter().EndArray(); }, "no open container");
}
#endif

// ---------------------------------------------------------------------------------------------
// Number formatting

TEST(NumberFormatTest, Significant) {
  EXPECT_EQ(FormatSignificant(0.5, 3), "0.500");
  EXPECT_EQ(FormatSignificant(0.93456, 3), "0.935");
  EXPECT_EQ(FormatSignificant(12.345, 4), "12.35");  // 12.345 is stored as 12.3450000000000006.
  EXPECT_EQ(FormatSignificant(9.996, 3), "10.0");
  EXPECT_EQ(FormatSignificant(1234.5, 3), "1.23e+03");
  EXPECT_EQ(FormatSignificant(0.000123456, 3), "0.000123");
  EXPECT_EQ(FormatSignificant(0.0000123456, 3), "1.23e-05");
  EXPECT_EQ(FormatSignificant(0.0, 3), "0.00");
  EXPECT_EQ(FormatSignificant(-2.0, 2), "-2.0");
  EXPECT_EQ(FormatSignificant(std::numeric_limits<double>::quiet_NaN(), 3), "nan");
  EXPECT_EQ(FormatSignificant(-std::numeric_limits<double>::infinity(), 3), "-inf");
}

TEST(NumberFormatTest, FixedAndShortest) {
  EXPECT_EQ(FormatFixed(2.0 / 3.0, 2), "0.67");
  EXPECT_EQ(FormatFixed(1234.5678, 0), "1235");
  EXPECT_EQ(FormatFixed(1e20, 1), "100000000000000000000.0");
  EXPECT_EQ(FormatFixed(std::numeric_limits<double>::max(), 0).size(), 309u);
  EXPECT_EQ(FormatShortest(0.1), "0.1");
  EXPECT_EQ(FormatShortest(1e-5), "1e-05");
}

// ---------------------------------------------------------------------------------------------
// MarkdownTable

TEST(MarkdownTableTest, RendersMarkdown) {
  MarkdownTable t({"index", "bits", "recall@10"});
  t.SetNumeric(1);
  t.SetNumeric(2);
  t.AddRow({"tq", "4", FormatSignificant(0.93456, 3)});
  t.AddRow({"pq|opq", "16", "0.5"});
  t.AddRow({"flat"});  // Padded with empty cells.
  EXPECT_EQ(t.num_rows(), 3u);
  EXPECT_EQ(t.ToMarkdown(),
            "| index   | bits | recall@10 |\n"
            "| ------- | ---: | --------: |\n"
            "| tq      |    4 |     0.935 |\n"
            "| pq\\|opq |   16 |       0.5 |\n"
            "| flat    |      |           |\n");
}

TEST(MarkdownTableTest, MarkdownPadsByCodePointsAndFlattensNewlines) {
  MarkdownTable t({"µs", "x"});
  t.SetNumeric(0);
  t.AddRow({"1", "a\r\nb"});
  EXPECT_EQ(t.ToMarkdown(),
            "|  µs | x   |\n"
            "| --: | --- |\n"
            "|   1 | a b |\n");
}

TEST(MarkdownTableTest, RendersCsv) {
  MarkdownTable t({"name", "value"});
  t.AddRow({"plain", "1.5"});
  t.AddRow({"a,b", "say \"hi\""});
  t.AddRow({"two\nlines", ""});
  EXPECT_EQ(t.ToCsv(),
            "name,value\r\n"
            "plain,1.5\r\n"
            "\"a,b\",\"say \"\"hi\"\"\"\r\n"
            "\"two\nlines\",\r\n");
  EXPECT_EQ(t.ToCsv("\n").substr(0, 21), "name,value\nplain,1.5\n");
}

// ---------------------------------------------------------------------------------------------
// Axis ticks

std::vector<std::string> MajorLabels(const AxisLayout& axis) {
  std::vector<std::string> labels;
  for (const AxisTick& t : axis.ticks) {
    if (t.major) labels.push_back(t.label);
  }
  return labels;
}

TEST(PlotAxisTest, LinearNiceSteps) {
  AxisLayout a = LayoutAxis(AxisScale::kLinear, {0.03, 0.97}, {}, {}, 5, 10);
  EXPECT_DOUBLE_EQ(a.min, 0.0);
  EXPECT_DOUBLE_EQ(a.max, 1.0);
  EXPECT_EQ(MajorLabels(a), (std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}));

  a = LayoutAxis(AxisScale::kLinear, {1, 2, 3, 4}, {}, {}, 5, 10);
  EXPECT_EQ(MajorLabels(a), (std::vector<std::string>{"1", "2", "3", "4"}));

  a = LayoutAxis(AxisScale::kLinear, {-130, 370}, {}, {}, 5, 10);
  EXPECT_EQ(MajorLabels(a),
            (std::vector<std::string>{"-200", "-100", "0", "100", "200", "300", "400"}));

  a = LayoutAxis(AxisScale::kLinear, {0.05, 0.33}, 0.0, 1.0, 4, 10);  // Fixed range.
  EXPECT_DOUBLE_EQ(a.min, 0.0);
  EXPECT_DOUBLE_EQ(a.max, 1.0);
  EXPECT_EQ(MajorLabels(a), (std::vector<std::string>{"0.0", "0.5", "1.0"}));
}

TEST(PlotAxisTest, LinearLargeAndTinyValuesUsePowersOfTen) {
  AxisLayout a = LayoutAxis(AxisScale::kLinear, {0, 1e7}, {}, {}, 2, 10);
  EXPECT_EQ(MajorLabels(a), (std::vector<std::string>{"0", "5\u00D710\u2076", "1\u00D710\u2077"}));
  a = LayoutAxis(AxisScale::kLinear, {1e-5, 3.1e-5}, {}, {}, 3, 10);
  EXPECT_EQ(MajorLabels(a),
            (std::vector<std::string>{"1\u00D710\u207B\u2075", "2\u00D710\u207B\u2075",
                                      "3\u00D710\u207B\u2075", "4\u00D710\u207B\u2075"}));
}

TEST(PlotAxisTest, LinearDegenerateRanges) {
  AxisLayout a = LayoutAxis(AxisScale::kLinear, {}, {}, {}, 5, 10);
  EXPECT_LT(a.min, a.max);
  a = LayoutAxis(AxisScale::kLinear, {7, 7, 7}, {}, {}, 5, 10);
  EXPECT_LT(a.min, 7);
  EXPECT_GT(a.max, 7);
  a = LayoutAxis(AxisScale::kLinear, {std::nan(""), 1.0 / 0.0, 2.0}, {}, {}, 5, 10);
  EXPECT_LT(a.min, 2);
  EXPECT_GT(a.max, 2);
  EXPECT_FALSE(a.ticks.empty());
}

TEST(PlotAxisTest, Log2PowersAsIntegers) {
  const AxisLayout a = LayoutAxis(AxisScale::kLog2, {1, 2, 4, 8, 16, 32, 64}, {}, {}, 5, 10);
  EXPECT_DOUBLE_EQ(a.min, 1);
  EXPECT_DOUBLE_EQ(a.max, 64);
  EXPECT_EQ(MajorLabels(a), (std::vector<std::string>{"1", "2", "4", "8", "16", "32", "64"}));
  EXPECT_EQ(a.ticks.size(), 7u);  // No minor ticks on log2 axes.
  EXPECT_DOUBLE_EQ(a.Fraction(8), 0.5);
}

TEST(PlotAxisTest, Log10PowersWithMinorTicks) {
  const AxisLayout a = LayoutAxis(AxisScale::kLog10, {0.0012, 0.3, 0.0, -1.0}, {}, {}, 5, 10);
  EXPECT_DOUBLE_EQ(a.min, 1e-3);
  EXPECT_DOUBLE_EQ(a.max, 1.0);
  EXPECT_EQ(MajorLabels(a), (std::vector<std::string>{"10\u207B\u00B3", "10\u207B\u00B2",
                                                      "10\u207B\u00B9", "10\u2070"}));
  EXPECT_EQ(a.ticks.size(), 4u + 3 * 8);
  EXPECT_NEAR(a.Fraction(0.01), 1.0 / 3.0, 1e-12);
}

TEST(PlotAxisTest, LogLabelsThinOut) {
  const AxisLayout a = LayoutAxis(AxisScale::kLog10, {1e-12, 1.0}, {}, {}, 5, 5);
  const std::vector<std::string> labels = MajorLabels(a);
  ASSERT_EQ(labels.size(), 13u);
  int shown = 0;
  for (const std::string& l : labels) shown += !l.empty();
  EXPECT_LE(shown, 5);
  EXPECT_EQ(labels.back(), "10\u2070");  // 10^0 is always among the labelled powers.
  for (const AxisTick& t : a.ticks) EXPECT_TRUE(t.major);  // Minor ticks dropped too.
}

TEST(PlotAxisTest, LogRangeWithinOnePowerLabelsEnds) {
  const AxisLayout a = LayoutAxis(AxisScale::kLog10, {}, 0.2, 0.8, 5, 10);
  EXPECT_EQ(MajorLabels(a), (std::vector<std::string>{"0.2", "0.8"}));
}

TEST(PlotAxisTest, LogWithoutPositiveData) {
  const AxisLayout a = LayoutAxis(AxisScale::kLog10, {0.0, -3.0}, -1.0, {}, 5, 10);
  EXPECT_GT(a.min, 0.0);
  EXPECT_LT(a.min, a.max);
}

// ---------------------------------------------------------------------------------------------
// SVG plots

TEST(XmlEscapeTest, EscapesAndCleans) {
  EXPECT_EQ(EscapeXml("a<b & \"c\" 'd' >"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt;");
  EXPECT_EQ(EscapeXml("tab\tbell\x07"), "tab\tbell");
  EXPECT_EQ(EscapeXml("\xC3\xA9 ok, \xC3 bad, \xED\xA0\x80 surrogate"),
            "\xC3\xA9 ok, \xEF\xBF\xBD bad, \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD surrogate");
}

// Example (a): distortion against bits per coordinate, log10 y.
LinePlot DistortionPlot() {
  LinePlot plot;
  plot.title = "MSE distortion vs bits";
  plot.x = {"bits per coordinate b", AxisScale::kLinear, {}, {}};
  plot.y = {"D_mse", AxisScale::kLog10, {}, {}};
  PlotSeries measured{"measured D_mse", {}, false, true, ""};
  PlotSeries lower{"lower bound 4^-b", {}, true, false, ""};
  PlotSeries upper{"upper bound (sqrt(3)pi/2) 4^-b", {}, true, false, ""};
  const double measured_d[] = {0.36, 0.117, 0.03, 0.009};
  for (int b = 1; b <= 4; ++b) {
    measured.points.push_back({double(b), measured_d[b - 1]});
    lower.points.push_back({double(b), std::pow(4.0, -b)});
    upper.points.push_back({double(b), std::sqrt(3.0) * M_PI / 2 * std::pow(4.0, -b)});
  }
  plot.series = {measured, lower, upper};
  return plot;
}

// Example (b): recall@1@k against k on a log2 x axis, seven series.
LinePlot RecallPlot() {
  LinePlot plot;
  plot.title = "Recall@1@k";
  plot.x = {"k", AxisScale::kLog2, {}, {}};
  plot.y = {"recall", AxisScale::kLinear, 0.0, 1.0};
  for (int s = 0; s < 7; ++s) {
    PlotSeries series{"method " + std::to_string(s), {}, s >= 5, true, ""};
    for (int k = 1; k <= 64; k *= 2) {
      series.points.push_back({double(k), 1.0 - std::pow(0.3 + 0.09 * s, std::log2(k) + 1)});
    }
    plot.series.push_back(series);
  }
  return plot;
}

TEST(SvgPlotTest, ExamplesAreWellFormed) {
  for (const LinePlot& plot : {DistortionPlot(), RecallPlot()}) {
    const std::string svg = RenderSvg(plot);
    XmlChecker checker(svg);
    ASSERT_EQ(checker.Check(), "") << svg;
    EXPECT_EQ(checker.tag_counts().at("svg"), 1);
    EXPECT_NE(checker.text().find(plot.title), std::string::npos);
    EXPECT_NE(svg.find("width=\"720\" height=\"450\""), std::string::npos);
  }
}

TEST(SvgPlotTest, TrickyNamesAreEscaped) {
  const std::string tricky = "a<b & \"c\" 'd' > e";
  LinePlot plot;
  plot.title = tricky;
  plot.x.label = tricky;
  plot.y.label = "</text><script>alert(1)</script>";
  plot.series.push_back({tricky, {{0, 1}, {1, 2}}, false, true, ""});
  plot.series.push_back({"bell\x07 \xff", {{0, 2}, {1, 1}}, true, false, "\"red"});
  const std::string svg = RenderSvg(plot);
  XmlChecker checker(svg);
  ASSERT_EQ(checker.Check(), "") << svg;
  EXPECT_EQ(svg.find(tricky), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(svg.find("a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt; e"), std::string::npos);
  // Title, x label and legend entry, all decoded back to the original.
  size_t found = 0;
  for (size_t pos = 0; (pos = checker.text().find(tricky, pos)) != std::string::npos; ++pos) {
    ++found;
  }
  EXPECT_EQ(found, 3u);
  EXPECT_EQ(checker.tag_counts().count("script"), 0u);
}

TEST(SvgPlotTest, LogAxisSkipsNonPositivePoints) {
  LinePlot plot;
  plot.x = {"x", AxisScale::kLog2, {}, {}};
  plot.y = {"y", AxisScale::kLog10, {}, {}};
  plot.series.push_back(
      {"s", {{1, 0.5}, {2, 0.0}, {4, 0.1}, {0, 0.2}, {8, -1}, {16, 0.01}}, false, true, ""});
  plot.series.push_back({"nan", {{1, std::nan("")}, {2, 1.0 / 0.0}}, false, true, ""});
  const std::string svg = RenderSvg(plot);
  XmlChecker checker(svg);
  ASSERT_EQ(checker.Check(), "") << svg;
  // Markers only for (1, 0.5), (4, 0.1), (16, 0.01); the series breaks at every skipped point,
  // leaving no run of two points, so there is no data line (the 2 polylines are legend swatches).
  EXPECT_EQ(checker.tag_counts().at("circle"), 3 + 2);  // Plus one legend marker per series.
  EXPECT_EQ(checker.tag_counts().at("polyline"), 2);
  // No coordinate was computed from a skipped value.
  EXPECT_EQ(svg.find("=\"nan"), std::string::npos);
  EXPECT_EQ(svg.find("=\"inf"), std::string::npos);
  EXPECT_EQ(svg.find(",nan"), std::string::npos);
}

TEST(SvgPlotTest, EmptyPlotAndCustomSize) {
  LinePlot plot;
  plot.width = 400;
  plot.height = 300;
  const std::string svg = RenderSvg(plot);
  XmlChecker checker(svg);
  ASSERT_EQ(checker.Check(), "") << svg;
  EXPECT_NE(svg.find("width=\"400\" height=\"300\""), std::string::npos);
  EXPECT_EQ(checker.tag_counts().count("polyline"), 0u);
}

TEST(SvgPlotTest, DashedSeriesAndDistinctColours) {
  const std::string svg = RenderSvg(RecallPlot());
  for (const char* color :
       {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"}) {
    EXPECT_NE(svg.find(std::string("stroke=\"") + color + "\""), std::string::npos) << color;
  }
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
}

}  // namespace
}  // namespace tq::report
