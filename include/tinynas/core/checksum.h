// Checksums of file contents: what a reader compares against what the writer stored, so a
// flipped or truncated byte is refused instead of being used. And the one hash tinynas
// fingerprints things with (spaces, recipes, pipeline stages, the runtime's sources).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tinynas::core {

/// zlib's CRC-32 (the gzip/PNG polynomial) of `size` bytes at `data`, continuing from
/// `crc` (the CRC of the bytes before them; 0 to start). Detects every error burst of up
/// to 32 bits, so any single flipped byte. Any `size` (zlib's own call takes 32 bits).
std::uint32_t crc32_of(const void* data, std::size_t size, std::uint32_t crc = 0);

/// The start value of every tinynas FNV-1a hash. Not FNV's published offset basis
/// (14695981039346656037): that number with its last digit lost. Kept, because hashes
/// written with it are stored (checkpoint sidecars' space_fingerprint and recipe_hash, the
/// fingerprints in pipeline.json, the built-in latency tables' runtime_hash) and another
/// start would make every one of them stale. Any start value detects changes as well.
inline constexpr std::uint64_t kFnv1a64Start = 1469598103934665603ull;

/// FNV-1a with 64 bits (prime 1099511628211) of the bytes of `s`, continuing from `h`: the
/// hash of a + b is fnv1a64(b, fnv1a64(a)). For fingerprints that tell a change, not for
/// security: anyone can make two texts of the same hash.
std::uint64_t fnv1a64(std::string_view s, std::uint64_t h = kFnv1a64Start);

/// `v` as 16 lower-case hex digits, zero-padded: how fingerprints are written down.
std::string hex64(std::uint64_t v);

}  // namespace tinynas::core
