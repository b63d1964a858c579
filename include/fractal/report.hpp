#pragma once
// What rank 0 prints before and after a job.
#include <cstdio>
#include <string>

#include "fractal/config.hpp"
#include "fractal/kernel.hpp"
#include "fractal/layout.hpp"
#include "fractal/scheduler.hpp"

namespace fractal {

void print_summary(std::FILE* out, const Config& cfg, const ChunkLayout& layout, KernelKind kernel,
                   int ranks, int threads_rank0);
void print_report(std::FILE* out, const Config& cfg, const ChunkLayout& layout, const JobResult& r);

}  // namespace fractal
