# Multi-host test without Slurm (CTest label "multihost"): three hosts made of network namespaces
# on this machine (veth pairs on a bridge, 10.77.0.0/24), mpirun across them through an rsh agent
# that runs `ip netns exec`, Open MPI on TCP only; /counts identical to a single-host run. Every
# namespace, veth and bridge is removed on exit, also on failure. See tests/multihost/test-netns.sh.
# Needs root and iproute2 (`ip`); skipped (exit 77) without them or without netns/veth/bridge.
#   ctest -L multihost --output-on-failure      (about 5 s)
add_test(NAME multihost.netns
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/multihost/test-netns.sh
          --bin $<TARGET_FILE_DIR:fractal-render>
          --source ${PROJECT_SOURCE_DIR}
          --work ${CMAKE_CURRENT_BINARY_DIR}/multihost/netns)
set_tests_properties(multihost.netns PROPERTIES
  TIMEOUT 90
  LABELS multihost
  SKIP_RETURN_CODE 77)
