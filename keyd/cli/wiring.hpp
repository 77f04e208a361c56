// The factory tables of wiring.cpp, for runtime.cpp: the configured backend → its store. Only the
// runtime uses it; commands go through the Runtime (runtime.hpp).
#pragma once

#include "keyd/adapters/backend/store_backend.hpp"
#include "keyd/config/config.hpp"
#include "keyd/ports/clock.hpp"
#include "keyd/ports/http.hpp"
#include "keyd/ports/random.hpp"
#include "keyd/ports/secret_store.hpp"

#include <functional>
#include <memory>
#include <string_view>

namespace keyd::cli {

// The store a backend's home builds (keyd/adapters/backend/store_backend.hpp) and its login observer.
using adapters::BuiltStore;
using adapters::LoginObserver;

// invalid_config when the backend is not available. The clock and `random` (the jitter of a remote
// store's retries) must outlive the store.
[[nodiscard]] Result<BuiltStore> make_store(const config::Config& config, const ports::Clock& clock,
                                            ports::Random& random, const LoginObserver& observer);

}  // namespace keyd::cli
