// File io that never leaves a half-written file where a good one was.
#pragma once

#include <string>
#include <vector>

namespace tinynas::core {

/// Reads a whole file. Throws core::Error naming the path when it cannot be opened/read.
std::vector<unsigned char> read_file(const std::string& path);

/// Reads a whole text file (same errors as read_file).
std::string read_text_file(const std::string& path);

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync,
/// then rename over the target (and fsync of the directory). Readers see either the old
/// file or the new one, never a mix; on any failure the old file is left untouched and
/// the temporary is removed. Parent directories must exist.
void write_file_atomic(const std::string& path, const void* data, std::size_t size);
void write_file_atomic(const std::string& path, const std::string& text);

/// True when `name` (a file name, no directory) is one of write_file_atomic's temporaries:
/// ".<target name>.tmp.XXXXXX", six letters or digits from mkstemp.
bool is_atomic_temporary(const std::string& name);

/// Removes the temporaries write_file_atomic left in `dir` (not below it) when its process
/// was killed mid-write; no other file is touched. Returns the removed paths. Only for a
/// directory no other process is writing (hold its DirLock): a live writer's temporary
/// would go too. A missing directory removes nothing.
std::vector<std::string> remove_atomic_temporaries(const std::string& dir);

/// True when `path` names an existing regular file.
bool is_regular_file(const std::string& path);

/// Joins `relative` onto the directory holding `file` (used to resolve paths written in
/// a recipe relative to that recipe). Absolute `relative` paths are returned unchanged.
std::string resolve_relative_to(const std::string& file, const std::string& relative);

}  // namespace tinynas::core
