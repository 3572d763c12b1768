// ValueCipher and its key sources: AES-256-GCM round trips, nonces, tamper
// and row-swap detection, plaintext passthrough, keyed hashes across a
// rotation, ARTERY_KEY and the key file (mode 0600, several keys, one current).
#include <artery/value_cipher.hpp>

#include "crypto/key_source.hpp"
#include "crypto/siphash.hpp"
#include "crypto/value_keys.hpp"
#include "store/keyed_terms.hpp"

#include "support/engine_process.hpp"

#include <sys/stat.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <set>
#include <thread>

using namespace artery;
using artery::testing::TempDir;

namespace {

std::shared_ptr<const ValueCipher::Keys> ring(std::vector<ValueKey> keys) {
  auto out = std::make_shared<ValueCipher::Keys>();
  out->keys = std::move(keys);
  return out;
}

const std::string kHl7 = "MSH|^~\\&|LAB|RGH|||20260101||ORU^R01|C1|P|2.5\rPID|1||9434765919^^^NHS||SMITH^JANE\r";

// Unsets ARTERY_KEY for the test's scope (the suite may run with one set).
struct NoEnvironmentKey {
  NoEnvironmentKey() { ::unsetenv("ARTERY_KEY"); }
  ~NoEnvironmentKey() { ::unsetenv("ARTERY_KEY"); }
};

}  // namespace

TEST_CASE("value cipher: a sealed value opens to the plaintext and hides it", "[cipher]") {
  ValueCipher cipher(ring({crypto::generate_value_key()}));
  REQUIRE(cipher.enabled());
  const std::string sealed = cipher.seal(kHl7, "messages/1/raw");
  CHECK(cipher.is_sealed(sealed));
  CHECK(cipher.sealed_with_current_key(sealed));
  CHECK(sealed.size() == kHl7.size() + 36);
  CHECK(sealed.find("SMITH") == std::string::npos);
  CHECK(sealed.find("9434765919") == std::string::npos);
  CHECK(cipher.open(sealed, "messages/1/raw") == kHl7);
  // Empty and binary values round-trip too.
  CHECK(cipher.open(cipher.seal("", "kv/a"), "kv/a").empty());
  const std::string binary("\0\x01\xff\0AV1", 7);
  CHECK(cipher.open(cipher.seal(binary, "kv/b"), "kv/b") == binary);
}

// Sealed by the build of 2026-12-01 (two AAD updates, the tag through
// EVP_CIPHER_CTX_ctrl): stored values stay readable however seal() feeds
// OpenSSL, since the format and GCM's output are what is kept on disk.
TEST_CASE("value cipher: a value sealed by an earlier build still opens", "[cipher]") {
  ValueCipher cipher(ring({crypto::make_value_key(std::string(32, '\x2a'), 7)}));
  const std::string hex =
      "0041563100000007f97895bc02d66a96a78628a98dcebe6516c4943d32603390559da43950996c1d3842ddea09e579718aec51f7f5c4"
      "8ffe47ec568ee076432b";
  std::string stored;
  for (std::size_t i = 0; i < hex.size(); i += 2) stored += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  CHECK(cipher.open(stored, "messages/42/raw") == "SMITH^JANE, NHS 943 476 5919");
  CHECK_THROWS_AS(cipher.open(stored, "messages/43/raw"), ValueTampered);
  // A long row identity (beyond the one-update buffer) round-trips too.
  const std::string long_row = "deliveries/42/" + std::string(300, 'd') + "/content";
  CHECK(cipher.open(cipher.seal(kHl7, long_row), long_row) == kHl7);
}

TEST_CASE("value cipher: every seal uses a fresh nonce", "[cipher]") {
  ValueCipher cipher(ring({crypto::generate_value_key()}));
  std::set<std::string> nonces, values;
  for (int i = 0; i < 1000; ++i) {
    const std::string sealed = cipher.seal(kHl7, "messages/1/raw");
    nonces.insert(sealed.substr(8, 12));
    values.insert(sealed);
  }
  CHECK(nonces.size() == 1000);
  CHECK(values.size() == 1000);
}

TEST_CASE("value cipher: any altered byte is ValueTampered, never garbage", "[cipher]") {
  ValueCipher cipher(ring({crypto::generate_value_key()}));
  const std::string sealed = cipher.seal(kHl7, "messages/7/raw");
  // Every byte after the magic: key id, nonce, ciphertext, tag.
  for (std::size_t i = 4; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    CHECK_THROWS_AS(cipher.open(bad, "messages/7/raw"), ValueTampered);
  }
  std::string cut = sealed.substr(0, sealed.size() - 1);
  CHECK_THROWS_AS(cipher.open(cut, "messages/7/raw"), ValueTampered);
  try {
    std::string bad = sealed;
    bad[30] ^= 0x40;
    cipher.open(bad, "messages/7/raw");
    FAIL("opened a tampered value");
  } catch (const ValueTampered& e) {
    CHECK(std::string(e.what()).find("messages/7/raw") != std::string::npos);  // names the row
  }
}

TEST_CASE("value cipher: a value moved to another row does not open", "[cipher]") {
  ValueCipher cipher(ring({crypto::generate_value_key()}));
  const std::string sealed = cipher.seal(kHl7, "messages/1/raw");
  CHECK_THROWS_AS(cipher.open(sealed, "messages/2/raw"), ValueTampered);
  CHECK_THROWS_AS(cipher.open(sealed, "messages/1/transformed"), ValueTampered);
  CHECK_THROWS_AS(cipher.open(sealed, ""), ValueTampered);
}

TEST_CASE("value cipher: another key does not open a value", "[cipher]") {
  const ValueKey key = crypto::generate_value_key();
  ValueCipher cipher(ring({key}));
  const std::string sealed = cipher.seal(kHl7, "messages/1/raw");
  // Another key under the same id: authentication fails.
  ValueKey impostor = crypto::generate_value_key();
  impostor.id = key.id;
  ValueCipher wrong(ring({impostor}));
  CHECK_THROWS_AS(wrong.open(sealed, "messages/1/raw"), ValueTampered);
  // A ring without the key's id, and a disabled cipher, say so.
  ValueCipher other(ring({crypto::generate_value_key()}));
  CHECK_THROWS_WITH(other.open(sealed, "messages/1/raw"), Catch::Contains("not among the engine's keys"));
  CHECK_THROWS_AS(ValueCipher::disabled().open(sealed, "messages/1/raw"), ValueTampered);
}

TEST_CASE("value cipher: plaintext passes through open, and a disabled cipher seals nothing", "[cipher]") {
  ValueCipher cipher(ring({crypto::generate_value_key()}));
  for (const std::string& plain : {kHl7, std::string("{\"resourceType\":\"Patient\"}"), std::string("<Envelope/>"),
                                   std::string(), std::string(40, 'x')}) {
    CHECK_FALSE(cipher.is_sealed(plain));
    CHECK(cipher.open(plain, "messages/1/raw") == plain);
  }
  const ValueCipher& off = ValueCipher::disabled();
  CHECK_FALSE(off.enabled());
  CHECK(off.seal(kHl7, "messages/1/raw") == kHl7);
  CHECK(off.open(kHl7, "messages/1/raw") == kHl7);
  CHECK(off.keyed_hash("9434765919") == "9434765919");
  CHECK_FALSE(off.sealed_with_current_key(kHl7));
}

TEST_CASE("value cipher: keyed hashes are fixed-length, keyed, and cover both keys during a rotation", "[cipher]") {
  const ValueKey old_key = crypto::generate_value_key();
  const ValueKey new_key = crypto::generate_value_key();
  ValueCipher cipher(ring({old_key}));
  const std::string before = cipher.keyed_hash("9434765919");
  CHECK(before.size() == 32);
  CHECK(before.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(cipher.keyed_hash("9434765919") == before);
  CHECK(cipher.keyed_hash("9434765918") != before);
  const std::string sealed_old = cipher.seal(kHl7, "messages/1/raw");

  cipher.replace_keys(ring({new_key, old_key}));
  const std::string after = cipher.keyed_hash("9434765919");
  CHECK(after != before);
  CHECK(cipher.keyed_hashes("9434765919") == std::vector<std::string>{after, before});
  // The old key still opens what it sealed; new seals use the new key.
  CHECK(cipher.open(sealed_old, "messages/1/raw") == kHl7);
  CHECK_FALSE(cipher.sealed_with_current_key(sealed_old));
  CHECK(cipher.sealed_with_current_key(cipher.seal(kHl7, "messages/1/raw")));
}

TEST_CASE("value cipher: many threads seal and open while the keys rotate", "[cipher]") {
  const ValueKey a = crypto::generate_value_key(), b = crypto::generate_value_key();
  ValueCipher cipher(ring({a}));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string row = "messages/" + std::to_string(t) + "/" + std::to_string(i);
        if (cipher.open(cipher.seal(kHl7, row), row) != kHl7) ++failures;
      }
    });
  for (int i = 0; i < 200; ++i) cipher.replace_keys(i % 2 ? ring({a, b}) : ring({b, a}));
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
}

TEST_CASE("key source: ARTERY_KEY holds base64 of 32 bytes, a list during a rotation", "[cipher]") {
  NoEnvironmentKey scope;
  TempDir dir("artery-keys");
  const ValueKey a = crypto::generate_value_key(), b = crypto::generate_value_key();
  auto b64 = [](const ValueKey& k) {
    std::string text;
    std::string error;
    ValueCipher::Keys one;
    one.keys.push_back(k);
    // The key file's own encoding, read back from a written file.
    TempDir scratch("artery-key-b64");
    REQUIRE(crypto::write_key_file(scratch.path() / "k", one, error));
    std::ifstream in(scratch.path() / "k");
    std::string line;
    while (std::getline(in, line))
      if (!line.empty() && line[0] != '#') text = line.substr(9, 44);
    return text;
  };
  ::setenv("ARTERY_KEY", (b64(a) + "," + b64(b)).c_str(), 1);
  std::string error;
  auto loaded = crypto::load_value_keys(dir.path() / "unused.key", error);
  REQUIRE(loaded);
  CHECK(loaded->from_environment);
  CHECK(loaded->source == "ARTERY_KEY");
  REQUIRE(loaded->keys->keys.size() == 2);
  CHECK(loaded->keys->current().secret == a.secret);
  CHECK(loaded->keys->current().id == a.id);  // derived from the key: stable across restarts
  CHECK_FALSE(std::filesystem::exists(dir.path() / "unused.key"));

  ::setenv("ARTERY_KEY", "c2hvcnQ=", 1);
  CHECK_FALSE(crypto::load_value_keys(dir.path() / "unused.key", error));
  CHECK(error.find("ARTERY_KEY") != std::string::npos);
  CHECK(error.find("32 bytes") != std::string::npos);
}

TEST_CASE("key source: a key file is created 0600 on first start and read back after", "[cipher]") {
  NoEnvironmentKey scope;
  TempDir dir("artery-keys");
  const auto file = dir.path() / "secrets" / "artery.key";
  std::string error;
  auto first = crypto::load_value_keys(file, error);
  REQUIRE(first);
  CHECK(first->created);
  struct stat info {};
  REQUIRE(::stat(file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  auto second = crypto::load_value_keys(file, error);
  REQUIRE(second);
  CHECK_FALSE(second->created);
  CHECK(second->keys->current().secret == first->keys->current().secret);
  CHECK(second->keys->current().id == first->keys->current().id);

  // Several keys with ids, one current (not necessarily the first line).
  ValueCipher::Keys two;
  two.keys = {crypto::generate_value_key(), first->keys->current()};
  REQUIRE(crypto::write_key_file(file, two, error));
  REQUIRE(::stat(file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  auto third = crypto::load_value_keys(file, error);
  REQUIRE(third);
  REQUIRE(third->keys->keys.size() == 2);
  CHECK(third->keys->current().id == two.keys[0].id);
  CHECK(third->keys->find(first->keys->current().id));
}

TEST_CASE("key source: a readable or malformed key file is refused with its name", "[cipher]") {
  NoEnvironmentKey scope;
  TempDir dir("artery-keys");
  const auto file = dir.path() / "artery.key";
  std::string error;
  REQUIRE(crypto::load_value_keys(file, error));
  ::chmod(file.c_str(), 0644);
  CHECK_FALSE(crypto::load_value_keys(file, error));
  CHECK(error.find(file.string()) != std::string::npos);
  CHECK(error.find("chmod 600") != std::string::npos);

  for (const std::string& body : {std::string("zz notbase64\n"), std::string("0000000a c2hvcnQ=\n"),
                                  std::string("# only a comment\n"),
                                  std::string("0000000a AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= current\n"
                                              "0000000b AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= current\n")}) {
    {
      std::ofstream out(file, std::ios::trunc);
      out << body;
    }
    ::chmod(file.c_str(), 0600);
    CHECK_FALSE(crypto::load_value_keys(file, error));
    CHECK(error.find("key file " + file.string()) != std::string::npos);
  }
}

TEST_CASE("siphash: the reference test vector", "[cipher]") {
  std::array<unsigned char, 16> key{};
  for (int i = 0; i < 16; ++i) key[static_cast<std::size_t>(i)] = static_cast<unsigned char>(i);
  std::string message;
  for (int i = 0; i < 15; ++i) message += static_cast<char>(i);
  CHECK(crypto::siphash24(key, message) == 0xa129ca6149be45e5ULL);
  CHECK(crypto::siphash24(key, "") == 0x726fdb47dd0e0e31ULL);
}

// keyed_terms::document hashes only the part of `transformed` that differs
// from `raw`; its output must still be the words of both. Joining the two
// with a space gives that union by another path.
TEST_CASE("keyed terms: a document holds the words of raw and transformed, however they differ", "[cipher]") {
  const ValueKey key = crypto::generate_value_key();
  std::mt19937 random(20261201);
  const char alphabet[] = "aZ9|^ \r-xY";
  for (int i = 0; i < 20000; ++i) {
    std::string raw = kHl7.substr(0, random() % (kHl7.size() + 1)), transformed = raw;
    for (int edits = static_cast<int>(random() % 4); edits > 0; --edits) {
      std::string& text = random() % 2 ? raw : transformed;
      const std::size_t at = random() % (text.size() + 1);
      switch (random() % 3) {
        case 0: text.insert(at, 1, alphabet[random() % 10]); break;
        case 1: if (at < text.size()) text.erase(at, 1 + random() % 5); break;
        default: if (at < text.size()) text[at] = alphabet[random() % 10];
      }
    }
    INFO("raw [" << raw << "] transformed [" << transformed << "]");
    REQUIRE(keyed_terms::document(key, raw, transformed) == keyed_terms::document(key, raw + " " + transformed, ""));
  }
  CHECK(keyed_terms::document(key, "", "").empty());
  CHECK(keyed_terms::document(key, "Smith", "SMITH") == keyed_terms::document(key, "smith", ""));
}
