// The one loopback check, for URLs (http:// is allowed only to loopback) and bundle multiaddrs.
#include "keyd/common/address.hpp"

#include <gtest/gtest.h>

namespace keyd {
namespace {

TEST(Address, LoopbackHosts) {
  for (const char* host : {"localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host :
       {"", "127.0.0.1.example.com", "127.0.0.1x", "128.0.0.1", "[::2]", "::", "localhost.", "keyd", "0.0.0.0"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

TEST(Address, UrlHostKeepsBracketsAndStopsAtPortPathQueryFragment) {
  struct Case {
    const char* url;
    const char* host;
  };
  for (const Case& c : {Case{"http://127.0.0.1:8200", "127.0.0.1"}, Case{"http://[::1]:8750/v1", "[::1]"},
                        Case{"https://keyd.svc", "keyd.svc"}, Case{"http://localhost/", "localhost"},
                        Case{"http://localhost?x=1", "localhost"}, Case{"http://localhost#f", "localhost"},
                        Case{"http://[::1", ""}, Case{"keyd:8750", ""}, Case{"http://", ""}}) {
    EXPECT_EQ(url_host(c.url), c.host) << c.url;
  }
  EXPECT_TRUE(is_loopback_url("http://[::1]:8750/"));
  EXPECT_FALSE(is_loopback_url("http://127.0.0.1.evil.example:8750"));
}

TEST(Address, LoopbackMultiaddrs) {
  for (const char* addr : {"/ip4/127.0.0.1/tcp/5001", "/ip4/127.0.0.2/tcp/8080", "/ip6/::1/tcp/5001"}) {
    EXPECT_TRUE(multiaddr_is_loopback(addr)) << addr;
  }
  for (const char* addr : {"/ip4/0.0.0.0/tcp/5001", "/ip6/::/tcp/5001", "/ip6/::12/tcp/4001", "/dns4/localhost/tcp/1",
                           "/ip4/10.0.0.1/tcp/4001"}) {
    EXPECT_FALSE(multiaddr_is_loopback(addr)) << addr;
  }
}

}  // namespace
}  // namespace keyd
