// Loopback TCP for tests and benchmarks: a free port, a connected socket.
#pragma once
#include <string>

namespace artery::testing {

// A port nothing listens on right now (the tiny race is accepted in tests).
int free_port();
// A blocking TCP socket connected to 127.0.0.1:port with TCP_NODELAY, or -1.
int connect_loopback(int port);
// Sends `bytes` to 127.0.0.1:port as a plaintext client and returns what came
// back until the peer closed or said nothing for `quiet_ms`: "" when it
// closed at once or stayed silent (a TLS-only port, for example).
std::string exchange_plaintext(int port, const std::string& bytes, int quiet_ms = 3000);

}  // namespace artery::testing
