// setup_references (deep_setup.hpp).
#include "fractal/run/deep_setup.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "fractal/output/job_output.hpp"

namespace fractal {

namespace {

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI call failed: ") + what);
}

// Broadcasts `bytes` bytes at p from rank 0 of comm, in pieces whose count fits an int.
void broadcast_bytes(void* p, std::size_t bytes, MPI_Comm comm) {
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  auto* b = static_cast<unsigned char*>(p);
  for (std::size_t at = 0; at < bytes; at += kPiece)
    check(MPI_Bcast(b + at, static_cast<int>(std::min(kPiece, bytes - at)), MPI_BYTE, 0, comm), "broadcast orbit");
}

// Point-to-point `bytes` bytes at p (tag), in pieces whose count fits an int.
void send_bytes(const void* p, std::size_t bytes, int to, int tag, MPI_Comm comm) {
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  const auto* b = static_cast<const unsigned char*>(p);
  for (std::size_t at = 0; at < bytes; at += kPiece)
    check(MPI_Send(b + at, static_cast<int>(std::min(kPiece, bytes - at)), MPI_BYTE, to, tag, comm), "send an orbit");
}
void recv_bytes(void* p, std::size_t bytes, int from, int tag, MPI_Comm comm) {
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  auto* b = static_cast<unsigned char*>(p);
  for (std::size_t at = 0; at < bytes; at += kPiece)
    check(MPI_Recv(b + at, static_cast<int>(std::min(kPiece, bytes - at)), MPI_BYTE, from, tag, comm, MPI_STATUS_IGNORE),
          "receive an orbit");
}

constexpr std::size_t align64(std::size_t n) { return (n + 63) & ~std::size_t{63}; }

// Where each orbit's values and each table's steps lie in the window (byte offsets).
struct Layout {
  std::vector<std::size_t> zx, z, table;  // [orbits]
  std::vector<deep::BlaTable> shapes;     // [orbits] when BLA: levels, offsets, counts
  std::size_t total = 0;
};

Layout plan_layout(const std::vector<std::uint64_t>& lengths, bool bla, bool extended) {
  Layout l;
  for (const std::uint64_t n : lengths) {
    l.zx.push_back(l.total);
    l.total = align64(l.total + n * sizeof(deep::CxExp));
    l.z.push_back(l.total);
    l.total = align64(l.total + n * 2 * sizeof(double));
  }
  for (const std::uint64_t n : lengths) {
    l.table.push_back(l.total);
    if (!bla) continue;
    l.shapes.push_back(deep::bla_shape(n));
    l.total = align64(l.total + l.shapes.back().steps() * (extended ? sizeof(deep::BlaStepX) : sizeof(deep::BlaStepD)));
  }
  return l;
}

}  // namespace

DeepSharedMemory::~DeepSharedMemory() {
  if (win != MPI_WIN_NULL) {
    MPI_Win_unlock_all(win);
    MPI_Win_free(&win);
  }
  if (leaders != MPI_COMM_NULL) MPI_Comm_free(&leaders);
  if (node != MPI_COMM_NULL) MPI_Comm_free(&node);
}

ReferenceTiming setup_references(deep::DeepJob& job, JobOutput* out, double progress_interval_s, std::FILE* log,
                                 MPI_Comm comm, DeepSharedMemory& memory) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  ReferenceTiming t;
  job.orbits.assign(job.specs.size(), {});
  for (std::size_t k = 0; k < job.specs.size(); ++k) job.orbits[k].spec = job.specs[k];

  // 1. The orbits: read back by rank 0, or computed, orbit k by rank k mod size (MPFR iterates one
  //    orbit on one core: a Julia job's two orbits, or a keyframed path's references, take the
  //    time of the longest instead of their sum), gathered on rank 0 and saved there.
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const std::size_t K0 = job.specs.size();
  const double t0 = omp_get_wtime();
  int stored_flag = 0;
  if (rank == 0) {
    std::string why;
    auto stored = out->stored_reference(job.specs, why);
    t.note = why;
    if (stored) {
      job.orbits = std::move(*stored);
      t.from_file = true;
      stored_flag = 1;
    }
  }
  check(MPI_Bcast(&stored_flag, 1, MPI_INT, 0, comm), "broadcast whether the orbits were stored");
  if (!stored_flag) {
    const auto owner = [&](std::size_t k) { return static_cast<int>(k % static_cast<std::size_t>(ranks)); };
    for (std::size_t k = 0; k < K0; ++k) {
      if (owner(k) != rank) continue;
      const deep::ReferenceSpec& s = job.specs[k];
      double next = omp_get_wtime() + progress_interval_s;
      const double start = omp_get_wtime();
      job.orbits[k] = deep::compute_reference(s, [&](std::uint64_t n) {
        const double now = omp_get_wtime();
        if (rank != 0 || now < next) return;
        next = now + progress_interval_s;
        std::fprintf(log, "reference orbit %zu/%zu (%s): %llu of %u iterations (%.0f%%), %.1f s\n", k + 1,
                     job.specs.size(), job.roles[k].c_str(), static_cast<unsigned long long>(n), s.max_iter,
                     100.0 * static_cast<double>(n) / s.max_iter, now - start);
        std::fflush(log);
      });
    }
    // The other ranks' orbits to rank 0: length and escaped, then the values (tag = orbit index).
    for (std::size_t k = 0; k < K0; ++k) {
      const int from = owner(k);
      if (from == 0 || (rank != 0 && rank != from)) continue;
      const int tag = static_cast<int>(k);
      std::uint64_t head[2] = {0, 0};
      if (rank == from) {
        head[0] = job.orbits[k].length();
        head[1] = job.orbits[k].escaped ? 1 : 0;
        check(MPI_Send(head, 2, MPI_UINT64_T, 0, tag, comm), "send an orbit's length");
        send_bytes(job.orbits[k].zx.data(), head[0] * sizeof(deep::CxExp), 0, tag, comm);
        job.orbits[k] = {};  // rank 0 holds it from here; every rank gets it back through the window
        job.orbits[k].spec = job.specs[k];
      } else {
        check(MPI_Recv(head, 2, MPI_UINT64_T, from, tag, comm, MPI_STATUS_IGNORE), "receive an orbit's length");
        std::vector<deep::CxExp> v(head[0]);
        recv_bytes(v.data(), head[0] * sizeof(deep::CxExp), from, tag, comm);
        job.orbits[k].set_values(std::move(v));
        job.orbits[k].escaped = head[1] != 0;
      }
    }
    t.compute_ranks = static_cast<int>(std::min<std::size_t>(K0, static_cast<std::size_t>(ranks)));
  }
  if (rank == 0) {
    t.seconds = omp_get_wtime() - t0;
    const double s0 = omp_get_wtime();
    out->save_reference(job, !t.from_file);
    t.save_s = omp_get_wtime() - s0;
  }

  // 2. Every rank: the orbits' lengths, the nodes, the window.
  const std::size_t K = job.orbits.size();
  std::vector<std::uint64_t> head(2 * K);  // [orbits][length, escaped]
  if (rank == 0)
    for (std::size_t k = 0; k < K; ++k) head[2 * k] = job.orbits[k].length(), head[2 * k + 1] = job.orbits[k].escaped;
  check(MPI_Bcast(head.data(), static_cast<int>(head.size()), MPI_UINT64_T, 0, comm), "broadcast orbit lengths");
  std::vector<std::uint64_t> lengths(K);
  for (std::size_t k = 0; k < K; ++k) {
    lengths[k] = head[2 * k];
    job.orbits[k].escaped = head[2 * k + 1] != 0;
  }
  // Shared tables for a still; a deep zoom's frames build their own (DeepJob::prepare_frames).
  const bool shared_bla = job.bla && !job.per_frame_bla;
  const Layout lay = plan_layout(lengths, shared_bla, job.bla_extended());

  check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &memory.node), "split by node");
  int node_rank = 0, node_size = 1;
  MPI_Comm_rank(memory.node, &node_rank);
  MPI_Comm_size(memory.node, &node_size);
  const bool leader = node_rank == 0;
  check(MPI_Comm_split(comm, leader ? 0 : MPI_UNDEFINED, rank, &memory.leaders), "split leaders");
  void* mine = nullptr;
  check(MPI_Win_allocate_shared(static_cast<MPI_Aint>(leader ? std::max<std::size_t>(lay.total, 64) : 0), 1, MPI_INFO_NULL,
                                memory.node, &mine, &memory.win),
        "allocate the shared window");
  MPI_Aint size = 0;
  int disp = 1;
  unsigned char* base = nullptr;
  check(MPI_Win_shared_query(memory.win, 0, &size, &disp, &base), "query the shared window");
  check(MPI_Win_lock_all(MPI_MODE_NOCHECK, memory.win), "lock the shared window");

  // 3. Node leaders: the orbits from rank 0 into the window, their doubles, the BLA tables.
  const double b0 = MPI_Wtime();
  if (leader) {
    for (std::size_t k = 0; k < K; ++k) {
      auto* zx = reinterpret_cast<deep::CxExp*>(base + lay.zx[k]);
      if (rank == 0) std::memcpy(zx, job.orbits[k].zx.data(), lengths[k] * sizeof(deep::CxExp));
      broadcast_bytes(zx, lengths[k] * sizeof(deep::CxExp), memory.leaders);
      auto* z = reinterpret_cast<double*>(base + lay.z[k]);
      for (std::size_t n = 0; n < lengths[k]; ++n) deep::cx_to_double(zx[n], z[2 * n], z[2 * n + 1]);
      job.orbits[k].zx.view(zx, lengths[k]);
      job.orbits[k].z.view(z, 2 * lengths[k]);
    }
  }
  t.broadcast_s = MPI_Wtime() - b0;
  const double c0 = MPI_Wtime();
  if (leader && shared_bla) {
    for (std::size_t k = 0; k < K; ++k) {
      deep::BlaTable tab = job.build_bla_table(k);
      unsigned char* at = base + lay.table[k];
      if (!tab.d.empty()) {
        std::memcpy(at, tab.d.data(), tab.d.size() * sizeof(deep::BlaStepD));
        tab.d.view(reinterpret_cast<const deep::BlaStepD*>(at), tab.d.size());
      } else if (!tab.x.empty()) {
        std::memcpy(at, tab.x.data(), tab.x.size() * sizeof(deep::BlaStepX));
        tab.x.view(reinterpret_cast<const deep::BlaStepX*>(at), tab.x.size());
      }
      job.bla_tables.push_back(std::move(tab));
    }
  }
  t.bla_s = MPI_Wtime() - c0;
  MPI_Win_sync(memory.win);
  check(MPI_Barrier(memory.node), "node barrier");
  MPI_Win_sync(memory.win);

  // 4. The node's other ranks view the same memory.
  if (!leader) {
    for (std::size_t k = 0; k < K; ++k) {
      job.orbits[k].zx.view(reinterpret_cast<const deep::CxExp*>(base + lay.zx[k]), lengths[k]);
      job.orbits[k].z.view(reinterpret_cast<const double*>(base + lay.z[k]), 2 * lengths[k]);
    }
    if (shared_bla) {
      const bool ext = job.bla_extended();
      for (std::size_t k = 0; k < K; ++k) {
        deep::BlaTable tab = lay.shapes[k];
        const std::size_t n = tab.levels > 0 ? tab.steps() : 0;
        if (n > 0 && ext) tab.x.view(reinterpret_cast<const deep::BlaStepX*>(base + lay.table[k]), n);
        if (n > 0 && !ext) tab.d.view(reinterpret_cast<const deep::BlaStepD*>(base + lay.table[k]), n);
        job.bla_tables.push_back(std::move(tab));
      }
    }
  }
  t.node_bytes = lay.total;
  t.node_ranks = node_size;
  int leaders = leader ? 1 : 0;
  check(MPI_Allreduce(MPI_IN_PLACE, &leaders, 1, MPI_INT, MPI_SUM, comm), "count nodes");
  t.nodes = leaders;
  return t;
}

}  // namespace fractal
