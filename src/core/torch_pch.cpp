// The translation unit of tinynas_torch_pch: it exists so that the build's one
// precompiled torch_compat.h has an owner (cmake/torch_pch.cmake).
