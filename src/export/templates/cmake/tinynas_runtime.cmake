# The tinynas runtime that the exported models of one build share: included by this
# project's CMakeLists.txt and by its Zephyr glue (zephyr/CMakeLists.txt). Every exported
# project ships a copy of this file.
#
# tinynas_runtime_claim(<model> <runtime dir> <sources var>)
#   Fingerprints the runtime in <runtime dir> (the name and SHA-256 of each *.c and *.h).
#   The first model of a build claims the runtime: <sources var> is set to its C sources,
#   for the caller to build as the library tinynas_runtime. For every later model it is set
#   empty (link the library the first one defined) when its runtime is the same, and the
#   configuration stops with an error naming both directories when it differs: one copy
#   links into the firmware, and a model's data is in its own runtime's format.
#   The first runtime is kept in the global properties TINYNAS_RUNTIME_HASH and
#   TINYNAS_RUNTIME_DIR.
function(tinynas_runtime_claim model runtime_dir sources_var)
  file(GLOB files CONFIGURE_DEPENDS ${runtime_dir}/*.c ${runtime_dir}/*.h)
  set(hash "")
  foreach(f ${files})
    file(SHA256 ${f} h)
    get_filename_component(n ${f} NAME)
    string(APPEND hash "${n}:${h};")
  endforeach()
  string(SHA256 hash "${hash}")
  get_property(claimed GLOBAL PROPERTY TINYNAS_RUNTIME_HASH)
  if("${claimed}" STREQUAL "")
    set_property(GLOBAL PROPERTY TINYNAS_RUNTIME_HASH ${hash})
    set_property(GLOBAL PROPERTY TINYNAS_RUNTIME_DIR ${runtime_dir})
    list(FILTER files INCLUDE REGEX "\\.c$")
    set(${sources_var} ${files} PARENT_SCOPE)
    return()
  endif()
  if(NOT claimed STREQUAL hash)
    get_property(first_dir GLOBAL PROPERTY TINYNAS_RUNTIME_DIR)
    message(FATAL_ERROR "tinynas model ${model}: its runtime (${runtime_dir}) differs from the one "
                        "already in this build (${first_dir}); export all models with the same "
                        "tinynas")
  endif()
  set(${sources_var} "" PARENT_SCOPE)
endfunction()
