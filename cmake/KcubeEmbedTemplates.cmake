# The plugin templates of `kcube new-plugin`, embedded into the CLI: a CMake script run at build
# time (framework/CMakeLists.txt) as
#   cmake -D TEMPLATE_DIR=<framework/templates> -D FILES=<kind>/<file>;... -D VERSION=<major.minor>
#         -D OUT=<header> -P KcubeEmbedTemplates.cmake
# It writes OUT, a C++ header holding each file's text as a raw string literal, in the order of
# FILES, so that an installed kcube needs no template files beside it. The templates are real
# plugin projects (tests/sdk/CMakeLists.txt builds and tests them): it checks that each one asks
# for this kcube's minor VERSION, which is what `new-plugin` then writes, and that what the
# kinds' files repeat agrees (below).
cmake_policy(VERSION 3.22)

foreach(var IN ITEMS TEMPLATE_DIR FILES VERSION OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "KcubeEmbedTemplates.cmake: -D ${var}=... is missing")
  endif()
endforeach()

# The raw string delimiter; no template may contain it.
set(delimiter "kcube_template")
string(CONCAT text "// Generated from framework/templates/ by cmake/KcubeEmbedTemplates.cmake when kcube is\n"
                   "// built: edit the templates, not this file.\n"
                   "#pragma once\n\n#include <string_view>\n\n"
                   "namespace kcube::cli::templates {\n\n"
                   "/// One file of a plugin template, framework/templates/<kind>/<path>.\n"
                   "struct File {\n"
                   "  /// The plugin kind, as `kcube new-plugin --kind` spells it.\n"
                   "  std::string_view kind;\n"
                   "  /// The file's path inside the template folder.\n"
                   "  std::string_view path;\n"
                   "  /// Its text, naming the template plugin example-<kind>, class Example<Kind>.\n"
                   "  std::string_view text;\n"
                   "};\n\n"
                   "/// Every template file, grouped by kind, in the order new-plugin lists them.\n"
                   "inline constexpr File kFiles[] = {\n")
foreach(file IN LISTS FILES)
  set(path ${TEMPLATE_DIR}/${file})
  file(READ ${path} content)
  string(FIND "${content}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${path} contains ')${delimiter}\"', which ends the raw string literal "
                        "it is embedded as; change the delimiter in ${CMAKE_CURRENT_LIST_FILE}")
  endif()
  get_filename_component(name ${file} NAME)
  if(name STREQUAL "CMakeLists.txt")
    set(wanted "find_package(kcube ${VERSION} REQUIRED)")
  elseif(name STREQUAL "README.md")
    set(wanted "(${VERSION}.x)")
  else()
    set(wanted "")
  endif()
  if(wanted)
    string(FIND "${content}" "${wanted}" found)
    if(found EQUAL -1)
      message(FATAL_ERROR "${path} does not say '${wanted}': the kcube version it names must be "
                          "the minor version of this kcube (${VERSION}); update it")
    endif()
  endif()
  string(REGEX REPLACE "/.*" "" kind ${file})
  string(REGEX REPLACE "^[^/]*/" "" inner ${file})
  string(APPEND text "    {\"${kind}\", \"${inner}\", R\"${delimiter}(${content})${delimiter}\"},\n")
endforeach()
string(APPEND text "};\n\n}  // namespace kcube::cli::templates\n")

# Every file of a template folder is embedded. What the kinds' files say again, checked to
# agree: each kind's summary (in its source, its
# describe test and its README), and the part of CMakeLists.txt up to the describe test, the
# same in every kind but for the plugin's name, kind and summary.
set(kinds ${FILES})
list(TRANSFORM kinds REPLACE "/.*" "")
list(REMOVE_DUPLICATES kinds)
foreach(kind IN LISTS kinds)
  set(dir ${TEMPLATE_DIR}/${kind})
  file(GLOB present RELATIVE ${TEMPLATE_DIR} ${dir}/*)
  foreach(file IN LISTS present)
    if(NOT file IN_LIST FILES)
      message(FATAL_ERROR "${TEMPLATE_DIR}/${file} is not embedded: add it to the template files "
                          "in framework/CMakeLists.txt (and its role to cli/cmd_new_plugin.cpp)")
    endif()
  endforeach()
  file(READ ${dir}/example-${kind}.cpp source)
  if(NOT source MATCHES "\\.summary =[ \n]*\"([^\"]*)\"")
    message(FATAL_ERROR "${dir}/example-${kind}.cpp: no '.summary = \"...\"' in its descriptor")
  endif()
  set(summary "${CMAKE_MATCH_1}")
  file(READ ${dir}/CMakeLists.txt cmake)
  file(READ ${dir}/README.md readme)
  string(FIND "${cmake}" "PASS_REGULAR_EXPRESSION \"${summary}\"" in_cmake)
  string(FIND "${readme}" "\n${summary}.\n" in_readme)
  if(in_cmake EQUAL -1 OR in_readme EQUAL -1)
    message(FATAL_ERROR "${dir}: the describe test in CMakeLists.txt and the first paragraph of "
                        "README.md must say the summary of example-${kind}.cpp, '${summary}'")
  endif()
  set(end_of_head "ENVIRONMENT_MODIFICATION \"KCUBE_PLUGIN_PATH=unset:\")\n")
  string(FIND "${cmake}" "${end_of_head}" end)
  string(SUBSTRING "${cmake}" 0 ${end} head)
  string(REPLACE "${summary}" "SUMMARY" head "${head}")
  string(REPLACE "example-${kind}" "NAME" head "${head}")
  string(REPLACE "${kind}" "KIND" head "${head}")
  if(NOT DEFINED first_head)
    set(first_head "${head}")
    set(first_kind ${kind})
  elseif(NOT head STREQUAL first_head)
    message(FATAL_ERROR "${dir}/CMakeLists.txt and ${TEMPLATE_DIR}/${first_kind}/CMakeLists.txt "
                        "differ before the end of the describe test in more than the plugin's "
                        "name, kind and summary: make the change in every kind")
  endif()
endforeach()

file(WRITE ${OUT} "${text}")
