// Loopback TCP for tests and benchmarks: a free port, a connected socket.
#pragma once

namespace artery::testing {

// A port nothing listens on right now (the tiny race is accepted in tests).
int free_port();
// A blocking TCP socket connected to 127.0.0.1:port with TCP_NODELAY, or -1.
int connect_loopback(int port);

}  // namespace artery::testing
