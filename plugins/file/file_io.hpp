// Small POSIX file operations with errors as text, shared by the source and
// the destination. Nothing here throws.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace artery::file_connector {

std::string errno_text(int error_number);

enum class ReadStatus { ok, missing, too_large, failed };
struct ReadResult {
  ReadStatus status = ReadStatus::ok;
  std::string content;
  std::string error;
};
// Reads a whole file. `expected_size` (from the listing's stat) sizes the buffer
// so the usual case is one allocation and one read; a file that grew is still
// read to its end, up to `max_size`.
ReadResult read_file(const std::string& path, std::uint64_t expected_size, std::uint64_t max_size);

// write(2) until everything is written; false with `error` set on failure.
bool write_all(int fd, std::string_view data, std::string& error);
// fsync of a folder, so a rename or a new entry in it survives a power cut.
bool sync_directory(const std::string& directory, std::string& error);

}  // namespace artery::file_connector
