# INTERFACE targets that carry compile options; every keyd target links them.
add_library(keyd_options INTERFACE)
target_compile_options(keyd_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough)
if(KEYD_WERROR)
  target_compile_options(keyd_options INTERFACE -Werror)
endif()
if(KEYD_SANITIZE)
  # Every check of both sanitizers but UBSan's `alignment` and `null`: those two put a static record
  # (source location, type) behind nearly every member access, and ASan then gives each record a
  # redzone and registers it at start. With them a test process or a keyd started in 0.7 s (132 MB
  # of .data, 4.8 million relocations, LSan scanning it all at exit), and the ASan stage of CI
  # starts about 2,000 of them. ASan still reports every null dereference (a SEGV with its stack);
  # misaligned access is harmless on x86-64. The fuzz build (clang, tests/fuzz) keeps both checks.
  # Executables are linked -no-pie: nothing to relocate at start (README, "Building by hand").
  target_compile_options(keyd_options INTERFACE
    -fsanitize=address,undefined -fno-sanitize=alignment,null -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(keyd_options INTERFACE -fsanitize=address,undefined
    $<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:-no-pie>)
endif()
if(KEYD_FUZZ)
  # libFuzzer's coverage instrumentation (the fuzz executables add the fuzzer's main, tests/fuzz) and
  # ASan+UBSan on every keyd library the fuzz targets link.
  target_compile_options(keyd_options INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(keyd_options INTERFACE -fsanitize=address,undefined)
endif()
# Clang before 19 implements what libstdc++ 12's <expected> needs (P0848, conditionally trivial special
# members: clang 16) but still reports __cpp_concepts 201907L, so libstdc++ hides std::expected.
# Clang 16 with the macro raised compiles keyd; clang 14 cannot (no P0848). See docs/fuzzing.md.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 16)
    message(FATAL_ERROR "keyd needs clang 16 or newer (std::expected with libstdc++); see docs/fuzzing.md")
  endif()
  if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 19)
    target_compile_options(keyd_options INTERFACE -U__cpp_concepts -D__cpp_concepts=202002L)
  endif()
endif()
target_compile_definitions(keyd_options INTERFACE KEYD_VERSION="${PROJECT_VERSION}")

# Add a keyd library from every .cpp in the calling directory.
function(keyd_layer name)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/*/*.cpp)
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(${name} PRIVATE keyd_options)
endfunction()
