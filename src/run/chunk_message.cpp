#include "fractal/run/chunk_message.hpp"

#include <cstring>

#include "fractal/error.hpp"

namespace fractal {

namespace {

// nbytes: the sizes of the chunk's planes (counts, smooth, distance; 0 = plane absent).
struct ChunkHeader {
  std::uint64_t index, iterations, hash, nbytes[3];
};

}  // namespace

std::vector<std::uint8_t> pack_chunks(const std::vector<EncodedChunk>& chunks) {
  std::size_t total = sizeof(std::uint64_t) + chunks.size() * sizeof(ChunkHeader);
  for (const auto& c : chunks) total += c.bytes.size() + c.smooth.size() + c.distance.size();
  std::vector<std::uint8_t> buf(total);
  std::uint8_t* p = buf.data();
  const std::uint64_t n = chunks.size();
  std::memcpy(p, &n, sizeof n);
  p += sizeof n;
  for (const auto& c : chunks) {
    const ChunkHeader h{c.index, c.iterations, c.hash, {c.bytes.size(), c.smooth.size(), c.distance.size()}};
    std::memcpy(p, &h, sizeof h);
    p += sizeof h;
  }
  for (const auto& c : chunks) {
    for (const auto* plane : {&c.bytes, &c.smooth, &c.distance}) {
      if (plane->empty()) continue;
      std::memcpy(p, plane->data(), plane->size());
      p += plane->size();
    }
  }
  return buf;
}

std::vector<EncodedChunk> unpack_chunks(const std::vector<std::uint8_t>& buf) {
  auto fail = [] { throw RuntimeError("malformed chunk message from a worker"); };
  if (buf.size() < sizeof(std::uint64_t)) fail();
  std::uint64_t n;
  std::memcpy(&n, buf.data(), sizeof n);
  if (n > (buf.size() - sizeof n) / sizeof(ChunkHeader)) fail();
  std::vector<EncodedChunk> out(n);
  const std::uint8_t* h = buf.data() + sizeof n;
  const std::uint8_t* p = h + n * sizeof(ChunkHeader);
  const std::uint8_t* end = buf.data() + buf.size();
  for (std::uint64_t i = 0; i < n; ++i) {
    ChunkHeader hd;
    std::memcpy(&hd, h + i * sizeof hd, sizeof hd);
    out[i].index = hd.index;
    out[i].iterations = hd.iterations;
    out[i].hash = hd.hash;
    std::vector<std::uint8_t>* planes[3] = {&out[i].bytes, &out[i].smooth, &out[i].distance};
    for (int k = 0; k < 3; ++k) {
      if (hd.nbytes[k] > static_cast<std::uint64_t>(end - p)) fail();
      planes[k]->assign(p, p + hd.nbytes[k]);
      p += hd.nbytes[k];
    }
  }
  if (p != end) fail();  // trailing bytes: not a message this build wrote
  return out;
}

}  // namespace fractal
