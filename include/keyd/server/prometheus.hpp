// The Prometheus text exposition format 0.0.4, as every metric source of the daemon writes it
// (its state, the store's requests, the configuration reloads): families with HELP and TYPE lines,
// then samples with escaped label values.
#pragma once

#include <concepts>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace keyd::server {

// A label value with backslash, double quote and newline escaped.
[[nodiscard]] std::string prometheus_escape(std::string_view label_value);
// A sample value: shortest round-trip text, NaN, +Inf or -Inf.
[[nodiscard]] std::string prometheus_number(double value);

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

class PrometheusText {
 public:
  // "# HELP <name> <help>" and "# TYPE <name> <type>" (counter, gauge, histogram).
  void family(std::string_view name, std::string_view type, std::string_view help);
  // "<name>{<label>="<escaped value>",…} <value>", without braces when there are no labels.
  void sample(std::string_view name, Labels labels, std::string_view value);
  void sample(std::string_view name, Labels labels, double value) { sample(name, labels, prometheus_number(value)); }
  template <std::integral T>
  void sample(std::string_view name, Labels labels, T value) {
    sample(name, labels, std::string_view(std::to_string(value)));
  }

  [[nodiscard]] const std::string& text() const& { return m_out; }
  [[nodiscard]] std::string text() && { return std::move(m_out); }

 private:
  std::string m_out;
};

}  // namespace keyd::server
