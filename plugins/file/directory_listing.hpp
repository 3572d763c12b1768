// One scan of a polled folder: the regular files whose names match the glob,
// each stat'ed exactly once.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

namespace artery::file_connector {

struct ListedFile {
  std::string path;      // directory + "/" + relative
  std::string relative;  // path below the polled folder ("a.hl7", "ward2/a.hl7")
  std::string name;      // last component
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  // modification time, ns since the epoch
};

struct ListingOptions {
  std::string glob = "*";
  bool recursive = false;
  // Folders never descended into (the processed and error folders), by device and inode.
  std::vector<std::pair<dev_t, ino_t>> skip_directories;
};

struct Listing {
  std::vector<ListedFile> files;
  std::string error;  // set when the folder itself could not be read
  // Entries that could not be stat'ed or subfolders that could not be opened:
  // logged by the caller, not fatal.
  std::vector<std::string> warnings;
};

Listing list_directory(const std::string& directory, const ListingOptions& options);

}  // namespace artery::file_connector
