# One layering probe (a CTest, label unit): compiles `#include "<HEADER>"` with the include path
# and definitions of the component target vigil_<COMPONENT>, as its own sources are compiled, and
# checks the outcome:
#   EXPECT=compiles  the include is legal (the component declares that dependency) and compiles;
#   EXPECT=missing   the compiler stops with "<HEADER>: No such file or directory" (an undeclared,
#                    e.g. upward, include), and with no other error.
# The header must exist (src/ or include/), so a "missing" probe cannot pass because of a typo.
#   cmake -DCXX=c++ -DSOURCE_DIR=... -DWORK_DIR=... -DCOMPONENT=media -DHEADER=video/x.h
#         -DEXPECT=missing "-DINCLUDES=a|b" "-DDEFINES=X=1|Y" -P check_include.cmake
foreach(var CXX SOURCE_DIR WORK_DIR COMPONENT HEADER EXPECT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_include.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT EXISTS ${SOURCE_DIR}/src/${HEADER} AND NOT EXISTS ${SOURCE_DIR}/include/${HEADER})
  message(FATAL_ERROR "probe header ${HEADER} is in neither src/ nor include/: the probe would prove nothing")
endif()

string(REPLACE "|" ";" includes "${INCLUDES}")
string(REPLACE "|" ";" defines "${DEFINES}")
set(args -std=c++17 -fsyntax-only)
foreach(dir ${includes})
  list(APPEND args -I${dir})
endforeach()
foreach(def ${defines})
  list(APPEND args -D${def})
endforeach()

string(MAKE_C_IDENTIFIER "${COMPONENT}_${HEADER}" probe_name)
file(MAKE_DIRECTORY ${WORK_DIR})
set(probe ${WORK_DIR}/${probe_name}.cpp)
file(WRITE ${probe} "// Layering probe: ${COMPONENT} includes ${HEADER}.\n#include \"${HEADER}\"\n")
execute_process(COMMAND ${CXX} ${args} ${probe} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)

if(EXPECT STREQUAL "compiles")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${COMPONENT} should be able to include ${HEADER}, but it fails:\n${err}")
  endif()
  message(STATUS "ok: ${COMPONENT} includes ${HEADER}")
elseif(EXPECT STREQUAL "missing")
  if(rc EQUAL 0)
    message(FATAL_ERROR "${COMPONENT} includes ${HEADER} although it does not depend on its component: "
            "the layering is not enforced")
  endif()
  string(FIND "${err}" "${HEADER}: No such file or directory" at)
  string(REGEX MATCHALL "error:" errors "${err}")
  list(LENGTH errors error_count)
  if(at EQUAL -1 OR NOT error_count EQUAL 1)
    message(FATAL_ERROR "expected exactly one error, \"${HEADER}: No such file or directory\"; got:\n${err}")
  endif()
  message(STATUS "ok: ${COMPONENT} cannot include ${HEADER} (not found)")
else()
  message(FATAL_ERROR "EXPECT must be compiles or missing, not '${EXPECT}'")
endif()
