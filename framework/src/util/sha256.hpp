// Private: SHA-256 (FIPS 180-4), for fingerprinting manifest text in the store.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace kcube {

/// Incremental SHA-256: update() any number of times, then hex() or digest() once.
class Sha256 {
 public:
  Sha256();
  /// Appends `bytes` to the message.
  void update(std::string_view bytes);
  /// The 32-byte digest of everything appended; the object must not be updated afterwards.
  std::array<std::uint8_t, 32> digest();
  /// The digest as 64 lowercase hexadecimal characters.
  std::string hex();

 private:
  void compress(const std::uint8_t* block);

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;  // bytes appended so far
};

/// Hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace kcube
