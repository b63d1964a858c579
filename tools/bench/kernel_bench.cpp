// Kernel-only benchmark (issue #4): G iterations/s per core of every kernel variant this CPU runs,
// on the four reference views, single-threaded and with all OpenMP threads. "Iterations" = the sum
// of the counts, i.e. the brute-force work, so interior skipping shows up as a higher rate.
//
//   (a) workload 2's view (seahorse valley) at 1024^2, 2000 iterations, interior skipping off
//   (b) the same with interior skipping on
//   (c) frame 0 of workload 1's spiral job (configs/w1-julia-spiral-60s-1080px.cfg): 1080^2, 500
//   (d) a view entirely inside the Mandelbrot set (skipping off): the arithmetic ceiling
//   (e)-(i) issue #7's families and rotation, Mandelbrot-type, 512^2, 2000 iterations: (e) burning
//   ship (the antenna at -1.76-0.03i), (f) tricorn (the whole set), (g) multibrot z^3 (a boundary
//   detail at -0.1+0.95i), (h) workload 2's view (a) rotated by 30 degrees (per-lane c_im), skip
//   off, 1024^2; (i) workload 1's frame (c) rotated by 30 degrees (per-lane start points)
//
// Two rates: G iterations per wall second per thread (what a user sees), and per CPU second used
// by the process (what a core delivers while it runs: on a shared, busy machine the stabler one).
// Each figure is the median of --repeat runs (default 5) of the whole view (the scalar reference
// renders every 16th row only, to keep the suite short; rates are per iteration either way).
// Usage (default cases abcd): kernel_bench [--repeat N] [--threads T] [--cases abcdefghi] [--kernels scalar,avx2,avx512]
//                     [--json FILE] [--root DIR]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

#include "fractal/config/config.hpp"
#include "fractal/config/frame_plan.hpp"
#include "fractal/kernel/kernel.hpp"

using namespace fractal;

namespace {

struct Case {
  char id;
  std::string name;
  FrameParams p;
};

FrameParams frame0(const std::string& root, const std::string& cfg, std::vector<std::string> extra) {
  std::vector<std::string> args = {"kernel_bench", root + "/" + cfg, "-o", "unused.h5"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  const ParseResult r = parse_config(static_cast<int>(argv.size()), argv.data());
  Config c = r.config;
  c.frames = 1;  // frame 0 only (c_im of frame 0 does not depend on the frame count)
  return plan_frames(c).at(0);
}

std::vector<Case> make_cases(const std::string& root) {
  std::vector<Case> v;
  FrameParams a = frame0(root, "configs/w2-mandelbrot-seahorse-4096px.cfg",
                         {"--width", "1024", "--height", "1024"});
  a.skip_interior = false;
  v.push_back({'a', "w2 seahorse 1024^2, 2000 it, skip off", a});
  FrameParams b = a;
  b.skip_interior = true;
  v.push_back({'b', "w2 seahorse 1024^2, 2000 it, skip on", b});
  v.push_back({'c', "w1 spiral frame 0, 1080^2, 500 it",
               frame0(root, "configs/w1-julia-spiral-60s-1080px.cfg", {})});
  // Inside the main cardioid (|c + 0.1| <= 0.25 is well inside): every pixel runs max_iter.
  FrameParams d = a;
  d.xmin = -0.35, d.xmax = 0.15, d.ymin = -0.25, d.ymax = 0.25;
  d.width = d.height = 512;
  d.max_iter = 2000;
  d.skip_interior = false;
  v.push_back({'d', "interior view 512^2, 2000 it, skip off", d});
  auto family_view = [&](Family fam, std::uint32_t power, double cx, double cy, double hw) {
    FrameParams f = d;
    f.family = fam, f.power = power;
    f.xmin = cx - hw, f.xmax = cx + hw, f.ymin = cy - hw, f.ymax = cy + hw;
    return f;
  };
  v.push_back({'e', "burning ship 512^2, 2000 it", family_view(Family::BurningShip, 2, -1.76, -0.03, 0.06)});
  v.push_back({'f', "tricorn 512^2, 2000 it", family_view(Family::Tricorn, 2, -0.3, 0.0, 1.6)});
  v.push_back({'g', "multibrot z^3 512^2, 2000 it", family_view(Family::Multibrot, 3, -0.1, 0.95, 0.2)});
  FrameParams h = a;
  h.rotation = 30;
  rotation_cos_sin(h.rotation, h.rot_cos, h.rot_sin);
  v.push_back({'h', "w2 seahorse rotated 30 deg, skip off", h});
  FrameParams i = v[2].p;
  i.rotation = 30;
  rotation_cos_sin(i.rotation, i.rot_cos, i.rot_sin);
  v.push_back({'i', "w1 spiral frame 0 rotated 30 deg", i});
  return v;
}

struct Result {
  double seconds = 0;      // median wall time of one run
  double giter = 0;        // G iterations per run
  double rate_core = 0;    // G iterations / wall second / thread (median run)
  double rate_cpu = 0;     // G iterations / CPU second (median run): insensitive to time-sharing
};

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// Renders rows 0, stride, 2*stride, ... of the view with `threads` threads; returns the iterations.
std::uint64_t render_rows(const FrameParams& p, RowKernel fn, int threads, std::uint32_t stride,
                          std::vector<std::uint32_t>& buf) {
  const std::int64_t n = (p.height + stride - 1) / stride;
  std::uint64_t total = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) reduction(+ : total)
  for (std::int64_t r = 0; r < n; ++r)
    total += fn(p, static_cast<std::uint32_t>(r * stride), buf.data() + std::size_t(r) * p.width);
  return total;
}

Result measure(const FrameParams& p, KernelKind k, int threads, int repeat, std::uint32_t stride) {
  const RowKernel fn = row_kernel(k);
  std::vector<std::uint32_t> buf(std::size_t(p.width) * p.height);
  render_rows(p, fn, threads, stride * 4, buf);  // warm-up (page faults, clocks)
  std::vector<double> t, cpu;
  std::uint64_t iters = 0;
  for (int i = 0; i < repeat; ++i) {
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t it = render_rows(p, fn, threads, stride, buf);
    const auto t1 = std::chrono::steady_clock::now();
    cpu.push_back(cpu_seconds() - c0);
    if (i && it != iters) throw std::runtime_error("iteration count changed between runs");
    iters = it;
    t.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  std::sort(t.begin(), t.end());
  std::sort(cpu.begin(), cpu.end());
  Result r;
  r.seconds = t[t.size() / 2];
  r.giter = iters * 1e-9;
  r.rate_core = r.giter / r.seconds / threads;
  r.rate_cpu = r.giter / cpu[cpu.size() / 2];
  return r;
}

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "kernel_bench: %s\nusage: kernel_bench [--repeat N] [--threads T] [--cases abcdefghi] "
                       "[--kernels scalar,avx2,avx512] [--json FILE] [--root DIR]\n", msg);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 5, threads = omp_get_max_threads();
  std::string cases = "abcd", kernels, json, root = FRACTAL_SOURCE_DIR;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(("missing value after " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--repeat") repeat = std::max(1, std::atoi(v.c_str()));
    else if (a == "--threads") threads = std::max(1, std::atoi(v.c_str()));
    else if (a == "--cases") cases = v;
    else if (a == "--kernels") kernels = v;
    else if (a == "--json") json = v;
    else if (a == "--root") root = v;
    else usage(("unknown option " + a).c_str());
  }
  std::vector<KernelKind> ks;
  for (KernelKind k : supported_kernels())
    if (kernels.empty() || ("," + kernels + ",").find(std::string(",") + kernel_name(k) + ",") != std::string::npos)
      ks.push_back(k);

  std::vector<int> thread_counts = {1};
  if (threads > 1) thread_counts.push_back(threads);

  std::FILE* js = json.empty() ? nullptr : std::fopen(json.c_str(), "w");
  if (!json.empty() && !js) usage(("cannot write " + json).c_str());
  if (js) std::fprintf(js, "{\"repeat\": %d, \"threads\": %d, \"results\": [\n", repeat, threads);
  bool first = true;

  std::printf("kernel-only throughput, G iterations/s per core (median of %d runs)\n", repeat);
  std::printf("%-44s %-7s %7s %8s %12s %12s\n", "case", "kernel", "threads", "G it", "G it/s/core", "per CPU-s");
  for (const Case& c : make_cases(root)) {
    if (cases.find(c.id) == std::string::npos) continue;
    for (KernelKind k : ks) {
      const std::uint32_t stride = k == KernelKind::Scalar ? 16 : 1;
      for (int t : thread_counts) {
        const Result r = measure(c.p, k, t, repeat, stride);
        std::printf("(%c) %-40s %-7s %7d %8.3f %12.2f %12.2f\n", c.id, c.name.c_str(), kernel_name(k), t,
                    r.giter, r.rate_core, r.rate_cpu);
        std::fflush(stdout);
        if (js)
          std::fprintf(js, "%s  {\"case\": \"%c\", \"name\": \"%s\", \"kernel\": \"%s\", \"threads\": %d, "
                           "\"row_stride\": %u, \"giter\": %.6f, \"seconds\": %.6f, \"rate_per_core\": %.4f, \"rate_per_cpu_second\": %.4f}",
                       first ? "" : ",\n", c.id, c.name.c_str(), kernel_name(k), t, stride, r.giter,
                       r.seconds, r.rate_core, r.rate_cpu);
        first = false;
      }
    }
  }
  if (js) {
    std::fprintf(js, "\n]}\n");
    std::fclose(js);
  }
  return 0;
}
