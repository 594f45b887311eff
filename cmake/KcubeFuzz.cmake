# Helpers of the fuzz build (KCUBE_FUZZ=ON, clang; tests/fuzz, tools/fuzz.sh).

# kcube_targets_in(DIR OUT): the targets defined in DIR and its subfolders.
function(kcube_targets_in dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    kcube_targets_in(${subdir} more)
    list(APPEND targets ${more})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

# kcube_fuzz_instrument(DIR): AddressSanitizer and UndefinedBehaviorSanitizer (every report
# fatal) and libFuzzer's coverage instrumentation on every library and executable of DIR and its
# subfolders, so that libkcube and the plugins the fuzz targets load are checked and guide the
# fuzzer like the targets' own code.
function(kcube_fuzz_instrument dir)
  set(sanitize -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  kcube_targets_in(${dir} targets)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type MATCHES "^(EXECUTABLE|SHARED_LIBRARY|MODULE_LIBRARY|STATIC_LIBRARY)$")
      target_compile_options(${target} PRIVATE ${sanitize} -fsanitize=fuzzer-no-link)
      target_link_options(${target} PRIVATE ${sanitize})
    endif()
  endforeach()
endfunction()
