#pragma once
// Getting a deep job's reference orbits to every rank: rank 0 reads them back from the unfinished
// job's OUT.h5.reference, or computes them (MPFR, with progress lines) and saves them beside the
// journal and into the output file; then every rank receives them by broadcast.
#include <mpi.h>

#include <cstdio>
#include <string>

#include "fractal/deep/deep_job.hpp"

namespace fractal {

class JobOutput;

struct ReferenceTiming {
  double seconds = 0;      // rank 0: reading or computing the orbits (not the broadcast)
  double save_s = 0;       // rank 0: writing them to /reference (and OUT.h5.reference when computed)
  double broadcast_s = 0;  // every rank: the broadcast
  bool from_file = false;  // read back from OUT.h5.reference (a resumed job)
  std::string note;        // why a stored orbit was not used, or ""
};

// Collective over comm. out: rank 0's JobOutput (null on the other ranks). Progress lines go to
// `log` (rank 0) every progress_interval_s seconds while an orbit is computed.
ReferenceTiming setup_references(deep::DeepJob& job, JobOutput* out, double progress_interval_s, std::FILE* log,
                                 MPI_Comm comm);

}  // namespace fractal
