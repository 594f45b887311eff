# Writes the ctest file of one doctest executable (run after each build of it, in script mode):
#   cmake -D EXE=<test executable> -D PREFIX=<area> -D WORKDIR=<dir> -D OUT=<file>
#         -P doctest_ctest_file.cmake
# Each TEST_CASE becomes the ctest test "<area>:<case name>", run on its own through a
# --test-case filter, and labelled `unit`, or `slow` when the case is in doctest's test suite
# "slow" (`TEST_CASE("..." * doctest::test_suite("slow"))`); tests/README.md says which.
# Like doctest's own doctest_discover_tests(), a case name must not hold ';' (CMake would split
# it; test_main.cpp then fails the test as matching no case).
cmake_minimum_required(VERSION 3.22)  # as the project; IN_LIST needs CMP0057
foreach(var EXE PREFIX WORKDIR OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "doctest_ctest_file.cmake: -D ${var}=... is required")
  endif()
endforeach()

# list_cases(VAR ARGS...): the case names `EXE ARGS... --list-test-cases` prints.
function(list_cases var)
  execute_process(COMMAND "${EXE}" ${ARGN} --list-test-cases
    OUTPUT_VARIABLE output ERROR_VARIABLE errors RESULT_VARIABLE result WORKING_DIRECTORY "${WORKDIR}")
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "listing the test cases of ${EXE} failed (${result}):\n${output}${errors}")
  endif()
  string(REPLACE "\n" ";" lines "${output}")
  set(cases)
  foreach(line IN LISTS lines)
    if(line STREQUAL "" OR line MATCHES "^=+$" OR line MATCHES "^\\[doctest\\] ")
      continue()
    endif()
    list(APPEND cases "${line}")
  endforeach()
  set(${var} "${cases}" PARENT_SCOPE)
endfunction()

list_cases(all)
list_cases(slow --test-suite=slow)
set(script "")
foreach(name IN LISTS all)
  # doctest filters split at ',' and take '\,' for a comma.
  string(REPLACE "," "\\," filter "${name}")
  set(label unit)
  if(name IN_LIST slow)
    set(label slow)
  endif()
  string(APPEND script
    "add_test([==[${PREFIX}:${name}]==] [==[${EXE}]==] [==[--test-case=${filter}]==])\n"
    "set_tests_properties([==[${PREFIX}:${name}]==] PROPERTIES"
    " WORKING_DIRECTORY [==[${WORKDIR}]==] LABELS ${label})\n")
endforeach()
file(WRITE "${OUT}" "${script}")
