// The factory tables of wiring.cpp, for runtime.cpp: the configured backend → its store. Only the
// runtime uses it; commands go through the Runtime (runtime.hpp).
#pragma once

#include "keyd/config/config.hpp"
#include "keyd/ports/clock.hpp"
#include "keyd/ports/http.hpp"
#include "keyd/ports/secret_store.hpp"

#include <functional>
#include <memory>
#include <string_view>

namespace keyd::cli {

// A store and, for remote backends, the transport it talks through (which must outlive it).
struct BuiltStore {
  std::unique_ptr<ports::HttpTransport> transport;
  std::unique_ptr<ports::SecretStore> store;
};

// Told who a store authenticated as (Vault: the login's role and service account), for the audit actor.
using LoginObserver = std::function<void(std::string_view identity)>;

// invalid_config when the backend is not available.
[[nodiscard]] Result<BuiltStore> make_store(const config::Config& config, const ports::Clock& clock,
                                            const LoginObserver& observer);

}  // namespace keyd::cli
