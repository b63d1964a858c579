#pragma once
// What makes two runs write the same file: every parameter that changes a stored value (size,
// frames, per-frame views and rotations, c, z0, max_iter, escape radius, fractal, family, power,
// supersampling, the optional /smooth and /distance datasets, data type, chunk grid, compression, fps), in canonical text. A resumed job must match the identity its journal
// recorded, and a job whose OUT.h5 already exists must match that file, parameter by parameter;
// the first difference is refused with exit 2, naming it. Run settings (kernel, ranks, threads,
// progress) are not part of it: any of them may change between runs.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fractal/config/config.hpp"
#include "fractal/config/frame_plan.hpp"
#include "fractal/output/layout.hpp"

namespace fractal {

struct JobParam {
  std::string key;    // canonical name, as stored in the journal header
  std::string label;  // how a message names it
  std::string value;  // canonical text: shortest round-trip decimal, "nan", or a name
};
using JobIdentity = std::vector<JobParam>;  // in the order they are compared

// A deep job's view in one value (stored as the /counts attribute `deep`): "none" for double
// jobs, else the method and FNV-1a-64 of the view's texts (docs/FORMAT.md).
std::string deep_identity(const Config& cfg);

// The identity of the job `cfg` describes.
JobIdentity job_identity(const Config& cfg, const std::vector<FrameParams>& frames, const ChunkLayout& layout);

// "key = value" lines, and back (unknown lines are kept: the journal header adds `created`).
std::string identity_text(const JobIdentity& id);
std::map<std::string, std::string> parse_identity_text(const std::string& text);

// Throws UsageError for the first parameter of `wanted` whose value `recorded` does not hold:
// "<label> is <value> here but <recorded value> in <where>; <advice>".
void require_same_job(const std::map<std::string, std::string>& recorded, const JobIdentity& wanted,
                      const std::string& where, const std::string& advice);

// A finished fractal-render file: its identity and verification hash.
struct FinishedFile {
  std::map<std::string, std::string> identity;
  std::uint64_t verification_hash = 0;
};
// Reads `path` (the current format_version only, complete = 1). Throws UsageError ("... is not a finished
// fractal-render file ...; pass --overwrite to replace it") if it is anything else.
FinishedFile read_finished_file(const std::string& path);

}  // namespace fractal
