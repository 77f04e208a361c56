# INTERFACE targets that carry compile options; every keyd target links them.
add_library(keyd_options INTERFACE)
target_compile_options(keyd_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough)
if(KEYD_WERROR)
  target_compile_options(keyd_options INTERFACE -Werror)
endif()
if(KEYD_SANITIZE)
  target_compile_options(keyd_options INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(keyd_options INTERFACE -fsanitize=address,undefined)
endif()
target_compile_definitions(keyd_options INTERFACE KEYD_VERSION="${PROJECT_VERSION}")

# Add a keyd library from every .cpp in the calling directory.
function(keyd_layer name)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/*/*.cpp)
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(${name} PRIVATE keyd_options)
endfunction()
