// cpp-httplib as a system header (its code is not warning-free under keyd's flags), with the
// options Debian's compiled library was built with (the header must agree with them). Included by
// the tests' in-process HTTP(S) servers and clients (keyd's own server does not use it).
#pragma once
#pragma GCC system_header

#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#endif
#include <httplib.h>
