// setup_references (deep_setup.hpp).
#include "fractal/run/deep_setup.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "fractal/output/job_output.hpp"

namespace fractal {

namespace {

// Broadcasts one orbit's values from rank 0, in pieces whose element count fits an int.
void broadcast_orbit(deep::ReferenceOrbit& o, MPI_Comm comm, int rank) {
  std::uint64_t head[2] = {o.length(), o.escaped ? 1u : 0u};
  MPI_Bcast(head, 2, MPI_UINT64_T, 0, comm);
  if (rank != 0) {
    o.zx.assign(head[0], {});
    o.escaped = head[1] != 0;
  }
  static_assert(sizeof(deep::CxExp) == 24, "CxExp is sent as raw bytes");
  auto* bytes = reinterpret_cast<unsigned char*>(o.zx.data());
  const std::size_t total = o.zx.size() * sizeof(deep::CxExp);
  constexpr std::size_t kPiece = std::size_t{1} << 30;  // bytes: an int count
  for (std::size_t at = 0; at < total; at += kPiece)
    MPI_Bcast(bytes + at, static_cast<int>(std::min(kPiece, total - at)), MPI_BYTE, 0, comm);
  if (rank != 0) o.derive_doubles();
}

}  // namespace

ReferenceTiming setup_references(deep::DeepJob& job, JobOutput* out, double progress_interval_s, std::FILE* log,
                                 MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  ReferenceTiming t;
  job.orbits.assign(job.specs.size(), {});
  for (std::size_t k = 0; k < job.specs.size(); ++k) job.orbits[k].spec = job.specs[k];
  if (rank == 0) {
    const double t0 = omp_get_wtime();
    std::string why;
    auto stored = out->stored_reference(job.specs, why);
    t.note = why;
    if (stored) {
      job.orbits = std::move(*stored);
      t.from_file = true;
    } else {
      for (std::size_t k = 0; k < job.specs.size(); ++k) {
        const deep::ReferenceSpec& s = job.specs[k];
        double next = omp_get_wtime() + progress_interval_s;
        const double start = omp_get_wtime();
        job.orbits[k] = deep::compute_reference(s, [&](std::uint64_t n) {
          const double now = omp_get_wtime();
          if (now < next) return;
          next = now + progress_interval_s;
          std::fprintf(log, "reference orbit %zu/%zu (%s): %llu of %u iterations (%.0f%%), %.1f s\n", k + 1,
                       job.specs.size(), job.roles[k].c_str(), static_cast<unsigned long long>(n), s.max_iter,
                       100.0 * static_cast<double>(n) / s.max_iter, now - start);
          std::fflush(log);
        });
      }
    }
    t.seconds = omp_get_wtime() - t0;
    const double s0 = omp_get_wtime();
    out->save_reference(job, !t.from_file);
    t.save_s = omp_get_wtime() - s0;
  }
  const double b0 = MPI_Wtime();
  for (deep::ReferenceOrbit& o : job.orbits) broadcast_orbit(o, comm, rank);
  t.broadcast_s = MPI_Wtime() - b0;
  return t;
}

}  // namespace fractal
