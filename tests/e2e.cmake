# End-to-end tests of fractal-render (CTest label "e2e"): the real binary under mpirun, checked from
# the outside with Python (numpy + h5py) and h5dump. Run: ctest -L e2e --output-on-failure
# Included from tests/CMakeLists.txt; needs the fractal-render target and find_package(MPI).
if(EXISTS /usr/bin/python3)
  set(_fractal_e2e_python /usr/bin/python3)  # Debian's, with python3-numpy and python3-h5py
else()
  find_package(Python3 COMPONENTS Interpreter)
  set(_fractal_e2e_python "${Python3_EXECUTABLE}")
endif()
set(FRACTAL_E2E_PYTHON "${_fractal_e2e_python}" CACHE FILEPATH "Python 3 with numpy and h5py for the e2e tests")
find_program(FRACTAL_H5DUMP h5dump)
set(_fractal_e2e_h5dump "")
if(FRACTAL_H5DUMP)
  set(_fractal_e2e_h5dump "${FRACTAL_H5DUMP}")
endif()

# fractal_e2e_test(NAME SCRIPT TIMEOUT_S): one script of tests/e2e/ (or, given as DIR/FILE.py, of
# tests/DIR/), scratch dir <build>/tests/e2e/NAME. Exit 77 = skipped (e.g. no h5py).
function(fractal_e2e_test name script timeout)
  if(NOT script MATCHES "/")
    set(script "e2e/${script}")
  endif()
  add_test(NAME e2e.${name}
    COMMAND "${FRACTAL_E2E_PYTHON}" "${CMAKE_CURRENT_SOURCE_DIR}/${script}"
            --bin "$<TARGET_FILE:fractal-render>"
            --mpiexec "${MPIEXEC_EXECUTABLE}"
            --work "${CMAKE_CURRENT_BINARY_DIR}/e2e/${name}"
            --source "${PROJECT_SOURCE_DIR}"
            --h5dump "${_fractal_e2e_h5dump}")
  set_tests_properties(e2e.${name} PROPERTIES
    TIMEOUT ${timeout}
    LABELS e2e
    SKIP_RETURN_CODE 77
    ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;PYTHONDONTWRITEBYTECODE=1")
endfunction()

fractal_e2e_test(invariance        invariance.py        150)  # -np 1..4 x threads 1..2 x kernels: same counts/hash
fractal_e2e_test(many_ranks        many_ranks.py        180)  # configs/quick.cfg at -np 48 == -np 1
fractal_e2e_test(binding           binding.py            90)  # more threads than bound cores: one warning
fractal_e2e_test(file_layout       file_layout.py        90)  # h5dump + h5py: names, types, chunks, filters
fractal_e2e_test(recompute         recompute.py         180)  # independent exact recompute of sampled pixels
fractal_e2e_test(bad_input         bad_input.py         240)  # every numeric option x bad values; exit codes
fractal_e2e_test(help_print_config help_print_config.py 120)  # --help; --print-config round trip
fractal_e2e_test(overwrite_atomic  overwrite_atomic.py  180)  # --overwrite; file appears only when complete
