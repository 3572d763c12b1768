// A real small file system for tests of full and nearly full disks: a tmpfs
// of a given size mounted on a fresh folder, unmounted when the object goes.
// Mounting needs root (CAP_SYS_ADMIN); where it is refused, `mounted()` is
// false with the reason in `error()`, and the test says it did not run.
#pragma once
#include "support/engine_process.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace artery::testing {

class SmallVolume {
 public:
  explicit SmallVolume(std::uint64_t bytes);
  ~SmallVolume();
  SmallVolume(const SmallVolume&) = delete;
  SmallVolume& operator=(const SmallVolume&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::filesystem::path& path() const { return dir_.path(); }
  std::filesystem::path operator/(const std::string& child) const { return dir_.path() / child; }

  // Bytes free for new files right now (statvfs).
  std::uint64_t free_bytes() const;
  // Fills the volume with one file (`name`) until a write fails; returns its size.
  std::uint64_t fill(const std::string& name) const;

 private:
  TempDir dir_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace artery::testing
