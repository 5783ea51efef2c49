# Backends of framework/distributed/communicator.cpp: c10d's Gloo (CPU; needs the Gloo headers,
# libgloo-dev on Debian: the wheel ships none) and NCCL (CUDA builds of LibTorch; nccl.h from the
# wheel's nvidia-nccl package or the CUDA toolkit). c10d's headers are guarded by
# USE_C10D_GLOO / USE_C10D_NCCL, which LibTorch's CMake config does not export, so they are set
# here, only on that file. Without a backend, multi-process runs stop with a clear error.
option(HIGGS_WITH_GLOO "Multi-process training on CPU with c10d Gloo when its headers are found" ON)
option(HIGGS_WITH_NCCL "Multi-process training on CUDA with c10d NCCL when LibTorch has CUDA" ON)

set(_higgs_c10d_include "")
foreach(_dir ${TORCH_INCLUDE_DIRS})
  if(EXISTS "${_dir}/torch/csrc/distributed/c10d/ProcessGroup.hpp")
    set(_higgs_c10d_include "${_dir}")
  endif()
endforeach()

set(_higgs_dist_defs "")
set(_higgs_dist_includes "")
set(HIGGS_DIST_BACKENDS "")
if(HIGGS_WITH_GLOO AND _higgs_c10d_include)
  find_path(HIGGS_GLOO_INCLUDE_DIR gloo/context.h HINTS ${TORCH_INCLUDE_DIRS})
  if(HIGGS_GLOO_INCLUDE_DIR)
    list(APPEND _higgs_dist_defs USE_C10D_GLOO)
    list(APPEND _higgs_dist_includes ${HIGGS_GLOO_INCLUDE_DIR})
    list(APPEND HIGGS_DIST_BACKENDS gloo)
  endif()
endif()
if(HIGGS_WITH_NCCL AND _higgs_c10d_include AND TARGET torch_cuda
   AND EXISTS "${_higgs_c10d_include}/torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp")
  # The torch wheel's NCCL (nvidia-nccl-cu13, beside torch in site-packages), then the toolkit's.
  find_path(HIGGS_NCCL_INCLUDE_DIR nccl.h
            HINTS "${TORCH_INSTALL_PREFIX}/../nvidia/nccl/include" ${TORCH_INCLUDE_DIRS}
                  ENV NCCL_HOME ENV CUDA_HOME ${CUDAToolkit_ROOT}
            PATH_SUFFIXES include)
  if(HIGGS_NCCL_INCLUDE_DIR)
    list(APPEND _higgs_dist_defs USE_C10D_NCCL)
    list(APPEND _higgs_dist_includes ${HIGGS_NCCL_INCLUDE_DIR})
    list(APPEND HIGGS_DIST_BACKENDS nccl)
  endif()
endif()

if(HIGGS_DIST_BACKENDS)
  message(STATUS "higgs-train distributed backends: ${HIGGS_DIST_BACKENDS}")
else()
  message(STATUS "higgs-train distributed backends: none (install libgloo-dev for multi-process "
                 "CPU training); runs with WORLD_SIZE > 1 will stop with an error")
endif()
# A system include directory given with -I breaks libstdc++'s #include_next.
list(REMOVE_ITEM _higgs_dist_includes /usr/include /usr/local/include)
set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/framework/distributed/communicator.cpp
  PROPERTIES COMPILE_DEFINITIONS "${_higgs_dist_defs}" INCLUDE_DIRECTORIES "${_higgs_dist_includes}")
