// keep_tls_library_until_exit(): OpenSSL's state stays until the process is gone, instead of being
// freed by an atexit handler that could run while a thread still holds a connection (and that cost
// about 0.5 ms of every command's exit).
#include "keyd/adapters/curl/curl_transport.hpp"

#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <cstdlib>
#include <unistd.h>

namespace keyd::adapters {
namespace {

// Registered before OpenSSL's own handler, so it runs after it: OPENSSL_init_crypto returns 0 once
// OPENSSL_cleanup has run (the error it raises then is dropped: there is no error queue any more).
void exit_with_whether_openssl_was_cleaned_up() { ::_exit(OPENSSL_init_crypto(0, nullptr) == 1 ? 0 : 3); }

// Each death test runs in a fresh process (the test binary executed again), where nothing has
// initialised OpenSSL yet: in this one, earlier tests already did. (Not in the adapters or cli
// suite: they link cpp-httplib, whose static initialiser initialises OpenSSL before main.)
void use_tls_and_exit(bool keep) {
  std::atexit(exit_with_whether_openssl_was_cleaned_up);
  if (keep) keep_tls_library_until_exit();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) ::_exit(4);
  SSL_CTX_free(ctx);
  std::exit(0);
}

TEST(TlsLibrary, IsNotCleanedUpAtExitOnceKept) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(use_tls_and_exit(true), ::testing::ExitedWithCode(0), "");
}

// The control: without it OpenSSL's atexit handler frees its state, and the check above sees that.
TEST(TlsLibrary, IsCleanedUpAtExitByDefault) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(use_tls_and_exit(false), ::testing::ExitedWithCode(3), "");
}

}  // namespace
}  // namespace keyd::adapters
