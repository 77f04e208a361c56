# KEYD_PORTABLE: one keyd binary that needs nothing at run time (a static-pie: glibc is linked in as
# well), so it runs on other Linux distributions and in an image that holds only it, and starts
# without any dynamic loader work (docs/performance.md). Linked statically: glibc, libstdc++ and
# libgcc, OpenSSL (libssl.a, libcrypto.a), libsodium.a and libyaml-cpp.a from Debian; built from
# Debian's source packages by scripts/build-static-deps.sh: a libcurl with only HTTP(S) over OpenSSL
# (Debian's libcurl.a needs GSSAPI, which has no archive, and LDAP, nghttp2, idn2, psl, ...) and the
# compiled parts of fmt and spdlog (Debian ships them only as shared libraries). Unused sections are
# dropped, symbols stripped.
#
# keyd's own sources compile exactly as in the release preset (same headers, same definitions), so
# ccache serves the portable build from a release build; only the link differs.
set(KEYD_DEPS_DIR "${PROJECT_SOURCE_DIR}/build/deps" CACHE PATH
    "Static dependencies for KEYD_PORTABLE (scripts/build-static-deps.sh fills it if empty)")
file(GLOB fmt_source_dirs "${KEYD_DEPS_DIR}/src/fmtlib-*")
file(GLOB spdlog_source_dirs "${KEYD_DEPS_DIR}/src/spdlog-*")
if(NOT EXISTS "${KEYD_DEPS_DIR}/curl/lib/libcurl.a" OR NOT fmt_source_dirs OR NOT spdlog_source_dirs)
  message(STATUS "KEYD_PORTABLE: building the static dependencies into ${KEYD_DEPS_DIR} (a few minutes, once)")
  execute_process(COMMAND "${PROJECT_SOURCE_DIR}/scripts/build-static-deps.sh" "${KEYD_DEPS_DIR}"
                  RESULT_VARIABLE deps_result)
  if(NOT deps_result EQUAL 0)
    message(FATAL_ERROR "scripts/build-static-deps.sh failed; run it by hand to see why")
  endif()
  file(GLOB fmt_source_dirs "${KEYD_DEPS_DIR}/src/fmtlib-*")
  file(GLOB spdlog_source_dirs "${KEYD_DEPS_DIR}/src/spdlog-*")
endif()
list(GET fmt_source_dirs 0 fmt_source_dir)
list(GET spdlog_source_dirs 0 spdlog_source_dir)

# A build directory configured before without KEYD_PORTABLE has the shared libraries in its cache,
# which FindOpenSSL would keep (the binary then needed libssl.so.3): look for the archives again.
foreach(cached OPENSSL_SSL_LIBRARY OPENSSL_CRYPTO_LIBRARY)
  if(DEFINED CACHE{${cached}} AND NOT "${${cached}}" MATCHES "\\.a$")
    unset(${cached} CACHE)
  endif()
endforeach()
set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)

# fmt and spdlog: Debian's headers (the same version as the sources), their .cpp files compiled here.
# The definitions are those of Debian's CMake targets, so keyd's objects are the release build's.
add_library(keyd_fmt_static STATIC ${fmt_source_dir}/src/format.cc ${fmt_source_dir}/src/os.cc)
target_compile_definitions(keyd_fmt_static PRIVATE FMT_SHARED)
target_compile_options(keyd_fmt_static PRIVATE -ffunction-sections -fdata-sections)
add_library(fmt::fmt INTERFACE IMPORTED)
set_target_properties(fmt::fmt PROPERTIES
  INTERFACE_COMPILE_DEFINITIONS "FMT_SHARED" INTERFACE_LINK_LIBRARIES keyd_fmt_static)
add_library(keyd_spdlog_static STATIC
  ${spdlog_source_dir}/src/spdlog.cpp ${spdlog_source_dir}/src/stdout_sinks.cpp
  ${spdlog_source_dir}/src/color_sinks.cpp ${spdlog_source_dir}/src/file_sinks.cpp
  ${spdlog_source_dir}/src/async.cpp ${spdlog_source_dir}/src/cfg.cpp)
target_compile_definitions(keyd_spdlog_static PRIVATE SPDLOG_SHARED_LIB SPDLOG_COMPILED_LIB SPDLOG_FMT_EXTERNAL FMT_SHARED)
target_compile_options(keyd_spdlog_static PRIVATE -ffunction-sections -fdata-sections)
target_link_libraries(keyd_spdlog_static PRIVATE keyd_fmt_static Threads::Threads)
add_library(spdlog::spdlog INTERFACE IMPORTED)
set_target_properties(spdlog::spdlog PROPERTIES
  INTERFACE_COMPILE_DEFINITIONS "SPDLOG_SHARED_LIB;SPDLOG_COMPILED_LIB;SPDLOG_FMT_EXTERNAL"
  INTERFACE_LINK_LIBRARIES "keyd_spdlog_static;Threads::Threads;fmt::fmt")

# curl: Debian's headers (libcurl4-openssl-dev, the same 7.88.1), the archive built above.
add_library(CURL::libcurl STATIC IMPORTED)
set_target_properties(CURL::libcurl PROPERTIES
  IMPORTED_LOCATION "${KEYD_DEPS_DIR}/curl/lib/libcurl.a"
  INTERFACE_LINK_LIBRARIES "OpenSSL::SSL;OpenSSL::Crypto;Threads::Threads")

find_library(KEYD_YAML_CPP_ARCHIVE libyaml-cpp.a REQUIRED)
add_library(yaml-cpp STATIC IMPORTED)
set_target_properties(yaml-cpp PROPERTIES IMPORTED_LOCATION "${KEYD_YAML_CPP_ARCHIVE}")
find_library(KEYD_SODIUM_ARCHIVE libsodium.a REQUIRED)
add_library(PkgConfig::SODIUM STATIC IMPORTED)
set_target_properties(PkgConfig::SODIUM PROPERTIES
  IMPORTED_LOCATION "${KEYD_SODIUM_ARCHIVE}" INTERFACE_LINK_LIBRARIES Threads::Threads)

# A static position-independent executable: glibc too is linked in (libc.a), so nothing is loaded at
# start and the kernel's address-space randomisation still applies to all of it. glibc's name service
# in a static program: keyd/cli/static_glibc.cpp limits it to the built-in `files` and `dns` sources
# (the audit actor from /etc/passwd, host names from /etc/hosts and DNS); other sources named in
# /etc/nsswitch.conf (systemd, sss, ldap) are shared modules that would bring the system's shared libc
# in beside this one (docs/install.md). The linker warns about getpwuid_r, getaddrinfo and dlopen.
# Relative relocations are packed (DT_RELR): the table glibc reads at start is 8 KiB instead of 580 KiB.
include(CheckLinkerFlag)
check_linker_flag(CXX "-Wl,-z,pack-relative-relocs" KEYD_LINKER_HAS_RELR)
add_library(keyd_portable_link INTERFACE)
target_link_options(keyd_portable_link INTERFACE
  -static-pie -Wl,--gc-sections -Wl,--as-needed -Wl,-O1 -s
  $<$<BOOL:${KEYD_LINKER_HAS_RELR}>:-Wl,-z,pack-relative-relocs>)
# The code keyd's common runs execute is linked together ahead of the rest of .text, in the order
# scripts/hot-text.sh found (cmake/hot-text.ld, a linker script fragment that only adds an output
# section before .text): the kernel maps text 64 KiB or more around each page that runs, so scattered
# hot code made most of the binary resident (docs/performance.md).
set(KEYD_HOT_TEXT "${PROJECT_SOURCE_DIR}/cmake/hot-text.ld")
target_link_options(keyd_portable_link INTERFACE "-Wl,-T,${KEYD_HOT_TEXT}")
# keyd/cli/static_pie_start.cpp: the entry point that pre-faults the writable segment (x86-64 only).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(KEYD_STATIC_PIE_START ON)
endif()
