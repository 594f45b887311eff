# kcube_add_plugin(NAME <kebab-name> KIND <model-profile|scenario|optimizer|aggregator>
#                  SOURCES <src>... [LINK_LIBRARIES <lib>...] [OUTPUT_DIRECTORY <dir>])
#
# Builds one kcube plugin: a MODULE library named kcube-<kind>-<name>.so that exports its
# descriptor through KCUBE_EXPORT_PLUGIN. Works inside the kcube tree and, after
# find_package(kcube), in any outside project. Out of tree the library lands in
# OUTPUT_DIRECTORY (default: the current binary dir); point KCUBE_PLUGIN_PATH or
# `kcube --plugin-path` there.
function(kcube_add_plugin)
  cmake_parse_arguments(ARG "" "NAME;KIND;OUTPUT_DIRECTORY" "SOURCES;LINK_LIBRARIES" ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_KIND OR NOT ARG_SOURCES)
    message(FATAL_ERROR "kcube_add_plugin: NAME, KIND and SOURCES are required")
  endif()
  if(NOT ARG_KIND MATCHES "^(model-profile|scenario|optimizer|aggregator)$")
    message(FATAL_ERROR "kcube_add_plugin(${ARG_NAME}): KIND '${ARG_KIND}' is not one of "
                        "model-profile, scenario, optimizer, aggregator")
  endif()
  if(NOT ARG_NAME MATCHES "^[a-z0-9]+(-[a-z0-9]+)*$")
    message(FATAL_ERROR "kcube_add_plugin: NAME '${ARG_NAME}' must be kebab-case "
                        "(lower-case letters and digits separated by single hyphens)")
  endif()

  set(target kcube-${ARG_KIND}-${ARG_NAME})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE kcube::kcube ${ARG_LINK_LIBRARIES})
  target_compile_features(${target} PRIVATE cxx_std_20)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  kcube_target_warnings(${target})

  if(KCUBE_IN_TREE)
    set_target_properties(${target} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib/${KCUBE_PLUGIN_SUBDIR})
    install(TARGETS ${target} LIBRARY DESTINATION ${KCUBE_PLUGIN_INSTALL_DIR})
  elseif(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
endfunction()
