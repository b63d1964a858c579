#pragma once
// Getting a deep job's reference orbits and BLA tables to every rank, once per node: rank 0 reads
// the orbits back from the unfinished job's OUT.h5.reference, or computes them (MPFR, with
// progress lines) and saves them beside the journal and into the output file. The values then live
// in one MPI shared-memory window per node (MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) +
// MPI_Win_allocate_shared): rank 0 broadcasts them to the first rank of every other node, and
// that rank derives the doubles and builds the BLA tables in its node's window; every rank of the
// node reads them there. 48 ranks on a node hold one copy, not 48.
#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "fractal/deep/deep_job.hpp"

namespace fractal {

class JobOutput;

struct ReferenceTiming {
  double seconds = 0;      // rank 0: reading or computing the orbits, gathered (not the broadcast)
  double save_s = 0;       // rank 0: writing them to /reference (and OUT.h5.reference when computed)
  double broadcast_s = 0;  // rank 0: sending them to the other nodes and deriving the doubles
  double bla_s = 0;        // rank 0: building the BLA tables (0 with --no-bla)
  bool from_file = false;  // read back from OUT.h5.reference (a resumed job)
  int compute_ranks = 1;   // the ranks that computed them at once (orbit k on rank k mod ranks)
  std::string note;        // why a stored orbit was not used, or ""
  std::uint64_t node_bytes = 0;  // the shared window of rank 0's node: orbits and tables
  int node_ranks = 1;            // the ranks of rank 0's node that share it
  int nodes = 1;
};

// The node's shared window; freed (collectively, before MPI_Finalize) when this is destroyed.
class DeepSharedMemory {
 public:
  DeepSharedMemory() = default;
  DeepSharedMemory(const DeepSharedMemory&) = delete;
  DeepSharedMemory& operator=(const DeepSharedMemory&) = delete;
  ~DeepSharedMemory();
  MPI_Win win = MPI_WIN_NULL;
  MPI_Comm node = MPI_COMM_NULL, leaders = MPI_COMM_NULL;
};

// Collective over comm. out: rank 0's JobOutput (null on the other ranks). Progress lines go to
// `log` (rank 0) every progress_interval_s seconds while an orbit is computed. On return every
// rank's job.orbits and job.bla_tables (when job.bla) view memory held by `memory`.
ReferenceTiming setup_references(deep::DeepJob& job, JobOutput* out, double progress_interval_s, std::FILE* log,
                                 MPI_Comm comm, DeepSharedMemory& memory);

}  // namespace fractal
