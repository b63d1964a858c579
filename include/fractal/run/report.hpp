#pragma once
// What rank 0 prints before and after a job.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "fractal/config/config.hpp"
#include "fractal/kernel/kernel.hpp"
#include "fractal/output/layout.hpp"
#include "fractal/run/scheduler.hpp"
#include "fractal/run/deep_setup.hpp"

namespace fractal {

void print_summary(std::FILE* out, const Config& cfg, const ChunkLayout& layout, KernelKind kernel,
                   int ranks, int threads_rank0);
// A deep job's reference orbits: their lengths and precision, and how they were obtained (computed,
// with the time, or read back from `sidecar` on resume), plus a warning when saved ones were not used.
void print_reference(std::FILE* out, const deep::DeepJob& job, const ReferenceTiming& t, const std::string& sidecar);
// A deep job's BLA tables: steps, levels, bytes per rank and the build time (or "off").
void print_bla(std::FILE* out, const deep::DeepJob& job, double seconds);
// chunks_resumed: chunks taken over from an interrupted run's journal (0 for a fresh job).
void print_report(std::FILE* out, const Config& cfg, const ChunkLayout& layout, const JobResult& r,
                  std::uint64_t chunks_resumed);
// Before rendering a resumed job: "resuming: N of M chunks kept from JOURNAL".
// threads_cores: for each rank, its OpenMP threads and the cores its CPU binding allows (0:
// unknown). One warning line if some rank has more threads than cores (a launch mistake: its
// threads then share cores and the job runs at a fraction of its speed).
void print_binding_warning(std::FILE* out, const std::vector<int>& threads_cores);
// dropped: chunks the journal recorded whose bytes in OUT.h5.partial no longer verified.
void print_resuming(std::FILE* out, std::uint64_t kept, std::uint64_t total, const std::string& journal,
                    std::uint64_t dropped = 0);
// An existing OUT.h5 of the same job: nothing to do.
void print_already_complete(std::FILE* out, const std::string& output, std::uint64_t verification_hash);
// The one line of a stopped job: "fractal-render: interrupted by SIGUSR1; N of M chunks kept in
// JOURNAL; run the same command to resume".
void print_interrupted(std::FILE* out, int signal, std::uint64_t kept, std::uint64_t total, const std::string& journal);

}  // namespace fractal
