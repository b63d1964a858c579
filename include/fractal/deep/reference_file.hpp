#pragma once
// The reference orbits of an unfinished deep job, kept beside its journal as OUT.h5.reference so
// that a resumed job never recomputes them (docs/FORMAT.md "OUT.h5.reference"). Written once, by
// rank 0, atomically (a temporary name, fsync, rename); verified by CRC-32 and by the specs it
// holds when read back; deleted with the journal when the job completes.
#include <optional>
#include <string>
#include <vector>

#include "fractal/deep/reference.hpp"

namespace fractal::deep {

std::string reference_path(const std::string& output);  // OUT.h5 -> OUT.h5.reference

// Writes the orbits to `path` (RuntimeError naming it on failure; nothing half-written is left
// under that name).
void write_reference_file(const std::string& path, const std::vector<ReferenceOrbit>& orbits);

// Reads `path` back if it holds exactly the orbits of `specs` (in that order) and verifies.
// Otherwise nullopt, with `why` saying what was wrong ("" when the file does not exist).
std::optional<std::vector<ReferenceOrbit>> read_reference_file(const std::string& path,
                                                               const std::vector<ReferenceSpec>& specs,
                                                               std::string& why);

}  // namespace fractal::deep
