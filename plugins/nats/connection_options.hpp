// The connection options every nats connector accepts (servers, TLS,
// authentication, reconnects), as one OptionSpec table to splice into a
// connector's table, and their reader. The engine's `cluster:` block can
// read the same keys with the same reader.
#pragma once
#include "nats_connection.hpp"

#include <artery/option_reader.hpp>
#include <artery/options.hpp>

#include <array>
#include <cstddef>
#include <filesystem>

namespace artery::nats {

inline constexpr auto kConnectionOptions = std::to_array<OptionSpec>({
    {"servers", "list", "nats://127.0.0.1:4222", false,
     "NATS server URLs (nats:// or tls://), any of the cluster: the client learns the others"},
    {"name", "string", "", false, "Connection name shown by the server (default: artery <channel>/<connector>)"},
    {"user", "string", "", false, "User name (with password)"},
    {"password", "string", "", false, "Password of user"},
    {"token", "string", "", false, "Authentication token"},
    {"nkey", "string", "", false, "Public NKey (U...) of the user, with nkey_seed"},
    {"nkey_seed", "file", "", false, "File holding the NKey seed (SU...) that signs the server's challenge"},
    {"credentials", "file", "", false, "Credentials file (.creds: user JWT and NKey seed), for decentralized auth"},
    {"tls", "map", nullptr, false, "TLS settings"},
    {"tls.enabled", "bool", "false", false, "Connect with TLS (also implied by a tls:// URL or tls.ca)"},
    {"tls.ca", "file", "", false, "PEM CA bundle to verify the server (default: the system store)"},
    {"tls.cert", "file", "", false, "PEM client certificate (chain), when the server asks for one"},
    {"tls.key", "file", "", false, "PEM private key of tls.cert"},
    {"tls.verify", "bool", "true", false, "Verify the server's certificate and host name"},
    {"tls.server_name", "string", "", false, "Host name the certificate must carry (default: the URL's host)"},
    {"connect_timeout", "duration", "5s", false, "Give up one connection attempt after this long"},
    {"max_reconnect", "int", "-1", false, "Reconnect attempts after losing the connection (-1: forever, 0: never)"},
    {"reconnect_wait", "duration", "1s", false,
     "First wait before reconnecting, doubled per failed attempt up to max_reconnect_wait, plus reconnect_jitter"},
    {"max_reconnect_wait", "duration", "30s", false, "Longest wait between reconnect attempts"},
});
// Split in two only so each table stays readable.
inline constexpr auto kConnectionTimingOptions = std::to_array<OptionSpec>({
    {"reconnect_jitter", "duration", "500ms", false, "Random extra wait (0..this) per reconnect attempt"},
    {"request_timeout", "duration", "5s", false, "Wait for a JetStream API answer or a publish acknowledgement"},
});

// `connector` names the connection for the server ("artery orders/source").
ConnectionSettings read_connection_settings(OptionReader& in, const std::filesystem::path& base_dir,
                                            const std::string& default_name);

// A connector's table: the connection's keys, then its own.
template <std::size_t N>
constexpr std::array<OptionSpec, kConnectionOptions.size() + kConnectionTimingOptions.size() + N> with_connection_options(
    const std::array<OptionSpec, N>& own) {
  std::array<OptionSpec, kConnectionOptions.size() + kConnectionTimingOptions.size() + N> all{};
  std::size_t i = 0;
  for (const auto& spec : kConnectionOptions) all[i++] = spec;
  for (const auto& spec : kConnectionTimingOptions) all[i++] = spec;
  for (const auto& spec : own) all[i++] = spec;
  return all;
}

}  // namespace artery::nats
