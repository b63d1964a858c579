# Keyframed animations end to end (label e2e; docs/ANIMATION.md): a keyframed job rendered with
# mpirun -np 2 stores per-frame bounds, c, max_iter and rotation equal, bit for bit, to an
# independent Python implementation of docs/ANIMATION.md; the example configs
# (configs/anim-*.cfg) render as --preview and their stored plans match the same model.
add_test(NAME e2e.anim_stored_plan
  COMMAND "${FRACTAL_E2E_PYTHON}" "${CMAKE_CURRENT_SOURCE_DIR}/anim/stored_plan.py"
          --bin "$<TARGET_FILE:fractal-render>" --mpiexec "${MPIEXEC_EXECUTABLE}"
          --work "${CMAKE_CURRENT_BINARY_DIR}/e2e/anim_stored_plan" --source "${PROJECT_SOURCE_DIR}")
set_tests_properties(e2e.anim_stored_plan PROPERTIES TIMEOUT 180 LABELS e2e SKIP_RETURN_CODE 77
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;PYTHONDONTWRITEBYTECODE=1")
