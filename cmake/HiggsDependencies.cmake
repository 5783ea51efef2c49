# Every third-party package higgs-train uses: LibTorch from PyPI's torch wheel in the project venv
# (or any LibTorch >= 2.4 named by Torch_DIR / CMAKE_PREFIX_PATH), the rest from Debian 12
# (scripts/setup.sh installs both).
include(HiggsTorch)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(doctest REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SPM REQUIRED IMPORTED_TARGET sentencepiece)
pkg_check_modules(SNDFILE REQUIRED IMPORTED_TARGET sndfile)
pkg_check_modules(SOXR REQUIRED IMPORTED_TARGET soxr)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
# Jsonnet ships no CMake or pkg-config file.
find_library(JSONNETPP_LIB jsonnet++ REQUIRED)
find_library(JSONNET_LIB jsonnet REQUIRED)
