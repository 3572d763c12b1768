#include <artery/build_fingerprint.hpp>

#include <cstring>
#include <vector>

namespace artery {
namespace {

std::string text(const char* s) { return s ? s : "(unknown)"; }

std::string boost_text(std::uint32_t v) {
  return std::to_string(v / 100000) + "." + std::to_string(v / 100 % 1000) + "." + std::to_string(v % 100);
}

std::string standard_text(std::uint32_t v) {
  switch (v) {
    case 201703: return "C++17";
    case 202002: return "C++20";
    case 202302: return "C++23";
    default: return "C++ (" + std::to_string(v) + ")";
  }
}

std::string stdlib_text(const BuildFingerprint& f) {
  std::string out = text(f.stdlib) + " " + std::to_string(f.stdlib_version);
  if (std::strcmp(text(f.stdlib).c_str(), "libstdc++") == 0)
    out += f.stdlib_abi ? " (C++11 string ABI)" : " (old string ABI)";
  return out;
}

bool same(const char* a, const char* b) { return std::strcmp(text(a).c_str(), text(b).c_str()) == 0; }

}  // namespace

std::string fingerprint_mismatch(const BuildFingerprint& plugin, const BuildFingerprint& engine) {
  std::vector<std::string> differences;
  if (plugin.api_major != engine.api_major || plugin.api_minor > engine.api_minor)
    differences.push_back("plugin API " + std::to_string(plugin.api_major) + "." + std::to_string(plugin.api_minor) +
                          " (the engine's is " + std::to_string(engine.api_major) + "." +
                          std::to_string(engine.api_minor) + ")");
  // Within one compiler major version the C++ ABI is kept; across them, or
  // between compilers, it is not promised.
  if (!same(plugin.compiler, engine.compiler) || plugin.compiler_major != engine.compiler_major)
    differences.push_back(text(plugin.compiler) + " " + std::to_string(plugin.compiler_major) + " (the engine: " +
                          text(engine.compiler) + " " + std::to_string(engine.compiler_major) + ")");
  if (!same(plugin.stdlib, engine.stdlib) || plugin.stdlib_version != engine.stdlib_version ||
      plugin.stdlib_abi != engine.stdlib_abi)
    differences.push_back(stdlib_text(plugin) + " (the engine: " + stdlib_text(engine) + ")");
  if (plugin.boost_version != engine.boost_version)
    differences.push_back("Boost " + boost_text(plugin.boost_version) + " (the engine: Boost " +
                          boost_text(engine.boost_version) + ")");
  if (plugin.cplusplus != engine.cplusplus)
    differences.push_back(standard_text(plugin.cplusplus) + " (the engine: " + standard_text(engine.cplusplus) + ")");
  if (differences.empty()) return {};
  std::string out = "it was built with ";
  for (std::size_t i = 0; i < differences.size(); ++i)
    out += (i == 0 ? "" : i + 1 == differences.size() ? " and " : ", ") + differences[i];
  return out + "; rebuild it with the engine's compiler, standard library and Boost";
}

}  // namespace artery
