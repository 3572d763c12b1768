#pragma once

namespace artery::cli {
// artery send systemone HOST:PORT --function F [--param K=V]... [--api-key K] [--rate D]
//                                 [--timeout D] [--raw] [--interactive]
int send_systemone(int argc, char** argv);
}  // namespace artery::cli
