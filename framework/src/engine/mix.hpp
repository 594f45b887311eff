// Bit mixing shared by the engine's stream keys.
#pragma once

#include <cstdint>

namespace kcube {

/// SplitMix64's finaliser: a bijection of 64-bit words in which every input bit affects every
/// output bit, so nearby inputs (a hash with weak low bits, an identity xor a tag) give unrelated
/// keys.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace kcube
