#include "file_destination.hpp"

#include "file_io.hpp"
#include "temporary_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string_view>
#include <system_error>

namespace artery::file_connector {
namespace {

SendResult rejected(std::string error) { return {SendResult::Status::rejected, {}, std::move(error)}; }
SendResult retry(std::string error) { return {SendResult::Status::retry, {}, std::move(error)}; }

// True when a value put into the folder template could climb out of it.
bool climbs_out(std::string_view value) {
  if (value.find('\0') != std::string_view::npos) return true;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find('/', start);
    if (end == std::string_view::npos) end = value.size();
    if (value.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

// Why an expanded file name cannot be used, or "" when it can.
std::string bad_filename(std::string_view name) {
  if (name.empty()) return "the file name expands to an empty string";
  if (name == "." || name == "..") return "the file name '" + std::string(name) + "' is not a file";
  if (name.find('/') != std::string_view::npos) return "the file name '" + std::string(name) + "' contains '/'";
  if (name.find('\0') != std::string_view::npos) return "the file name contains a NUL byte";
  if (name.size() > 255) return "the file name is longer than 255 bytes";
  return {};
}

}  // namespace

FileDestination::FileDestination(FileDestinationSettings settings, ConnectorContext* context)
    : settings_(std::move(settings)), context_(context), metrics_(context ? &context->metrics() : nullptr) {}

bool FileDestination::start(std::string& error) {
  (void)error;
  std::string fixed = fixed_folder_of(settings_.directory_template);
  if (!fixed.empty()) {
    std::string directory = fixed.front() == '/' ? fixed : (settings_.base_dir / fixed).string();
    while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
    remove_abandoned_in(directory);
  }
  return true;
}

void FileDestination::remove_abandoned_in(const std::string& directory) {
  if (swept_directories_.size() >= kMaxSweptDirectories || !swept_directories_.insert(directory).second) return;
  std::size_t removed = remove_abandoned_temporaries(directory);
  if (removed > 0 && context_)
    context_->log(LogLevel::info, "removed " + std::to_string(removed) + " temporary file" + (removed == 1 ? "" : "s") +
                                      " left in " + directory + " by a stopped engine (their messages are written again)");
}

FileDestination::~FileDestination() { close_kept(); }

void FileDestination::close_kept() {
  if (kept_fd_ >= 0) ::close(kept_fd_);
  kept_fd_ = -1;
  kept_path_.clear();
}

void FileDestination::send(OutboundMessage message, std::function<void(SendResult)> done) {
  SendResult result;
  try {
    result = write(message);
  } catch (const std::exception& e) {
    result = retry(std::string("file write failed: ") + e.what());
  }
  if (metrics_) {
    metrics_->add_request();
    if (result.status == SendResult::Status::sent) metrics_->add_bytes_out(message.content.size());
    else metrics_->add_error(result.status == SendResult::Status::rejected ? ConnectorError::rejected : ConnectorError::io);
  }
  done(std::move(result));
}

SendResult FileDestination::write(const OutboundMessage& message) {
  // Variables come from message content: a value used in the folder template
  // must not lead outside the configured folder.
  for (const auto& [name, value] : message.vars) {
    const auto& folder = settings_.directory_template;
    if (folder.find("${" + name + "}") == std::string::npos && folder.find("${" + name + ":-") == std::string::npos)
      continue;
    if (climbs_out(value)) return rejected("variable '" + name + "' = '" + value + "' would leave the directory");
  }
  std::string problem;
  auto expanded_directory = expand_template(settings_.directory_template, message.vars, &problem);
  if (!expanded_directory) return rejected("directory: " + problem);
  std::string directory_text = std::move(*expanded_directory);
  if (directory_text.empty()) return rejected("the directory expands to an empty string");
  if (directory_text.find('\0') != std::string::npos) return rejected("the directory contains a NUL byte");
  auto expanded_name = expand_template(settings_.filename_template, message.vars, &problem);
  if (!expanded_name) return rejected("filename: " + problem);
  std::string name = std::move(*expanded_name);
  if (problem = bad_filename(name); !problem.empty()) return rejected(problem);

  std::string directory = directory_text.front() == '/' ? directory_text
                                                         : (settings_.base_dir / directory_text).string();
  while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
  std::string path = directory + "/" + name;

  std::string error;
  bool ok = ensure_directory(directory, error);
  if (ok) {
    ok = settings_.atomic ? write_replacing(directory, path, message, error) : write_in_place(path, message, error);
  }
  if (!ok) {
    known_directory_.clear();
    close_kept();
    return retry(error);
  }
  // The folder holds the file's name: synced when a write may have created
  // it (every atomic rename; an append only after it (re)opened its file).
  const bool kept_append = settings_.mode == WriteMode::append && !settings_.atomic;
  if (settings_.fsync && (!kept_append || kept_entry_unsynced_)) {
    if (!sync_directory(directory, error)) {
      known_directory_.clear();
      return retry(error);
    }
    kept_entry_unsynced_ = false;
  }
  return {SendResult::Status::sent, path, {}};
}

bool FileDestination::ensure_directory(const std::string& directory, std::string& error) {
  if (directory == known_directory_) return true;
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) {
    if (!settings_.create_directories) {
      error = "directory " + directory + " does not exist (create_directories is false)";
      return false;
    }
    std::filesystem::create_directories(directory, ec);
    if (ec) {
      error = "cannot create directory " + directory + ": " + ec.message();
      return false;
    }
  }
  known_directory_ = directory;
  // A templated folder cannot be listed at start: it is swept the first
  // time this run writes into it.
  remove_abandoned_in(directory);
  return true;
}

bool FileDestination::open_for_append(const std::string& path, std::string& error) {
  close_kept();
  kept_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_APPEND, 0666);
  struct stat opened {};
  if (kept_fd_ < 0 || ::fstat(kept_fd_, &opened) != 0) {
    error = "cannot open " + path + ": " + errno_text(errno);
    close_kept();
    return false;
  }
  kept_path_ = path;
  kept_device_ = opened.st_dev;
  kept_inode_ = opened.st_ino;
  kept_entry_unsynced_ = true;
  // A crash (or power cut) during a write can leave the last record torn.
  // It was never reported sent, so it is written again in full; starting
  // with a separator keeps that copy, and every record after it, whole.
  kept_needs_separator_ = false;
  const auto& separator = settings_.separator;
  if (!separator.empty() && opened.st_size > 0) {
    std::string tail(separator.size(), '\0');
    const off_t from = std::max<off_t>(0, opened.st_size - static_cast<off_t>(separator.size()));
    ssize_t n = ::pread(kept_fd_, tail.data(), tail.size(), from);
    kept_needs_separator_ = n != static_cast<ssize_t>(separator.size()) || tail != separator;
  }
  return true;
}

// Appending costs the message, not the file: the file stays open and each
// record (message + separator) is one O_APPEND write(2), so another process
// appending to the same file never splits it.
bool FileDestination::append_kept_open(const std::string& path, const OutboundMessage& message, std::string& error) {
  struct stat named {};
  if (kept_fd_ < 0 || path != kept_path_ || ::stat(path.c_str(), &named) != 0 || named.st_dev != kept_device_ ||
      named.st_ino != kept_inode_) {
    if (!open_for_append(path, error)) return false;
  }
  const auto& separator = settings_.separator;
  std::string record;
  record.reserve((kept_needs_separator_ ? separator.size() : 0) + message.content.size() + separator.size());
  if (kept_needs_separator_) record += separator;
  record += message.content;
  record += separator;
  std::string why;
  bool ok = write_all(kept_fd_, record, why);
  if (ok && settings_.fsync && ::fdatasync(kept_fd_) != 0) {
    why = "fdatasync: " + errno_text(errno);
    ok = false;
  }
  if (!ok) {
    error = "cannot write " + path + ": " + why;
    return false;
  }
  kept_needs_separator_ = false;
  return true;
}

bool FileDestination::write_in_place(const std::string& path, const OutboundMessage& message, std::string& error) {
  const bool append = settings_.mode == WriteMode::append;
  if (append) return append_kept_open(path, message, error);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_TRUNC, 0666);
  if (fd < 0) {
    error = "cannot open " + path + ": " + errno_text(errno);
    return false;
  }
  std::string why;
  bool ok = write_all(fd, message.content, why);
  if (ok && settings_.fsync && ::fsync(fd) != 0) {
    why = errno_text(errno);
    ok = false;
  }
  if (::close(fd) != 0 && ok) {
    why = errno_text(errno);
    ok = false;
  }
  if (!ok) error = "cannot write " + path + ": " + why;
  return ok;
}

// Temporary file in the same folder, renamed over the target: a reader sees
// the old file or the new one, never a partial one. Append reads the old
// content into the new file, so it costs the file's size per message.
bool FileDestination::write_replacing(const std::string& directory, const std::string& path,
                                      const OutboundMessage& message, std::string& error) {
  const bool append = settings_.mode == WriteMode::append;
  struct stat existing {};
  const bool exists = ::stat(path.c_str(), &existing) == 0;
  std::string old_content;
  if (append && exists) {
    ReadResult old = read_file(path, static_cast<std::uint64_t>(existing.st_size), UINT64_MAX / 2);
    if (old.status == ReadStatus::failed || old.status == ReadStatus::too_large) {
      error = old.error;
      return false;
    }
    old_content = std::move(old.content);
  }

  std::string temp = temporary_name(directory);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    error = "cannot create " + temp + ": " + errno_text(errno);
    return false;
  }
  std::string why;
  bool ok = true;
  // Keep the permissions of the file being replaced.
  if (exists) (void)::fchmod(fd, existing.st_mode & 07777);
  if (ok && !old_content.empty()) ok = write_all(fd, old_content, why);
  if (ok) ok = write_all(fd, message.content, why);
  if (ok && append && !settings_.separator.empty()) ok = write_all(fd, settings_.separator, why);
  if (ok && settings_.fsync && ::fsync(fd) != 0) {
    why = errno_text(errno);
    ok = false;
  }
  if (::close(fd) != 0 && ok) {
    why = errno_text(errno);
    ok = false;
  }
  if (ok && ::rename(temp.c_str(), path.c_str()) != 0) {
    why = "rename to " + path + ": " + errno_text(errno);
    ok = false;
  }
  if (!ok) {
    ::unlink(temp.c_str());
    error = "cannot write " + path + ": " + why;
  }
  return ok;
}

}  // namespace artery::file_connector
