# Fuzzing (issue #5; CTest labels "fuzz" and "fuzz-long"). Included from tests/CMakeLists.txt.
#
#   fuzz_config       100,000 random/mutated configs and argv vectors through parse_config, built
#                     with AddressSanitizer + UBSan: only success or a one-line UsageError.
#   fuzz_hdf5_seeds   fixture: tiny renders plus structured damage (make_hdf5_seeds.py, h5py).
#   fuzz_hdf5_quick   500 corrupted fractal-render files through the reader and colouring (ASan).
#   fuzz_hdf5_full    10,000 of them (label fuzz-long: not in the default run).
# tests/fuzz/README.md has the details and the HDF5 1.10 bugs the campaign meets.
#
# The sanitizer builds compile the project's own sources again (not the libraries), so `all`
# stays fast to link and the Release libraries stay uninstrumented (~20 s of compiling on 2 cores).
set(FRACTAL_SANITIZE_FLAGS -fsanitize=address,undefined -fsanitize=float-cast-overflow
    -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1 -UNDEBUG)

# ---- config parser ------------------------------------------------------------------------------
# Plain build against fractal_core (the code users run) ...
add_executable(config_fuzz fuzz/config_fuzz.cpp)
target_link_libraries(config_fuzz PRIVATE fractal_core)
# ... and the sanitized one, from the same sources as fractal_core's config parts.
# Every source parse_config needs (keep in step with src/config/config.cpp's includes).
set(FRACTAL_CONFIG_SOURCES ${PROJECT_SOURCE_DIR}/src/config/config.cpp ${PROJECT_SOURCE_DIR}/src/config/parse.cpp
    ${PROJECT_SOURCE_DIR}/src/kernel/family.cpp ${PROJECT_SOURCE_DIR}/src/config/keyframes.cpp
    ${PROJECT_SOURCE_DIR}/src/config/decimal.cpp ${PROJECT_SOURCE_DIR}/src/config/location.cpp
    ${PROJECT_SOURCE_DIR}/src/deep/deep_job.cpp ${PROJECT_SOURCE_DIR}/src/deep/zoom_path.cpp ${PROJECT_SOURCE_DIR}/src/deep/key_path.cpp ${PROJECT_SOURCE_DIR}/src/deep/reference.cpp
    ${PROJECT_SOURCE_DIR}/src/deep/bla.cpp)
add_executable(config_fuzz_asan fuzz/config_fuzz.cpp ${FRACTAL_CONFIG_SOURCES})
target_include_directories(config_fuzz_asan PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/generated)
target_compile_options(config_fuzz_asan PRIVATE ${FRACTAL_SANITIZE_FLAGS})
target_link_options(config_fuzz_asan PRIVATE -fsanitize=address,undefined)
target_link_libraries(config_fuzz_asan PRIVATE fractal_flags Boost::program_options PkgConfig::MPFR OpenMP::OpenMP_CXX)
add_test(NAME fuzz_config
  COMMAND config_fuzz_asan --cases 100000 --jobs 2 --configs ${PROJECT_SOURCE_DIR}/configs --case-limit 10)
set_tests_properties(fuzz_config PROPERTIES LABELS fuzz TIMEOUT 150)

# ---- HDF5 input -----------------------------------------------------------------------------
# Sanitized: the reader and the colouring compiled again with ASan/UBSan (libhdf5 itself is not
# instrumented, but ASan's interceptors still check its memcpy/memset/str* and its mallocs).
set(FRACTAL_FUZZ_READER_SOURCES
  ${PROJECT_SOURCE_DIR}/src/colour/reader.cpp
  ${PROJECT_SOURCE_DIR}/src/colour/colormap.cpp
  ${PROJECT_SOURCE_DIR}/src/colour/colormap_tables.cpp
  ${PROJECT_SOURCE_DIR}/src/colour/normalize.cpp
  ${PROJECT_SOURCE_DIR}/src/colour/image.cpp
  ${PROJECT_SOURCE_DIR}/src/output/chunk_codec.cpp)
add_executable(hdf5_fuzz_asan fuzz/hdf5_fuzz.cpp ${FRACTAL_FUZZ_READER_SOURCES})
target_include_directories(hdf5_fuzz_asan PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/generated
                           ${PROJECT_SOURCE_DIR}/src)
target_compile_options(hdf5_fuzz_asan PRIVATE ${FRACTAL_SANITIZE_FLAGS})
target_link_options(hdf5_fuzz_asan PRIVATE -fsanitize=address,undefined)
target_link_libraries(hdf5_fuzz_asan PRIVATE fractal_flags HDF5::HDF5 MPI::MPI_CXX PNG::PNG OpenMP::OpenMP_CXX
                      PkgConfig::LIBDEFLATE)
# Plain, against the library fractal-colour links (faster; for long campaigns by hand).
add_executable(hdf5_fuzz fuzz/hdf5_fuzz.cpp)
target_link_libraries(hdf5_fuzz PRIVATE fractal_colour_lib)

# Seed files: tiny renders from the real fractal-render plus structured damage made with h5py.
set(FRACTAL_FUZZ_SEEDS ${CMAKE_CURRENT_BINARY_DIR}/fuzz/hdf5_seeds)
add_test(NAME fuzz_hdf5_seeds
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/make_hdf5_seeds.py $<TARGET_FILE:fractal-render> ${FRACTAL_FUZZ_SEEDS})
set_tests_properties(fuzz_hdf5_seeds PROPERTIES LABELS fuzz TIMEOUT 120 FIXTURES_SETUP fuzz_hdf5_seeds
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;PYTHONDONTWRITEBYTECODE=1")
set(FRACTAL_FUZZ_ENV "OMP_NUM_THREADS=1;OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
add_test(NAME fuzz_hdf5_quick
  COMMAND hdf5_fuzz_asan --seeds ${FRACTAL_FUZZ_SEEDS} --cases 500 --jobs 2 --rss-limit-mb 512
          --save ${CMAKE_CURRENT_BINARY_DIR}/fuzz/hdf5_failures_quick)
set_tests_properties(fuzz_hdf5_quick PROPERTIES LABELS fuzz TIMEOUT 120 FIXTURES_REQUIRED fuzz_hdf5_seeds
  ENVIRONMENT "${FRACTAL_FUZZ_ENV}")
add_test(NAME fuzz_hdf5_full
  COMMAND hdf5_fuzz_asan --seeds ${FRACTAL_FUZZ_SEEDS} --cases 10000 --jobs 2 --rss-limit-mb 512 --seed 7
          --save ${CMAKE_CURRENT_BINARY_DIR}/fuzz/hdf5_failures_full)
set_tests_properties(fuzz_hdf5_full PROPERTIES LABELS fuzz-long TIMEOUT 600 FIXTURES_REQUIRED fuzz_hdf5_seeds
  ENVIRONMENT "${FRACTAL_FUZZ_ENV}")

# ---- optional: libFuzzer ------------------------------------------------------------------------
# Coverage-guided fuzzing of the same config decoding with clang's libFuzzer, when clang++ is
# installed (not a dependency; not built by `all`, not a test):
#   cmake --build BUILD --target config_fuzz_libfuzzer
#   BUILD/tests/config_fuzz_libfuzzer -max_total_time=300 -max_len=4096 CORPUS_DIR configs/
find_program(FRACTAL_CLANGXX NAMES clang++ clang++-16 clang++-15 clang++-14)
if(FRACTAL_CLANGXX)
  set(_lf ${CMAKE_CURRENT_BINARY_DIR}/config_fuzz_libfuzzer)
  add_custom_command(OUTPUT ${_lf}
    COMMAND ${FRACTAL_CLANGXX} -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -DFRACTAL_LIBFUZZER
            -I${PROJECT_SOURCE_DIR}/include -I${PROJECT_BINARY_DIR}/generated
            ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/config_fuzz.cpp ${FRACTAL_CONFIG_SOURCES}
            $<TARGET_FILE:Boost::program_options> -o ${_lf}
    DEPENDS fuzz/config_fuzz.cpp fuzz/fuzz_common.hpp ${FRACTAL_CONFIG_SOURCES}
    COMMENT "Building config_fuzz_libfuzzer with ${FRACTAL_CLANGXX}"
    VERBATIM)
  add_custom_target(config_fuzz_libfuzzer DEPENDS ${_lf})
endif()
