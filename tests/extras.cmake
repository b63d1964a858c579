# Smooth/distance data, supersampling and their use in fractal-colour (issue 7; CTest label
# "extras"). Render side under mpirun (follows tests/e2e.cmake), colour side with the real
# fractal-colour. Run: ctest -L extras --output-on-failure
function(fractal_extras_test name script timeout)
  add_test(NAME extras.${name}
    COMMAND "${FRACTAL_E2E_PYTHON}" "${CMAKE_CURRENT_SOURCE_DIR}/extras/${script}"
            --bin "$<TARGET_FILE:fractal-render>"
            --mpiexec "${MPIEXEC_EXECUTABLE}"
            --work "${CMAKE_CURRENT_BINARY_DIR}/extras/${name}"
            --source "${PROJECT_SOURCE_DIR}"
            --colour "$<TARGET_FILE:fractal-colour>")
  set_tests_properties(extras.${name} PROPERTIES
    TIMEOUT ${timeout}
    LABELS "extras;e2e"
    SKIP_RETURN_CODE 77
    ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;PYTHONDONTWRITEBYTECODE=1")
endfunction()

fractal_extras_test(datasets datasets.py 180)  # /smooth,/distance: layout, counts unchanged, ranks, kill -9 + resume; supersample
fractal_extras_test(colour   colour.py   120)  # default downscale, mean of samples, --norm smooth, --boundary, errors, --info
