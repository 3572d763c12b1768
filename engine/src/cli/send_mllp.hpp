#pragma once

namespace artery::cli {
// artery send mllp HOST:PORT FILE... [--repeat N|forever] [--interval 1s] [--connections C] [--timeout 30s]
int send_mllp(int argc, char** argv);
}  // namespace artery::cli
