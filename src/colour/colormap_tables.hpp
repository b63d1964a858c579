#pragma once
// Internal: matplotlib's colormap lookup tables, generated into colormap_tables.cpp by
// tools/gen_colormaps.py (see that script; the .cpp must not be edited by hand).
#include <span>

namespace fractal::colour {

struct NamedTable {
  const char* name;  // matplotlib's name, e.g. "viridis"
  const float* rgb;  // [n][3], each channel in [0, 1]
  int n;             // entries (256, or 510 for twilight / twilight_shifted)
};

// The builtin colormaps, in the order colormap_names() reports them.
std::span<const NamedTable> builtin_tables();

}  // namespace fractal::colour
