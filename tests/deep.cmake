# Deep-zoom tests (CTest labels "deep" and "deep-long"): fractal-render's perturbation path judged by
# tools/deep_check (fractal-deep-check, direct MPFR iteration) and from the outside with Python
# (numpy + h5py). Run: ctest -L '^deep$' --output-on-failure (about 3 minutes on 2 cores; -L is a
# regular expression, so a plain -L deep also runs deep-long); ctest -L deep-long: 5e227 and 1e1086
# at their full iteration counts (several minutes).
# Included from tests/CMakeLists.txt after e2e.cmake (FRACTAL_E2E_PYTHON, MPIEXEC_EXECUTABLE).
add_test(NAME deep.check_selftest COMMAND "${FRACTAL_E2E_PYTHON}" "${CMAKE_CURRENT_SOURCE_DIR}/deep/check_selftest.py" --checker "$<TARGET_FILE:fractal-deep-check>" --work "${CMAKE_CURRENT_BINARY_DIR}/deep/check_selftest")
set_tests_properties(deep.check_selftest PROPERTIES TIMEOUT 120 LABELS deep SKIP_RETURN_CODE 77 ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")

# fractal_deep_test(CASE TIMEOUT_S [LABEL]): one case of tests/deep/deep_e2e.py, scratch dir
# <build>/tests/deep/CASE. Exit 77 = skipped (no numpy/h5py).
function(fractal_deep_test case timeout)
  set(label deep)
  if(ARGC GREATER 2)
    set(label ${ARGV2})
  endif()
  add_test(NAME deep.${case}
    COMMAND "${FRACTAL_E2E_PYTHON}" "${CMAKE_CURRENT_SOURCE_DIR}/deep/deep_e2e.py"
            --bin "$<TARGET_FILE:fractal-render>"
            --mpiexec "${MPIEXEC_EXECUTABLE}"
            --work "${CMAKE_CURRENT_BINARY_DIR}/deep/${case}"
            --source "${PROJECT_SOURCE_DIR}"
            --checker "$<TARGET_FILE:fractal-deep-check>"
            --colour "$<TARGET_FILE:fractal-colour>"
            --case ${case})
  set_tests_properties(deep.${case} PROPERTIES
    TIMEOUT ${timeout}
    LABELS ${label}
    SKIP_RETURN_CODE 77
    ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;PYTHONDONTWRITEBYTECODE=1;PYTHONUNBUFFERED=1")
endfunction()

fractal_deep_test(accuracy_1e14                 60)   # 128x128, 400 samples exact (double deltas)
fractal_deep_test(accuracy_5e113                180)   # 128x128, 200 samples exact
fractal_deep_test(accuracy_1e50                240)   # 48x48, 80 samples exact (263010 iterations)
fractal_deep_test(accuracy_4e533               300)   # 48x48, 60 samples exact (extended-exponent deltas)
fractal_deep_test(accuracy_julia                120)   # Julia c=-0.8+0.156i at 1e-40 and 1e-320, every pixel
fractal_deep_test(accuracy_supersample_rotation 180)   # 1e14 --supersample 2; 5e113 --rotation 30
fractal_deep_test(invariance                   240)   # -np 1x1, 3x2, 2x1: identical counts and hash
fractal_deep_test(resume                       180)   # SIGUSR1, OUT.h5.reference reused; damaged -> recomputed
fractal_deep_test(bad_input                     120)   # refused deep options: exit 2, one line, no files
fractal_deep_test(print_config                  120)   # 1e1086 texts round trip; config == --location
fractal_deep_test(smooth                        120)   # /smooth of a deep view vs counts and gmpy2
fractal_deep_test(distance                      300)   # /distance (pixel spacings) vs MPFR derivative; --boundary
fractal_deep_test(bla                           600)   # BLA vs --no-bla: identical fraction; differing pixels judged by the checker
fractal_deep_test(zoom                         300)   # deep zoom 4 -> 5e113: per-frame views and budgets, one reference; checker; = the end still; np/kernel invariance; Julia across 2^-960
fractal_deep_test(keys                         240)   # deep --key paths: 4 -> 5e113 through a prefix key (one reference), two deep places (two); checker; = the end still; np/kernel; --print-config
fractal_deep_test(accuracy_long               1800 deep-long)  # 5e227, 1e1086 at 48x48, 24 samples each
