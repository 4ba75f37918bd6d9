# vigil_component(): one static library per src/<folder>, the unit of layering (docs/architecture.md).
#
#   vigil_component(media
#     DEPS core                          # components whose internal headers and symbols it uses
#     LIBS PkgConfig::PNG ${GIF_LIB}     # third-party libraries used only inside its .cpp files
#     PUBLIC_LIBS nlohmann_json::nlohmann_json)  # third-party types in its internal headers
#
# Include rule: a component's sources see include/vigil/ (the public API), their own headers as
# "media/x.h", and the internal headers of the components named in DEPS, nothing else. Each
# component publishes a directory holding one entry, a symlink <name> -> src/<name>, so
# `#include "video/x.h"` from a component that does not depend on video is "file not found": an
# upward (or any undeclared) include fails the build. DEPS are PRIVATE: they are not passed on
# to the component's own dependents, except those listed in PUBLIC_DEPS (components whose headers
# its internal headers include).
#
# The dependency graph must follow the layers of docs/architecture.md; tests/unit/layers checks
# that an undeclared include does not compile.

set(VIGIL_COMPONENT_INCLUDE_ROOT ${PROJECT_BINARY_DIR}/component-include)
set_property(GLOBAL PROPERTY VIGIL_COMPONENTS "")

function(vigil_component name)
  cmake_parse_arguments(ARG "" "" "DEPS;PUBLIC_DEPS;LIBS;PUBLIC_LIBS" ${ARGN})
  set(dir ${PROJECT_SOURCE_DIR}/src/${name})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${dir}/*.cpp)
  set(target vigil_${name})
  if(sources)
    add_library(${target} STATIC ${sources})
    set(scope PUBLIC)
    set(private PRIVATE)
  else()  # header-only component
    add_library(${target} INTERFACE)
    set(scope INTERFACE)
    set(private INTERFACE)
  endif()

  # <root>/<name>/<name> -> src/<name>: the one folder this component exposes.
  set(root ${VIGIL_COMPONENT_INCLUDE_ROOT}/${name})
  file(MAKE_DIRECTORY ${root})
  if(NOT EXISTS ${root}/${name})
    file(CREATE_LINK ${dir} ${root}/${name} SYMBOLIC)
  endif()
  target_include_directories(${target} ${scope} ${root} ${PROJECT_SOURCE_DIR}/include)

  foreach(dep ${ARG_DEPS})
    target_link_libraries(${target} ${private} vigil_${dep})
  endforeach()
  foreach(dep ${ARG_PUBLIC_DEPS})
    target_link_libraries(${target} ${scope} vigil_${dep})
  endforeach()
  if(ARG_LIBS)
    target_link_libraries(${target} ${private} ${ARG_LIBS})
  endif()
  if(ARG_PUBLIC_LIBS)
    target_link_libraries(${target} ${scope} ${ARG_PUBLIC_LIBS})
  endif()
  if(sources)
    target_link_libraries(${target} PUBLIC Threads::Threads)
    target_compile_options(${target} PRIVATE -Wall -Wextra)
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON
                          OUTPUT_NAME vigil_${name})
  endif()
  set_property(GLOBAL APPEND PROPERTY VIGIL_COMPONENTS ${name})
endfunction()

# Fails the configuration when a folder under src/ has no vigil_component() (so its sources would
# silently not be built).
function(vigil_check_components)
  get_property(declared GLOBAL PROPERTY VIGIL_COMPONENTS)
  file(GLOB entries RELATIVE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/src/*)
  foreach(entry ${entries})
    if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/src/${entry} AND NOT entry IN_LIST declared)
      message(FATAL_ERROR "src/${entry}/ is not a component: add src/${entry}/CMakeLists.txt with "
              "vigil_component(${entry} DEPS ...) and add_subdirectory(${entry}) in src/CMakeLists.txt "
              "(see cmake/VigilComponent.cmake and the layers in docs/architecture.md)")
    endif()
  endforeach()
endfunction()
