# LibTorch and the Python that tests use.
#
# HIGGS_PYTHON is the interpreter of the project venv (.venv/, made by scripts/setup.sh from
# scripts/requirements.txt). Its torch wheel carries the whole C++ LibTorch (headers, libtorch_cuda,
# c10d with Gloo and NCCL, the CMake package), so the build and the tests' Python peers use one
# LibTorch. A user may instead point Torch_DIR or CMAKE_PREFIX_PATH at any other LibTorch (the
# official zip); the venv then serves only the tests' Python peers.
# 2.9: the device-generic allocator statistics (at::accelerator::getDeviceStats) the CUDA memory
# figures use; 2.11.0 is the version scripts/requirements.txt pins and CI builds with.
set(HIGGS_MIN_TORCH_VERSION 2.9)

if(EXISTS "${PROJECT_SOURCE_DIR}/.venv/bin/python")
  set(_higgs_default_python "${PROJECT_SOURCE_DIR}/.venv/bin/python")
else()
  find_program(_higgs_default_python NAMES python3 python)
endif()
set(HIGGS_PYTHON "${_higgs_default_python}" CACHE FILEPATH
    "Python with the pinned torch and the test peers (scripts/requirements.txt)")

if(NOT Torch_DIR AND NOT DEFINED ENV{Torch_DIR} AND HIGGS_PYTHON)
  execute_process(
    COMMAND "${HIGGS_PYTHON}" -c "import torch.utils; print(torch.utils.cmake_prefix_path)"
    OUTPUT_VARIABLE _higgs_torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _higgs_torch_rc ERROR_QUIET)
  if(_higgs_torch_rc EQUAL 0 AND _higgs_torch_prefix)
    list(APPEND CMAKE_PREFIX_PATH "${_higgs_torch_prefix}")
  endif()
endif()

# A CUDA LibTorch looks for the CUDA toolkit; the usual place, unless the user named one.
if(NOT DEFINED CUDAToolkit_ROOT AND NOT DEFINED ENV{CUDA_HOME} AND EXISTS /usr/local/cuda/bin/nvcc)
  set(CUDAToolkit_ROOT /usr/local/cuda)
  set(CUDA_TOOLKIT_ROOT_DIR /usr/local/cuda)
endif()

find_package(Torch REQUIRED)
if(Torch_VERSION VERSION_LESS HIGGS_MIN_TORCH_VERSION)
  message(FATAL_ERROR "higgs-train needs LibTorch ${HIGGS_MIN_TORCH_VERSION} or later; found "
          "${Torch_VERSION} at ${Torch_DIR}. Run scripts/setup.sh (pip torch in .venv/) or set "
          "Torch_DIR to a newer LibTorch.")
endif()
# Where libtorch*.so live: installed binaries keep it in their RUNPATH.
get_filename_component(HIGGS_TORCH_LIBDIR "${TORCH_LIBRARY}" DIRECTORY)
if(TARGET torch_cuda)
  set(HIGGS_WITH_CUDA ON)
else()
  set(HIGGS_WITH_CUDA OFF)
endif()
message(STATUS "higgs-train: LibTorch ${Torch_VERSION} (${Torch_DIR}), CUDA ${HIGGS_WITH_CUDA}, "
               "Python ${HIGGS_PYTHON}")

# PyPI's LibTorch exports copies of libstdc++'s std::filesystem functions that it links
# statically (pytorch/pytorch#133437). The dynamic linker binds a symbol to the first library of
# the lookup order that defines it, and libtorch.so comes before libstdc++.so.6 there, so our
# std::filesystem calls ran torch's copies, which crash (remove_all jumped to address 0). Naming
# libstdc++ first on every link line puts it first in the order. Consumers of the installed
# framework (plugins' executables) get the same option through higgs_framework.
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang" AND CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(HIGGS_LIBSTDCXX_FIRST "LINKER:--push-state,--no-as-needed,-lstdc++,--pop-state")
  add_link_options("${HIGGS_LIBSTDCXX_FIRST}")
endif()
