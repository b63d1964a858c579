# Families (burning ship, tricorn, multibrot d) and rotated views, end to end (label e2e):
# -np 3 best kernel == -np 1 scalar, and sampled pixels recomputed independently with exact fma.
add_test(NAME e2e.families
  COMMAND "${FRACTAL_E2E_PYTHON}" "${CMAKE_CURRENT_SOURCE_DIR}/families/families_e2e.py"
          --bin "$<TARGET_FILE:fractal-render>" --mpiexec "${MPIEXEC_EXECUTABLE}"
          --work "${CMAKE_CURRENT_BINARY_DIR}/e2e/families" --source "${PROJECT_SOURCE_DIR}")
set_tests_properties(e2e.families PROPERTIES TIMEOUT 240 LABELS e2e SKIP_RETURN_CODE 77
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;PYTHONDONTWRITEBYTECODE=1")
