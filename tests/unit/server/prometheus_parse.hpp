// A strict reader of the Prometheus text format for the daemon's /metrics tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::testing {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// A strict reader of the Prometheus text format 0.0.4: HELP/TYPE before a family's samples, one
// TYPE per family, valid metric and label names, quoted and escaped label values, numeric values,
// histogram buckets cumulative with a +Inf bucket equal to _count. Fails the test on any deviation.
inline std::vector<Sample> parse_prometheus(const std::string& text) {
  static const std::regex k_sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$)");
  static const std::regex k_label(R"re(^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$))re");
  static const std::regex k_meta(R"(^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$)");
  std::map<std::string, std::string> types;
  std::set<std::string> finished;  // families whose samples ended: they must not come back
  std::string current;
  std::vector<Sample> samples;
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.starts_with("#")) {
      EXPECT_TRUE(std::regex_match(line, m, k_meta)) << line;
      if (m[1] == "TYPE") {
        EXPECT_FALSE(types.contains(m[2])) << "second TYPE for " << m[2];
        EXPECT_TRUE(std::set<std::string>({"counter", "gauge", "histogram"}).contains(m[3])) << line;
        types[m[2]] = m[3];
      }
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, m, k_sample)) << line;
    if (m.empty()) continue;
    Sample s{m[1], {}, 0};
    std::string labels = m[3];
    while (!labels.empty()) {
      std::smatch l;
      const bool found = std::regex_search(labels, l, k_label, std::regex_constants::match_continuous);
      EXPECT_TRUE(found) << line;
      if (!found) break;
      s.labels[l[1]] = l[2];
      labels = l.suffix();
    }
    std::size_t used = 0;
    const std::string value = m[4];
    if (value == "+Inf" || value == "-Inf" || value == "NaN") {
      s.value = value == "NaN" ? std::nan("") : (value == "+Inf" ? INFINITY : -INFINITY);
    } else {
      s.value = std::stod(value, &used);
      EXPECT_EQ(used, value.size()) << line;
    }
    std::string family = s.name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string base = family.substr(0, family.size() - std::min(family.size(), std::strlen(suffix)));
      if (family.ends_with(suffix) && types.contains(base) && types[base] == "histogram") family = base;
    }
    EXPECT_TRUE(types.contains(family)) << "sample before its TYPE: " << line;
    if (family != current) {
      EXPECT_FALSE(finished.contains(family)) << "family split: " << family;
      if (!current.empty()) finished.insert(current);
      current = family;
    }
    if (types[family] == "counter") {
      EXPECT_GE(s.value, 0) << line;
    }
    samples.push_back(std::move(s));
  }
  // Histograms: cumulative buckets ending in +Inf == _count.
  std::map<std::string, std::vector<const Sample*>> buckets;
  for (const Sample& s : samples) {
    if (!s.name.ends_with("_bucket")) continue;
    auto labels = s.labels;
    labels.erase("le");
    std::string key = s.name;
    for (const auto& [k, v] : labels) key += "|" + k + "=" + v;
    buckets[key].push_back(&s);
  }
  for (const auto& [key, list] : buckets) {
    double previous = 0;
    for (const Sample* b : list) {
      EXPECT_GE(b->value, previous) << key;
      previous = b->value;
    }
    EXPECT_EQ(list.back()->labels.at("le"), "+Inf") << key;
  }
  return samples;
}

inline std::optional<double> value_of(const std::vector<Sample>& samples, std::string_view name,
                                      const std::map<std::string, std::string>& labels) {
  for (const Sample& s : samples) {
    if (s.name != name) continue;
    const bool match = std::ranges::all_of(labels, [&](const auto& kv) {
      const auto it = s.labels.find(kv.first);
      return it != s.labels.end() && it->second == kv.second;
    });
    if (match) return s.value;
  }
  return std::nullopt;
}

}  // namespace keyd::testing
