// Random: where timing randomness comes from (retry and interval jitter), so tests can inject a fixed
// sequence. Never used for key material: keys come from domain::generate_swarm_key (OpenSSL's CSPRNG).
#pragma once

namespace keyd::ports {

class Random {
 public:
  virtual ~Random() = default;
  // A value in [0, 1). Safe to call from several threads at once.
  [[nodiscard]] virtual double uniform() = 0;
};

}  // namespace keyd::ports
