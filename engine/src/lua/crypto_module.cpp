// The `crypto` module (OpenSSL): sha256, hmac_sha256, base64, random_bytes.
#include "lua/modules.hpp"
#include "lua/sandbox_state.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace artery::lua {
namespace {

void push_hex(lua_State* L, const unsigned char* data, std::size_t size) {
  static const char* digits = "0123456789abcdef";
  char text[2 * EVP_MAX_MD_SIZE];
  for (std::size_t i = 0; i < size; ++i) {
    text[2 * i] = digits[data[i] >> 4];
    text[2 * i + 1] = digits[data[i] & 15];
  }
  lua_pushlstring(L, text, 2 * size);
}

int crypto_sha256(lua_State* L) {
  const std::string_view data = check_string_view(L, 1);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  push_hex(L, digest, sizeof digest);
  return 1;
}

int crypto_hmac_sha256(lua_State* L) {
  const std::string_view key = check_string_view(L, 1);
  const std::string_view data = check_string_view(L, 2);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), digest, &size))
    return luaL_error(L, "crypto.hmac_sha256 failed");
  push_hex(L, digest, size);
  return 1;
}

int crypto_base64_encode(lua_State* L) {
  const std::string_view data = check_string_view(L, 1);
  luaL_Buffer buffer;
  const std::size_t size = 4 * ((data.size() + 2) / 3);
  char* out = luaL_buffinitsize(L, &buffer, size + 1);
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out),
                                      reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  luaL_pushresultsize(&buffer, static_cast<std::size_t>(written));
  return 1;
}

// Accepts standard base64 with or without padding and ignores whitespace.
int crypto_base64_decode(lua_State* L) {
  const std::string_view input = check_string_view(L, 1);
  static signed char table[256];
  static const bool ready = [] {
    for (auto& v : table) v = -1;
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
    return true;
  }();
  (void)ready;
  luaL_Buffer buffer;
  char* out = luaL_buffinitsize(L, &buffer, input.size() / 4 * 3 + 3);
  std::size_t written = 0;
  unsigned bits = 0;
  int count = 0;
  bool padding = false;
  for (char c : input) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const int v = table[static_cast<unsigned char>(c)];
    if (v < 0 || padding) {
      lua_pushnil(L);
      lua_pushliteral(L, "crypto.base64_decode: invalid base64");
      return 2;
    }
    bits = (bits << 6) | static_cast<unsigned>(v);
    if (++count == 4) {
      out[written++] = static_cast<char>(bits >> 16);
      out[written++] = static_cast<char>(bits >> 8);
      out[written++] = static_cast<char>(bits);
      bits = 0;
      count = 0;
    }
  }
  if (count == 1) {
    lua_pushnil(L);
    lua_pushliteral(L, "crypto.base64_decode: truncated input");
    return 2;
  }
  if (count == 2) out[written++] = static_cast<char>(bits >> 4);
  if (count == 3) {
    out[written++] = static_cast<char>(bits >> 10);
    out[written++] = static_cast<char>(bits >> 2);
  }
  luaL_pushresultsize(&buffer, written);
  return 1;
}

int crypto_random_bytes(lua_State* L) {
  const lua_Integer n = luaL_checkinteger(L, 1);
  if (n < 0 || n > (1 << 20)) return luaL_error(L, "crypto.random_bytes: n must be between 0 and 1048576");
  luaL_Buffer buffer;
  char* out = luaL_buffinitsize(L, &buffer, static_cast<std::size_t>(n));
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out), static_cast<int>(n)) != 1)
    return luaL_error(L, "crypto.random_bytes: no randomness available");
  luaL_pushresultsize(&buffer, static_cast<std::size_t>(n));
  return 1;
}

}  // namespace

void open_crypto_module(lua_State* L) {
  static const luaL_Reg functions[] = {
      {"sha256", guarded<crypto_sha256>},
      {"hmac_sha256", guarded<crypto_hmac_sha256>},
      {"base64_encode", guarded<crypto_base64_encode>},
      {"base64_decode", guarded<crypto_base64_decode>},
      {"random_bytes", guarded<crypto_random_bytes>},
      {nullptr, nullptr},
  };
  luaL_newlib(L, functions);
  set_global_module(L, "crypto");
}

}  // namespace artery::lua
