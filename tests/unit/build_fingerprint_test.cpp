// The loader's first check of a plugin: what it was built with, in words.
#include <artery/build_fingerprint.hpp>

#include <catch2/catch.hpp>

using artery::BuildFingerprint;
using artery::fingerprint_mismatch;
using artery::kBuildFingerprint;

TEST_CASE("a plugin built like the engine matches") { CHECK(fingerprint_mismatch(kBuildFingerprint, kBuildFingerprint).empty()); }

TEST_CASE("every difference in a plugin's build is named") {
  BuildFingerprint other = kBuildFingerprint;
  other.boost_version = 108300;
  CHECK(fingerprint_mismatch(other, kBuildFingerprint).find("Boost 1.83.0 (the engine: Boost 1.81.0)") !=
        std::string::npos);

  other = kBuildFingerprint;
  other.stdlib_abi = 0;
  other.cplusplus = 201703;
  const std::string why = fingerprint_mismatch(other, kBuildFingerprint);
  CHECK(why.find("(old string ABI) (the engine: libstdc++") != std::string::npos);
  CHECK(why.find(" and C++17 (the engine: C++20)") != std::string::npos);

  other = kBuildFingerprint;
  other.api_minor = kBuildFingerprint.api_minor + 1;  // needs features this engine lacks
  CHECK(fingerprint_mismatch(other, kBuildFingerprint).find("plugin API") != std::string::npos);
  other.api_minor = 0;
  CHECK(fingerprint_mismatch(other, kBuildFingerprint).empty());  // an older minor is fine
}
