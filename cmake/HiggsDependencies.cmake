# Every third-party package higgs-train uses: LibTorch from PyPI's torch wheel in the project venv
# (or any LibTorch >= 2.9 named by Torch_DIR / CMAKE_PREFIX_PATH), the rest from Debian 12
# (scripts/setup.sh installs both; scripts/gpu_bundle.sh unpacks them into a prefix for machines
# without them, found through CMAKE_PREFIX_PATH and PKG_CONFIG_PATH).
include(HiggsTorch)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)

# LibTorch bundles fmt 12 headers in its include directory, which comes first on the include path;
# Debian's spdlog is compiled against Debian's fmt 9 (libfmt.so.9). Code that includes spdlog must
# see the fmt it links, so that fmt is put in front through a directory holding only a link to it
# (a system include directory given with -I breaks libstdc++'s #include_next).
if(TARGET fmt::fmt)
  get_target_property(_higgs_fmt_include fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
  find_path(HIGGS_SYSTEM_FMT_DIR fmt/format.h HINTS ${_higgs_fmt_include} NO_DEFAULT_PATH)
endif()
if(HIGGS_SYSTEM_FMT_DIR)
  set(HIGGS_FMT_SHIM "${CMAKE_BINARY_DIR}/system-fmt")
  file(MAKE_DIRECTORY "${HIGGS_FMT_SHIM}")
  file(CREATE_LINK "${HIGGS_SYSTEM_FMT_DIR}/fmt" "${HIGGS_FMT_SHIM}/fmt" SYMBOLIC)
  include_directories(BEFORE "${HIGGS_FMT_SHIM}")
endif()
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(doctest REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SPM REQUIRED IMPORTED_TARGET sentencepiece)
pkg_check_modules(SNDFILE REQUIRED IMPORTED_TARGET sndfile)
pkg_check_modules(SOXR REQUIRED IMPORTED_TARGET soxr)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
# Unicode NFC for Qwen2/Qwen3 tokenizer.json files (the Higgs Audio v3 text tokenizer).
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc)
# The asr scorer's speech recognition (Debian's libpocketsphinx-dev; its model pocketsphinx-en-us).
pkg_check_modules(POCKETSPHINX REQUIRED pocketsphinx)
# Jsonnet ships no CMake or pkg-config file.
find_library(JSONNETPP_LIB jsonnet++ REQUIRED)
find_library(JSONNET_LIB jsonnet REQUIRED)
find_path(JSONNET_INCLUDE_DIR libjsonnet++.h REQUIRED)
include_directories(SYSTEM "${JSONNET_INCLUDE_DIR}")
