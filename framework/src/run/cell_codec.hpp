// Private: a cell's results as bytes, for sending them from the process that ran the cell to the
// one that stores it (MPI ranks, see team.hpp).
//
// Format, version 3 (version 1, "KCC1", had no aggregator and notes; version 2, "KCC2", no pick
// shares): the bytes "KCC3", then every field of CellResult in declaration order.
// Integers are fixed-width little-endian (i32, i64, u64); a real is the u64 of its IEEE-754 bits,
// so every value arrives with the bits it left with (no text round trip); a string is its u64
// length then its bytes; an optional is a u8 flag (0 or 1) then the value when the flag is 1; a
// vector is its u64 size then its elements; an enum its i32 value. The layout is the same on
// every machine, whatever its byte order.
//
// decode_cell() trusts nothing: every length is checked against the bytes left before anything
// is allocated, every enum value and flag against its range, and every byte must be used. Any
// violation is a kcube::RuntimeFailure saying where the message broke: a sender and a receiver
// of different kcube versions, or memory corruption, never a crash or a half-read cell.
#pragma once

#include <string>
#include <string_view>

#include "store/store.hpp"

namespace kcube {

/// The bytes of `cell` (format above).
std::string encode_cell(const CellResult& cell);

/// The cell encoded in `bytes`; equal to the encoded one field for field, reals bit for bit.
/// Throws kcube::RuntimeFailure (naming `origin`, e.g. "rank 3 (node17)") when the bytes are not
/// a whole cell of this format.
CellResult decode_cell(std::string_view bytes, std::string_view origin);

}  // namespace kcube
