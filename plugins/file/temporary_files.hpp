// The destination's temporary files (`.artery-<pid>-<n>.tmp`, written beside
// the target and renamed over it). A process killed between the write and the
// rename leaves one behind; they are removed when the destination starts (its
// fixed folder) and when it first writes into a folder (templated ones).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace artery::file_connector {

// A new, unique temporary name in `directory`.
std::string temporary_name(const std::string& directory);

// True for a name this plugin made whose writing process is gone: not this
// process, and no process with its pid exists (another engine writing into
// the same folder keeps its temporaries).
bool is_abandoned_temporary(std::string_view name);

// Removes the abandoned temporaries directly in `directory` (not in its
// subfolders); returns how many. A missing or unreadable folder is 0.
std::size_t remove_abandoned_temporaries(const std::string& directory);

// The part of a folder template known before any message: the whole
// template when it has no ${var}, else the folders before the first ${
// ("out/${ward}/in" -> "out"; "${root}/x" -> ""). Empty when nothing is fixed.
std::string fixed_folder_of(const std::string& directory_template);

}  // namespace artery::file_connector
