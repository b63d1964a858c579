# Slurm job kit tests (CTest label "slurm"): jobs/slurm/ on a real one-node Slurm that each test
# starts itself (tests/slurm/start-slurm.sh: munged, slurmctld, slurmd from Debian's packages
# slurmctld slurmd slurm-client munge) and stops by the PIDs it recorded, also on failure.
# Needs root; skipped (exit 77) without root or without the packages. Each cluster listens on free
# ports of its own, so other build trees' test clusters do not disturb it; within this tree the
# tests share <build>/tests/slurm/cluster and hold RESOURCE_LOCK fractal_slurm_cluster.
#   ctest -L slurm --output-on-failure        (all together: about 2 minutes on 2 cores)
# Included from tests/CMakeLists.txt; uses the fractal-render and fractal-colour targets.

set(_fractal_slurm_dir ${CMAKE_CURRENT_SOURCE_DIR}/slurm)
set(_fractal_slurm_work ${CMAKE_CURRENT_BINARY_DIR}/slurm)

# fractal_slurm_test(NAME SCRIPT TIMEOUT_S): scratch dir <build>/tests/slurm/NAME, the cluster's
# files in <build>/tests/slurm/cluster.
function(fractal_slurm_test name script timeout)
  add_test(NAME slurm.${name}
    COMMAND bash ${_fractal_slurm_dir}/${script}
            --bin $<TARGET_FILE_DIR:fractal-render>
            --source ${PROJECT_SOURCE_DIR}
            --work ${_fractal_slurm_work}/${name}
            --cluster ${_fractal_slurm_work}/cluster
            --timeout ${timeout})
  set_tests_properties(slurm.${name} PROPERTIES
    TIMEOUT ${timeout}
    LABELS slurm
    SKIP_RETURN_CODE 77
    RESOURCE_LOCK fractal_slurm_cluster)
endfunction()

# Static checks of jobs/slurm/ (no Slurm, no root): syntax, shellcheck, shared block, headers.
add_test(NAME slurm.scripts COMMAND bash ${_fractal_slurm_dir}/check-scripts.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(slurm.scripts PROPERTIES TIMEOUT 60 LABELS slurm)

fractal_slurm_test(submit      test-submit.sh       90)  # submit.sh quick.cfg: counts == mpirun; afterok MP4 ok
fractal_slurm_test(timelimit   test-timelimit.sh   180)  # --time=1 + USR1: checkpoint, requeue, resume, same counts
set_tests_properties(slurm.timelimit PROPERTIES RUN_SERIAL TRUE)  # its timing assumes a quiet machine
fractal_slurm_test(badconfig   test-badconfig.sh    60)  # bad config: fails fast, one error line, exit 2, colour cancelled
fractal_slurm_test(still_array test-still-array.sh  90)  # still.sh PNG; array.sh one task per config
