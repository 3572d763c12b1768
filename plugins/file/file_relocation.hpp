// Moving a finished file into the processed or error folder without ever
// replacing a file already there.
#pragma once
#include <filesystem>
#include <optional>
#include <string>

namespace artery::file_connector {

// Moves `from` to `to_directory/relative` (creating folders as needed). When that
// name is taken, tries "stem-1.ext", "stem-2.ext", ... The rename is atomic
// (renameat2 RENAME_NOREPLACE); across file systems the file is copied, synced
// and the original removed. Returns the final path, or nullopt with `error`.
std::optional<std::filesystem::path> relocate_file(const std::filesystem::path& from,
                                                   const std::filesystem::path& to_directory,
                                                   const std::string& relative, std::string& error);

}  // namespace artery::file_connector
