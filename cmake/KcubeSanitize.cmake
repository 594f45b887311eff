# KCUBE_SANITIZE: the sanitizers of a checking build, as for -fsanitize= ("address,undefined" or
# "thread"; empty for none). tools/sanitize.sh configures build-asan/ and build-tsan/ with it.
#
# kcube_target_sanitize(<target> <PUBLIC|PRIVATE>) puts the flags on one target. libkcube takes
# them PUBLIC, so everything that links it gets them: the CLI, the tests, the built-in and
# fixture plugins, and, through the installed package's kcube::kcube, the out-of-tree plugins and
# programs of tests/sdk. That is needed, not only tidy: a program loading an instrumented
# libkcube must itself link the sanitizer runtime (GCC's libasan must come first in the initial
# library list; clang links the runtime into executables only).
set(KCUBE_SANITIZE "" CACHE STRING
  "Sanitizers for a checking build, as for -fsanitize= (address,undefined or thread); empty for none")

if(KCUBE_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "KCUBE_SANITIZE needs GCC or Clang, not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(KCUBE_SANITIZE MATCHES "thread" AND KCUBE_SANITIZE MATCHES "address")
    message(FATAL_ERROR "KCUBE_SANITIZE: thread and address sanitizers cannot be combined")
  endif()
  # No recovery: the first report fails the test. Frame pointers give full stacks cheaply.
  set(KCUBE_SANITIZE_FLAGS -fsanitize=${KCUBE_SANITIZE} -fno-sanitize-recover=all
    -fno-omit-frame-pointer)
  message(STATUS "kcube: sanitizers ${KCUBE_SANITIZE}")
endif()

function(kcube_target_sanitize target scope)
  if(KCUBE_SANITIZE)
    target_compile_options(${target} ${scope} ${KCUBE_SANITIZE_FLAGS})
    target_link_options(${target} ${scope} ${KCUBE_SANITIZE_FLAGS})
  endif()
endfunction()
