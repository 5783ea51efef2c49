# `cmake --install` puts the framework and components libraries, their headers and a CMake package
# in place so that out-of-tree plugins can `find_package(HiggsTrain)` and link
# HiggsTrain::higgs_framework (the registry, options, trainer interfaces) and, to reuse a built-in
# part (ChatML, LoRA, audio I/O, ...), HiggsTrain::higgs_components.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
install(TARGETS higgs_framework higgs_components EXPORT HiggsTrainTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS higgs-run RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS higgs_spm_shim LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY framework/ DESTINATION include/higgs-train/framework FILES_MATCHING PATTERN "*.h")
install(DIRECTORY components/ DESTINATION include/higgs-train/components
  FILES_MATCHING PATTERN "*.h" PATTERN "spm_shim" EXCLUDE)
install(DIRECTORY recipes/ DESTINATION ${CMAKE_INSTALL_DATADIR}/higgs-train/recipes)
if(HIGGS_FMT_SHIM)  # plugins see the system fmt that spdlog links, not LibTorch's (HiggsTorch.cmake)
  install(CODE "file(MAKE_DIRECTORY \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/include/higgs-train/system-fmt\")
    file(CREATE_LINK \"${HIGGS_SYSTEM_FMT_DIR}/fmt\"
      \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/include/higgs-train/system-fmt/fmt\" SYMBOLIC)")
endif()
install(EXPORT HiggsTrainTargets NAMESPACE HiggsTrain::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/HiggsTrain)
configure_package_config_file(cmake/HiggsTrainConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/HiggsTrainConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/HiggsTrain)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/HiggsTrainConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/HiggsTrainConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/HiggsTrainConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/HiggsTrain)
