#pragma once
// The message a worker sends rank 0 for one work item: its encoded chunks (render_item.hpp).
// Layout (native byte order, both ends are the same build): n (uint64), n headers (index,
// iterations, hash, the sizes of the counts/smooth/distance planes; uint64 each), then each chunk's
// planes in order.
#include <cstdint>
#include <vector>

#include "fractal/run/render_item.hpp"

namespace fractal {

std::vector<std::uint8_t> pack_chunks(const std::vector<EncodedChunk>& chunks);
// Throws RuntimeError ("malformed chunk message ...") if buf is not a whole message.
std::vector<EncodedChunk> unpack_chunks(const std::vector<std::uint8_t>& buf);

}  // namespace fractal
