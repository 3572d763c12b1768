#include "plugin/plugin_library.hpp"

#include "log/logger.hpp"

#include <boost/dll/shared_library.hpp>
#include <openssl/sha.h>

#include <cstring>
#include <fstream>

#include <elf.h>
#include <link.h>

namespace artery {
namespace {

// Reads the version fields before anything else and explains a mismatch.
std::optional<std::string> check_descriptor(const PluginDescriptor* d) {
  if (!d) return "its entry point returned no descriptor";
  if (d->api_major != kApiMajor)
    return "it was built for plugin API " + std::to_string(d->api_major) + "." + std::to_string(d->api_minor) +
           " and this engine speaks API " + std::to_string(kApiMajor) + "." + std::to_string(kApiMinor) +
           " (a different major version is incompatible; rebuild the plugin against this engine)";
  if (d->api_minor > kApiMinor)
    return "it needs plugin API " + std::to_string(d->api_major) + "." + std::to_string(d->api_minor) +
           " but this engine only provides " + std::to_string(kApiMajor) + "." + std::to_string(kApiMinor) +
           " (upgrade the engine or use an older build of the plugin)";
  if (!d->build) return "its descriptor carries no build fingerprint";
  if (std::string why = fingerprint_mismatch(*d->build, kBuildFingerprint); !why.empty()) return why;
  if (!d->name || !*d->name) return "its descriptor has no name";
  if (!d->version) return "its descriptor has no version";
  if (!d->create_source && !d->create_destination) return "it provides neither a source nor a destination";
  return std::nullopt;
}

// dlopen trusts the file: a library cut short (a copy still being written
// when the reload read it) maps segments past its end, and the loader's first
// touch of them kills the process with SIGBUS. So the ELF headers are
// checked against the bytes first: every segment the loader maps must be in
// the file.
std::optional<std::string> incomplete_elf(const std::string& bytes) {
  Elf64_Ehdr header;
  if (bytes.size() < sizeof header || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0) return "not an ELF file";
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.e_ident[EI_CLASS] != ELFCLASS64) return "not a 64-bit ELF file";
  if (header.e_type != ET_DYN) return "not a shared library";
  const std::uint64_t size = bytes.size();
  auto cut = [&](std::uint64_t end) {
    return "truncated: it ends at byte " + std::to_string(size) + " but its headers need " + std::to_string(end) +
           " (was it still being copied?)";
  };
  const std::uint64_t headers_end = header.e_phoff + std::uint64_t(header.e_phnum) * sizeof(Elf64_Phdr);
  if (header.e_phentsize != sizeof(Elf64_Phdr) || headers_end > size) return cut(headers_end);
  for (std::uint16_t i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment;
    std::memcpy(&segment, bytes.data() + header.e_phoff + i * sizeof segment, sizeof segment);
    if (segment.p_type != PT_LOAD && segment.p_type != PT_DYNAMIC) continue;
    if (segment.p_offset + segment.p_filesz > size) return cut(segment.p_offset + segment.p_filesz);
  }
  if (header.e_shoff != 0) {
    const std::uint64_t sections_end = header.e_shoff + std::uint64_t(header.e_shnum) * header.e_shentsize;
    if (sections_end > size) return cut(sections_end);
  }
  return std::nullopt;
}

std::optional<std::string> write_copy(const std::filesystem::path& copy, const std::string& bytes) {
  std::ofstream out(copy, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return "cannot write its copy " + copy.string() + " (is the data folder full or read-only?)";
  std::error_code ec;
  std::filesystem::permissions(copy, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec,
                               std::filesystem::perm_options::replace, ec);
  return std::nullopt;
}

// The last holder of a library unloads it here, then removes its copy. A
// library the loader keeps mapped after dlclose (a thread_local with a
// destructor still alive on some thread, or a STB_GNU_UNIQUE symbol) is
// reported: its code stays in the process, which is harmless but means the
// plugin breaks the contract of docs/plugins.md.
void release(boost::dll::shared_library* library, const std::filesystem::path& copy) {
  const bool was_loaded = library->is_loaded();
  delete library;
  if (copy.empty()) return;
  if (library_is_mapped(copy)) {
    logger::warn("plugins", copy.string() +
                                " is still mapped after its last user let go: the plugin keeps a thread_local "
                                "with a destructor alive on an engine thread, or exports a unique symbol; "
                                "its code stays loaded (docs/reload.md)");
    return;
  }
  std::error_code ec;
  std::filesystem::remove(copy, ec);
  if (was_loaded) logger::info("plugins", "unloaded " + copy.string());
}

}  // namespace

std::optional<std::string> load_plugin_library(const std::filesystem::path& file, const std::string& bytes,
                                               const std::filesystem::path& copy, PluginLibrary& out) {
  if (auto problem = incomplete_elf(bytes)) return "not a loadable library (" + *problem + ")";
  if (!copy.empty())
    if (auto problem = write_copy(copy, bytes)) return problem;
  std::shared_ptr<boost::dll::shared_library> library(new boost::dll::shared_library(),
                                                      [copy](boost::dll::shared_library* l) { release(l, copy); });
  try {
    library->load(copy.empty() ? file : copy, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return std::string("not a loadable library (") + e.what() + ")";
  }
  if (!library->has(kPluginEntryPoint))
    return std::string("it has no entry point '") + kPluginEntryPoint + "' (not an Artery plugin?)";
  const PluginDescriptor* descriptor = nullptr;
  try {
    auto& entry = library->get<const PluginDescriptor*()>(kPluginEntryPoint);
    descriptor = entry();
  } catch (const std::exception& e) {
    return std::string("its entry point failed: ") + e.what();
  }
  if (auto mismatch = check_descriptor(descriptor)) return mismatch;
  out.library = std::move(library);
  out.descriptor = descriptor;
  out.copy = copy;
  return std::nullopt;
}

bool library_is_mapped(const std::filesystem::path& path) {
  struct Search {
    std::string path;
    bool found = false;
  } search{path.string()};
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* s = static_cast<Search*>(data);
        if (info->dlpi_name && s->path == info->dlpi_name) s->found = true;
        return s->found ? 1 : 0;
      },
      &search);
  return search.found;
}

std::string content_sha256(const std::string& bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

}  // namespace artery
