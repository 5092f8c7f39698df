# Finds XGBoost's C API (the accuracy predictor, src/nas/xgboost_model.cpp) and defines the
# imported target XGBoost::xgboost, with XGBoost_VERSION from version_config.h.
#
# Not Debian's own CMake config: its XGBoostTargets.cmake also imports the `xgboost`
# executable (/usr/bin/xgboost, another package) and stops with an error when that file is
# missing; and its xgboost.pc names /usr/lib instead of the multiarch directory. The
# header and the library are all we need.
find_path(XGBOOST_INCLUDE_DIR xgboost/c_api.h)
find_library(XGBOOST_LIBRARY NAMES xgboost)

if(XGBOOST_INCLUDE_DIR AND EXISTS "${XGBOOST_INCLUDE_DIR}/xgboost/version_config.h")
  file(STRINGS "${XGBOOST_INCLUDE_DIR}/xgboost/version_config.h" _xgb_version_lines
       REGEX "#define XGBOOST_VER_(MAJOR|MINOR|PATCH) ")
  foreach(_part MAJOR MINOR PATCH)
    string(REGEX REPLACE ".*#define XGBOOST_VER_${_part} ([0-9]+).*" "\\1" _xgb_${_part} "${_xgb_version_lines}")
  endforeach()
  set(XGBoost_VERSION "${_xgb_MAJOR}.${_xgb_MINOR}.${_xgb_PATCH}")
endif()

if(NOT XGBOOST_INCLUDE_DIR OR NOT XGBOOST_LIBRARY)
  message(FATAL_ERROR "XGBoost C API not found (xgboost/c_api.h and libxgboost): on Debian "
                      "install libxgboost-dev (tools/setup.sh does)")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(XGBoost
  REQUIRED_VARS XGBOOST_LIBRARY XGBOOST_INCLUDE_DIR
  VERSION_VAR XGBoost_VERSION)

if(NOT TARGET XGBoost::xgboost)
  add_library(XGBoost::xgboost UNKNOWN IMPORTED)
  set_target_properties(XGBoost::xgboost PROPERTIES
    IMPORTED_LOCATION "${XGBOOST_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${XGBOOST_INCLUDE_DIR}")
endif()
mark_as_advanced(XGBOOST_INCLUDE_DIR XGBOOST_LIBRARY)
