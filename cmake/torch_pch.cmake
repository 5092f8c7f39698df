# One precompiled LibTorch header for the whole build.
#
# A PCH of torch_compat.h is about 540 MB and half a minute of one core. Attached to the
# tinynas_torch interface, every torch-facing target (25 of them) built its own copy:
# 14 GB of build tree, which filled a CI machine's disk. Instead, tinynas_torch_pch owns
# the one PCH and tinynas_share_torch_pch(), called once every target exists, makes every
# target that links tinynas_torch, directly or through a layer, reuse it. GCC refuses a
# PCH built with other flags (-Winvalid-pch says so); all our targets share the same ones.

# TRUE in `result` when `target` links tinynas_torch, directly or transitively.
function(_tinynas_links_torch target result)
  if(target STREQUAL "tinynas_torch")
    set(${result} TRUE PARENT_SCOPE)
    return()
  endif()
  get_target_property(type ${target} TYPE)
  get_target_property(libs ${target} INTERFACE_LINK_LIBRARIES)
  if(NOT type STREQUAL "INTERFACE_LIBRARY")
    get_target_property(own ${target} LINK_LIBRARIES)
    list(APPEND libs ${own})
  endif()
  foreach(lib IN LISTS libs)
    if(TARGET ${lib})
      get_target_property(imported ${lib} IMPORTED)
      if(NOT imported)
        _tinynas_links_torch(${lib} found)
        if(found)
          set(${result} TRUE PARENT_SCOPE)
          return()
        endif()
      endif()
    endif()
  endforeach()
  set(${result} FALSE PARENT_SCOPE)
endfunction()

# Every buildable target defined in `dir` and the directories below it.
function(_tinynas_targets_below dir result)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    _tinynas_targets_below(${sub} below)
    list(APPEND targets ${below})
  endforeach()
  set(${result} ${targets} PARENT_SCOPE)
endfunction()

function(tinynas_share_torch_pch)
  _tinynas_targets_below(${PROJECT_SOURCE_DIR} targets)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(target STREQUAL "tinynas_torch_pch" OR NOT type MATCHES "LIBRARY|EXECUTABLE"
       OR type STREQUAL "INTERFACE_LIBRARY")
      continue()
    endif()
    _tinynas_links_torch(${target} uses_torch)
    if(uses_torch)
      target_precompile_headers(${target} REUSE_FROM tinynas_torch_pch)
    endif()
  endforeach()
endfunction()
