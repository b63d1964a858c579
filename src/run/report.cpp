#include "fractal/run/report.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "fractal/run/signals.hpp"

namespace fractal {

void print_summary(std::FILE* out, const Config& cfg, const ChunkLayout& layout, KernelKind kernel,
                   int ranks, int threads_rank0) {
  std::string what = fractal_name(cfg.fractal);
  if (cfg.family != Family::Multibrot) what += std::string(" (") + family_name(cfg.family) + ")";
  else if (cfg.power != 2) what += " (z^" + std::to_string(cfg.power) + " + c)";
  std::string iters = std::to_string(cfg.max_iter);
  if (cfg.max_iter_peak > cfg.max_iter) iters += " (up to " + std::to_string(cfg.max_iter_peak) + " on the path)";
  std::fprintf(out, "fractal-render: %s, %llu frame(s) of %ux%u, max_iter %s, -> %s\n", what.c_str(),
               static_cast<unsigned long long>(cfg.frames), cfg.width, cfg.height, iters.c_str(), cfg.output.c_str());
  if (cfg.supersample > 1 || cfg.smooth || cfg.distance)
    std::fprintf(out, "  stored: %ux%u samples per frame (supersample %u)%s%s\n", cfg.sample_width(), cfg.sample_height(),
                 cfg.supersample, cfg.smooth ? ", /smooth" : "", cfg.distance ? ", /distance" : "");
  if (cfg.perturbation()) {
    // The pixel spacing m * 2^e as a decimal: log10 = log10(m) + e log10(2).
    const double l10 = std::log10(cfg.pixel_spacing.m) + static_cast<double>(cfg.pixel_spacing.e) * std::log10(2.0);
    const double ip = std::floor(l10);
    std::fprintf(out, "  precision: perturbation (%s deltas), pixel spacing %.3fe%+.0f; reference orbit in MPFR at %u bits%s\n",
                 cfg.method == deep::Method::PerturbExp ? "extended-exponent" : "double", std::pow(10.0, l10 - ip), ip,
                 deep::reference_precision(cfg.pixel_spacing.e, cfg.log2_magnitude),
                 cfg.precision == Precision::Auto ? " (auto)" : "");
  } else if (!cfg.center_re_text.empty()) {
    std::fprintf(out, "  precision: double%s\n", cfg.precision == Precision::Auto ? " (auto)" : "");
  }
  std::fprintf(out, "  %d rank(s) x %d thread(s) on rank 0, kernel %s, %llu chunks of %u rows, deflate %d\n", ranks,
               threads_rank0, kernel_name(kernel), static_cast<unsigned long long>(layout.chunk_count()),
               layout.strip_rows, cfg.compression_level);
  std::fflush(out);
}

void print_reference(std::FILE* out, const deep::DeepJob& job, const ReferenceTiming& t, const std::string& sidecar) {
  if (!t.note.empty())
    std::fprintf(out, "fractal-render: warning: the saved reference orbits '%s' were not used: %s; recomputed them\n",
                 sidecar.c_str(), t.note.c_str());
  for (std::size_t k = 0; k < job.orbits.size(); ++k) {
    const deep::ReferenceOrbit& o = job.orbits[k];
    std::fprintf(out, "  reference %-14s %zu of %u iterations%s, %u bits\n", job.roles[k].c_str(), o.length() - 1,
                 o.spec.max_iter, o.escaped ? " (escapes)" : "", o.spec.precision_bits);
  }
  if (t.from_file)
    std::fprintf(out, "  reference orbits read from %s in %.3f s (not recomputed); stored %.3f s, broadcast %.3f s\n",
                 sidecar.c_str(), t.seconds, t.save_s, t.broadcast_s);
  else
    std::fprintf(out, "  reference orbits computed in %.3f s%s; stored %.3f s, broadcast %.3f s\n", t.seconds,
                 t.compute_ranks > 1 ? (" on " + std::to_string(t.compute_ranks) + " ranks at once").c_str() : "", t.save_s,
                 t.broadcast_s);
  if (job.frames.size() > 1) {
    std::size_t by_method[3] = {0, 0, 0};
    for (const deep::Method m : job.method) ++by_method[static_cast<int>(m)];
    const std::size_t pert = by_method[1] + by_method[2], refs = job.references();
    const auto same = [](const std::vector<std::string>& v) { return std::all_of(v.begin(), v.end(), [&](const std::string& c) { return c == v.front(); }); };
    const bool fixed = same(job.center_re) && same(job.center_im);
    std::string how;
    if (job.keyed && refs == 1)
      how = fixed ? "keyframed, into a fixed centre: one reference for all"
                  : "keyframed: every frame lies within a few frame widths of the deepest centre key, one reference there for all";
    else if (job.keyed)
      how = std::to_string(refs) + " references (the path leaves a few frame widths of each; centre keys deepest first, then "
            "frames that pan beyond them), for";
    else if (fixed)
      how = "into a fixed centre: one reference for all";
    else
      how = "towards the end centre (it keeps its place on screen, so every frame lies within a few frame widths of it: "
            "the reference is the end centre's): one reference for all";
    std::fprintf(out, "  deep zoom %s %zu perturbation frames (%zu with double deltas, %zu extended), %zu frame(s) in double\n",
                 how.c_str(), pert, by_method[1], by_method[2], by_method[0]);
  }
  std::fprintf(out, "  orbits%s: %.3g MB per node, one copy in MPI shared memory for the node's %d rank(s) (%d node(s))\n",
               job.bla && !job.per_frame_bla ? " and BLA tables" : "", t.node_bytes / 1e6, t.node_ranks, t.nodes);
  std::fflush(out);
}

void print_bla(std::FILE* out, const deep::DeepJob& job, double seconds) {
  std::fprintf(out, "  perturbation kernel: %s\n",
               job.lanes == 8   ? "avx512, 8 pixels at once (scalar with --distance)"
               : job.lanes == 4 ? "avx2, 4 pixels at once (scalar with --distance)"
                                : "scalar, one pixel at a time");
  if (!job.bla) {
    std::fprintf(out, "  BLA off (--no-bla): plain perturbation, one step per iteration\n");
    std::fflush(out);
    return;
  }
  if (job.per_frame_bla) {
    std::fprintf(out, "  BLA tables: one per frame (for its largest |dc|), built by the rank that renders it, epsilon 2^%d\n",
                 static_cast<int>(std::log2(job.bla_eps)));
    std::fflush(out);
    return;
  }
  std::size_t steps = 0, bytes = 0;
  int top = 0;
  for (const deep::BlaTable& t : job.bla_tables) {
    steps += t.entries();
    bytes += t.bytes();
    top = std::max(top, t.levels - 1);
  }
  std::fprintf(out, "  BLA tables built in %.3f s: %zu steps of 2^%d .. 2^%d iterations, epsilon 2^%d, %.3g MB\n",
               seconds, steps, deep::kBlaMinLevel, std::max(top, deep::kBlaMinLevel),
               static_cast<int>(std::log2(job.bla_eps)), bytes / 1e6);
  std::fflush(out);
}

void print_binding_warning(std::FILE* out, const std::vector<int>& threads_cores) {
  int first = -1, count = 0;
  for (std::size_t r = 0; 2 * r + 1 < threads_cores.size(); ++r) {
    const int threads = threads_cores[2 * r], cores = threads_cores[2 * r + 1];
    if (cores > 0 && threads > cores) {
      if (first < 0) first = static_cast<int>(r);
      ++count;
    }
  }
  if (first < 0) return;
  const int threads = threads_cores[2 * first], cores = threads_cores[2 * first + 1];
  std::fprintf(out,
               "fractal-render: warning: rank %d runs %d OpenMP threads on %d core(s) of its CPU binding%s, so they "
               "share them; give each rank as many cores as threads (Open MPI: mpirun --bind-to none, or "
               "--map-by slot:PE=%d; Slurm: --cpus-per-task=%d) or lower OMP_NUM_THREADS\n",
               first, threads, cores,
               count > 1 ? (" (and " + std::to_string(count - 1) + " more rank(s) alike)").c_str() : "", threads, threads);
  std::fflush(out);
}

void print_resuming(std::FILE* out, std::uint64_t kept, std::uint64_t total, const std::string& journal,
                    std::uint64_t dropped) {
  std::fprintf(out, "  resuming: %llu of %llu chunks kept from %s; rendering the other %llu\n",
               static_cast<unsigned long long>(kept), static_cast<unsigned long long>(total), journal.c_str(),
               static_cast<unsigned long long>(total - kept));
  if (dropped > 0)
    std::fprintf(out, "  resuming: %llu recorded chunk(s) no longer intact in the .partial file; rendering them again\n",
                 static_cast<unsigned long long>(dropped));
  std::fflush(out);
}

void print_already_complete(std::FILE* out, const std::string& output, std::uint64_t verification_hash) {
  std::fprintf(out, "fractal-render: '%s' is already complete with these parameters; nothing to render\n",
               output.c_str());
  std::fprintf(out, "  verification  hash %016llx\n", static_cast<unsigned long long>(verification_hash));
  std::fflush(out);
}

void print_interrupted(std::FILE* out, int signal, std::uint64_t kept, std::uint64_t total, const std::string& journal) {
  std::fprintf(out, "fractal-render: interrupted by %s; %llu of %llu chunks kept in %s; run the same command to resume\n",
               signal_name(signal), static_cast<unsigned long long>(kept), static_cast<unsigned long long>(total),
               journal.c_str());
  std::fflush(out);
}

void print_report(std::FILE* out, const Config& cfg, const ChunkLayout& layout, const JobResult& r,
                  std::uint64_t chunks_resumed) {
  const auto& rs = r.ranks;
  const double n = static_cast<double>(rs.size());
  double kernel = 0, compress = 0, busy_min = 1e300, busy_max = 0, busy_sum = 0;
  long cores = 0;
  for (const RankStats& s : rs) {
    kernel += s.kernel_s / n;
    compress += s.compress_s / n;
    const double busy = s.kernel_s + s.compress_s;
    busy_min = std::min(busy_min, busy);
    busy_max = std::max(busy_max, busy);
    busy_sum += busy;
    cores += s.threads;
  }
  const double wall = r.wall_s;
  const double write = rs.empty() ? 0 : rs[0].write_s;
  const double other = std::max(0.0, wall - kernel - compress);
  const double pixels = static_cast<double>(layout.frames) * layout.width * layout.height;
  const double rate = wall > 0 ? r.iterations / wall / 1e9 : 0;
  // Every stored plane: the counts and the float32 /smooth, /distance of the job.
  const double raw = pixels * (cfg.count_bytes() + (cfg.smooth ? 4 : 0) + (cfg.distance ? 4 : 0));
  auto pct = [&](double t) { return wall > 0 ? 100 * t / wall : 0.0; };
  std::fprintf(out, "fractal-render: done\n");
  std::fprintf(out, "  frames        %llu of %ux%u = %.0f pixels\n", static_cast<unsigned long long>(layout.frames),
               layout.width, layout.height, pixels);
  if (chunks_resumed > 0)
    std::fprintf(out, "  resumed       %llu of %llu chunks from the interrupted run; the figures below are this run's\n",
                 static_cast<unsigned long long>(chunks_resumed), static_cast<unsigned long long>(layout.chunk_count()));
  std::fprintf(out, "  iterations    %.6g (%.1f per pixel)\n", static_cast<double>(r.iterations),
               pixels > 0 ? r.iterations / pixels : 0.0);
  std::fprintf(out, "  wall time     %.3f s; per rank (mean): compute %.3f s (%.1f%%), compression %.3f s (%.1f%%), "
               "waiting+communication %.3f s (%.1f%%); rank 0 writing %.3f s (%.1f%%, overlapped)\n",
               wall, kernel, pct(kernel), compress, pct(compress), other, pct(other), write, pct(write));
  std::fprintf(out, "  throughput    %.3f G iterations/s overall, %.3f per core (%ld cores: %zu ranks)\n", rate,
               cores > 0 ? rate / cores : 0.0, cores, rs.size());
  std::fprintf(out, "  load          busy time per rank min/mean/max %.3f/%.3f/%.3f s\n", busy_min, busy_sum / n, busy_max);
  std::fprintf(out, "  output        %s: %.3g MB of chunks (%.1fx compression)\n", cfg.output.c_str(),
               r.bytes_written / 1e6, r.bytes_written ? raw / r.bytes_written : 0.0);
  std::fprintf(out, "  verification  hash %016llx\n", static_cast<unsigned long long>(r.verification_hash));
  std::fflush(out);
}

}  // namespace fractal
