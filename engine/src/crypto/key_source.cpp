#include "crypto/key_source.hpp"

#include "admin/secret_token.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace artery::crypto {
namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::optional<std::string> decode_secret(std::string_view text) {
  std::string out;
  if (!admin::base64_decode(trim(text), out) || out.size() != 32) return std::nullopt;
  return out;
}

std::string render(const ValueCipher::Keys& keys) {
  std::string out =
      "# Artery value keys (docs/security.md, \"Encryption at rest\"): <id> <base64 key> [current].\n"
      "# Keep this file secret and backed up: without it the sealed messages cannot be read.\n";
  bool first = true;
  for (const auto& key : keys.keys) {
    out += key_id_text(key.id) + " " +
           admin::base64_encode(std::string_view(reinterpret_cast<const char*>(key.secret.data()), key.secret.size()));
    out += first ? " current\n" : "\n";
    first = false;
  }
  return out;
}

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return ::fsync(fd) == 0;
}

void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::shared_ptr<const ValueCipher::Keys> parse_key_file(const std::filesystem::path& file, std::string& error) {
  std::ifstream in(file);
  if (!in) {
    error = "cannot read key file " + file.string() + ": " + std::strerror(errno);
    return nullptr;
  }
  auto keys = std::make_shared<ValueCipher::Keys>();
  std::optional<std::size_t> current;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string text = trim(line);
    if (text.empty() || text[0] == '#') continue;
    std::istringstream fields(text);
    std::string id_text, secret_text, flag, extra;
    fields >> id_text >> secret_text >> flag >> extra;
    const std::string where = "key file " + file.string() + ":" + std::to_string(number) + ": ";
    std::uint32_t id = 0;
    auto parsed = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id, 16);
    if (parsed.ec != std::errc{} || parsed.ptr != id_text.data() + id_text.size() || id == 0) {
      error = where + "expected '<id in hex> <base64 key> [current]'";
      return nullptr;
    }
    auto secret = decode_secret(secret_text);
    if (!secret) {
      error = where + "the key is not base64 of 32 bytes";
      return nullptr;
    }
    if ((!flag.empty() && flag != "current") || !extra.empty()) {
      error = where + "unexpected '" + (flag != "current" ? flag : extra) + "' (only 'current' may follow the key)";
      return nullptr;
    }
    if (keys->find(id)) {
      error = where + "key id " + id_text + " appears twice";
      return nullptr;
    }
    if (flag == "current") {
      if (current) {
        error = where + "a second key is marked current";
        return nullptr;
      }
      current = keys->keys.size();
    }
    keys->keys.push_back(make_value_key(*secret, id));
  }
  if (keys->keys.empty()) {
    error = "key file " + file.string() + " holds no key";
    return nullptr;
  }
  if (current && *current != 0) std::swap(keys->keys[0], keys->keys[*current]);
  return keys;
}

}  // namespace

std::shared_ptr<const ValueCipher::Keys> parse_key_list(std::string_view text, std::string& error) {
  auto keys = std::make_shared<ValueCipher::Keys>();
  std::size_t start = 0;
  for (int position = 1;; ++position) {
    const auto comma = text.find(',', start);
    const auto item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    auto secret = decode_secret(item);
    if (!secret) {
      error = "ARTERY_KEY: key " + std::to_string(position) +
              " is not base64 of 32 bytes (make one with: openssl rand -base64 32)";
      return nullptr;
    }
    ValueKey key = make_value_key(*secret);
    if (!keys->find(key.id)) keys->keys.push_back(key);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return keys;
}

bool write_key_file(const std::filesystem::path& key_file, const ValueCipher::Keys& keys, std::string& error) {
  const std::filesystem::path temporary = key_file.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot write key file " + temporary.string() + ": " + std::strerror(errno);
    return false;
  }
  ::fchmod(fd, 0600);  // an older temporary file may have had other bits
  const bool written = write_all(fd, render(keys));
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), key_file.c_str()) != 0) {
    error = "cannot write key file " + key_file.string() + ": " + std::strerror(errno);
    ::unlink(temporary.c_str());
    return false;
  }
  sync_directory(key_file.parent_path());
  return true;
}

std::optional<LoadedKeys> load_value_keys(const std::filesystem::path& key_file, std::string& error) {
  LoadedKeys out;
  if (const char* env = std::getenv("ARTERY_KEY"); env && *env) {
    out.keys = parse_key_list(env, error);
    if (!out.keys) return std::nullopt;
    out.source = "ARTERY_KEY";
    out.from_environment = true;
    return out;
  }
  out.source = "key file " + key_file.string();
  struct stat info {};
  if (::stat(key_file.c_str(), &info) != 0) {
    if (errno != ENOENT) {
      error = "cannot read " + out.source + ": " + std::strerror(errno);
      return std::nullopt;
    }
    // First start with encryption on: a new key, in a file only we can read.
    // O_EXCL: two engines starting at once cannot each write their own key.
    std::error_code ec;
    if (!key_file.parent_path().empty()) std::filesystem::create_directories(key_file.parent_path(), ec);
    auto keys = std::make_shared<ValueCipher::Keys>();
    keys->keys.push_back(generate_value_key());
    const int fd = ::open(key_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      error = "cannot create " + out.source + ": " + std::strerror(errno);
      return std::nullopt;
    }
    const bool written = write_all(fd, render(*keys));
    ::close(fd);
    if (!written) {
      error = "cannot write " + out.source + ": " + std::strerror(errno);
      ::unlink(key_file.c_str());
      return std::nullopt;
    }
    sync_directory(key_file.parent_path());
    out.keys = std::move(keys);
    out.created = true;
    return out;
  }
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    error = out.source + " can be read by other users (mode " + mode + "): run chmod 600 " + key_file.string();
    return std::nullopt;
  }
  out.keys = parse_key_file(key_file, error);
  if (!out.keys) return std::nullopt;
  return out;
}

}  // namespace artery::crypto
