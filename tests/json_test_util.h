// A minimal JSON reader for the tests of tools that print JSON: enough to check the output's
// structure, strictly (one value, nothing after it but whitespace).
#ifndef TQ_TESTS_JSON_TEST_UTIL_H_
#define TQ_TESTS_JSON_TEST_UTIL_H_

#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

namespace tq::testing {

struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  double number = 0.0;
  std::string text;
  std::vector<Json> items;
  // Not std::pair<std::string, Json>: clang with libstdc++ cannot instantiate that pair while
  // Json is still incomplete.
  struct Member;
  std::vector<Member> members;

  const Json* Find(const std::string& key) const;
};

struct Json::Member {
  std::string key;
  Json value;
};

inline const Json* Json::Find(const std::string& key) const {
  for (const auto& [k, v] : members) {
    if (k == key) return &v;
  }
  return nullptr;
}

class JsonParser {
 public:
  explicit JsonParser(const std::string& s) : s_(s) {}

  bool ParseDocument(Json* out) {
    if (!Value(out)) return false;
    Space();
    return i_ == s_.size();
  }

 private:
  void Space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool Literal(const char* word) {
    const std::string w(word);
    if (s_.compare(i_, w.size(), w) != 0) return false;
    i_ += w.size();
    return true;
  }
  bool String(std::string* out) {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    ++i_;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\') ++i_;
      if (i_ < s_.size()) out->push_back(s_[i_++]);
    }
    if (i_ >= s_.size()) return false;
    ++i_;
    return true;
  }
  bool Value(Json* out) {
    Space();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') {
      out->kind = Json::kObject;
      ++i_;
      Space();
      if (i_ < s_.size() && s_[i_] == '}') return ++i_, true;
      while (true) {
        Space();
        std::string key;
        if (!String(&key)) return false;
        Space();
        if (i_ >= s_.size() || s_[i_++] != ':') return false;
        Json value;
        if (!Value(&value)) return false;
        out->members.push_back({key, std::move(value)});
        Space();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        return i_ < s_.size() && s_[i_++] == '}';
      }
    }
    if (c == '[') {
      out->kind = Json::kArray;
      ++i_;
      Space();
      if (i_ < s_.size() && s_[i_] == ']') return ++i_, true;
      while (true) {
        Json value;
        if (!Value(&value)) return false;
        out->items.push_back(std::move(value));
        Space();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        return i_ < s_.size() && s_[i_++] == ']';
      }
    }
    if (c == '"') {
      out->kind = Json::kString;
      return String(&out->text);
    }
    if (Literal("null")) return out->kind = Json::kNull, true;
    if (Literal("true")) return out->kind = Json::kBool, out->number = 1, true;
    if (Literal("false")) return out->kind = Json::kBool, true;
    const char* begin = s_.c_str() + i_;
    char* end = nullptr;
    out->number = std::strtod(begin, &end);
    if (end == begin) return false;
    out->kind = Json::kNumber;
    i_ += end - begin;
    return true;
  }

  const std::string& s_;
  size_t i_ = 0;
};

}  // namespace tq::testing

#endif  // TQ_TESTS_JSON_TEST_UTIL_H_
