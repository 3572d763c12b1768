// What a plugin was built with. The plugin API passes std::string,
// std::function and Boost types across the library boundary, so a plugin
// built with another compiler, standard library or Boost can load and then
// crash. Each side computes this from its own compiler's macros (it lives in
// a header for that reason), and the loader compares the plugin's with the
// engine's before calling anything in the plugin.
#pragma once
#include <artery/version.hpp>

#include <boost/version.hpp>

#include <cstdint>
#include <string>
#include <version>

namespace artery {

// Plain C types only: it is read before we know the two sides agree.
struct BuildFingerprint {
  std::uint32_t api_major;
  std::uint32_t api_minor;
  const char* compiler;       // "GCC", "Clang"
  std::uint32_t compiler_major;
  const char* stdlib;         // "libstdc++", "libc++"
  std::uint32_t stdlib_version;  // _GLIBCXX_RELEASE, _LIBCPP_VERSION
  std::uint32_t stdlib_abi;      // libstdc++'s dual ABI: 1 = the C++11 std::string
  std::uint32_t boost_version;   // BOOST_VERSION: 108100 for 1.81.0
  std::uint32_t cplusplus;       // __cplusplus of the build (the standard)
};

inline constexpr BuildFingerprint kBuildFingerprint{
    kApiMajor,
    kApiMinor,
#if defined(__clang__)
    "Clang",
    __clang_major__,
#elif defined(__GNUC__)
    "GCC",
    __GNUC__,
#else
    "another compiler",
    0,
#endif
#if defined(_LIBCPP_VERSION)
    "libc++",
    _LIBCPP_VERSION,
    0,
#elif defined(_GLIBCXX_RELEASE)
    "libstdc++",
    _GLIBCXX_RELEASE,
    _GLIBCXX_USE_CXX11_ABI,
#else
    "another standard library",
    0,
    0,
#endif
    BOOST_VERSION,
    static_cast<std::uint32_t>(__cplusplus),
};

// "" when a plugin built as `plugin` can run in an engine built as `engine`;
// else one plain sentence naming every difference.
std::string fingerprint_mismatch(const BuildFingerprint& plugin, const BuildFingerprint& engine);

}  // namespace artery
