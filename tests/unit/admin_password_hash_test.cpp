// Password hashing: the stored format, verification, and refusal of stored
// strings that are malformed or weaker than ours. Each hash costs ~0.5 s
// (600,000 iterations, never lowered for tests), so the cases share hashes.
#include "admin/password_hash.hpp"
#include "admin/secret_token.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>

using namespace artery::admin;

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto at = text.find(sep, start);
    out.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

}  // namespace

TEST_CASE("admin password hash: self-describing PBKDF2-SHA256, verified in constant time", "[admin][password]") {
  const std::string password = "correct horse battery staple";
  auto started = std::chrono::steady_clock::now();
  const std::string stored = hash_password(password);
  auto took = std::chrono::steady_clock::now() - started;
  std::printf("one PBKDF2-SHA256 hash (%d iterations): %lld ms\n", kPasswordIterations,
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));

  auto parts = split(stored, '$');
  REQUIRE(parts.size() == 4);
  CHECK(parts[0] == "pbkdf2-sha256");
  CHECK(parts[1] == "600000");
  std::string salt, hash;
  REQUIRE(base64_decode(parts[2], salt));
  REQUIRE(base64_decode(parts[3], hash));
  CHECK(salt.size() == 16);
  CHECK(hash.size() == 32);
  CHECK(stored.find(password) == std::string::npos);

  CHECK(verify_password(password, stored));
  CHECK_FALSE(verify_password("correct horse battery stapl", stored));

  SECTION("a second hash of the same password has its own salt") {
    const std::string again = hash_password(password);
    CHECK(again != stored);
    CHECK(split(again, '$')[2] != parts[2]);
  }
  SECTION("stored strings that are not ours are refused without hashing") {
    CHECK_FALSE(verify_password(password, ""));
    CHECK_FALSE(verify_password(password, "plain text password"));
    CHECK_FALSE(verify_password(password, "md5$600000$" + parts[2] + "$" + parts[3]));
    CHECK_FALSE(verify_password(password, "pbkdf2-sha256$60x000$" + parts[2] + "$" + parts[3]));
    CHECK_FALSE(verify_password(password, "pbkdf2-sha256$600000$" + parts[2]));
    CHECK_FALSE(verify_password(password, "pbkdf2-sha256$600000$not*base64$" + parts[3]));
    CHECK_FALSE(verify_password(password, stored + "$extra"));
    // A database edit cannot make the hash cheap to guess...
    CHECK_FALSE(verify_password(password, "pbkdf2-sha256$1000$" + parts[2] + "$" + parts[3]));
    // ...nor make one login take an hour.
    CHECK_FALSE(verify_password(password, "pbkdf2-sha256$2000000000$" + parts[2] + "$" + parts[3]));
  }
}

TEST_CASE("admin secrets: random, url-safe, stored as digests", "[admin][password]") {
  std::string a = random_secret(32), b = random_secret(32);
  CHECK(a != b);
  CHECK(a.size() == 43);  // 32 bytes of unpadded base64
  CHECK(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
  CHECK(random_hex(8).size() == 16);
  CHECK(secret_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string decoded;
  REQUIRE(base64_decode(base64_encode("hello!?"), decoded));
  CHECK(decoded == "hello!?");
  REQUIRE(base64_decode("", decoded));
  CHECK(decoded.empty());
  CHECK_FALSE(base64_decode("abc", decoded));
}
