// The background pass that brings every stored value under the current key:
// after encryption is turned on for a store written without it, and after a
// key rotation (`artery key rotate`). It walks the messages in chunks through
// the store writer (store_key_pass.cpp), so live traffic and the pass share
// the writer's transactions and never write a row at once; then the kv
// values; then it waits for the stores outside ours that reported sealing
// with this cipher (a plugin's repository: SealedStores) to report the
// current key; then it forgets the old keys: their check values leave the
// store, and, for a rotation, the key file is rewritten with the new key only.
#pragma once
#include "crypto/key_source.hpp"
#include "store/message_store.hpp"
#include "store/seal_gate.hpp"
#include "store/sealed_stores.hpp"
#include "store/store_writer.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <thread>

namespace artery {

class KeyPass {
 public:
  struct Parts {
    StoreWriter& writer;
    ValueCipher& cipher;
    // Held shared by whoever seals and submits a write; exclusively to swap
    // keys, so no write sealed with the old key is submitted after the pass starts.
    SealGate& gate;
    std::filesystem::path db;
    std::filesystem::path key_file;
    bool keys_from_environment = false;
    std::function<std::int64_t()> count_messages;
    std::function<std::int64_t()> highest_id;
  };
  explicit KeyPass(Parts parts);
  ~KeyPass();  // stops a running pass (it resumes at the next start) and joins
  KeyPass(const KeyPass&) = delete;
  KeyPass& operator=(const KeyPass&) = delete;

  // Starts the pass ("encrypt": plain values found at start; "rotate").
  void start(std::string reason);
  bool rotate(std::string& error);
  KeyPassStatus status() const;
  bool wait(std::chrono::milliseconds timeout);

 private:
  void run();
  void fail(const std::string& error);
  template <class Op>
  std::string submit_and_wait(Op op);

  // True when every outside store reports the current key; false when stopping.
  bool wait_for_outside_stores(std::uint32_t current);

  Parts parts_;
  SealedStores sealed_stores_;
  mutable std::mutex mutex_;
  std::condition_variable finished_;
  KeyPassStatus status_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace artery
