// The real engine behind an MLLP listener, talked to over loopback as a
// sending system would: every public sample acknowledged, every malformed
// one refused while the listener keeps serving, and the lab-results channel
// writing its per-patient files.
#include "support/engine_process.hpp"
#include "support/loopback.hpp"

#include <artery/hl7.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

class MllpClient {
 public:
  explicit MllpClient(int port) : fd_(connect_loopback(port)) {
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~MllpClient() { ::close(fd_); }
  bool ok() const { return fd_ >= 0; }
  void send(const std::string& body) {
    std::string frame = "\x0b" + body + "\x1c\x0d";
    REQUIRE(::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(frame.size()));
  }
  // The next ACK frame's content, or "" on timeout.
  std::string receive() {
    for (;;) {
      auto end = buffer_.find("\x1c\x0d");
      if (end != std::string::npos) {
        auto start = buffer_.find('\x0b');
        std::string ack = buffer_.substr(start + 1, end - start - 1);
        buffer_.erase(0, end + 2);
        return ack;
      }
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return {};
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

struct Ack {
  std::string code, control_id;
};
Ack read_ack(const std::string& text) {
  auto ack = artery::hl7::Message::parse(text);
  if (!ack) return {};
  return {ack->get("MSA-1"), ack->get("MSA-2")};
}

const std::string kProbe = "MSH|^~\\&|TEST|T|ARTERY|A|20261121120000||ADT^A01|PROBE-1|P|2.5\rPID|1||42\r";

struct Listener {
  TempDir dir{"artery-mllp"};
  int port = free_port();
  std::unique_ptr<EngineProcess> engine;
  Listener() {
    write_text(dir / "channels/inbound.yaml",
               "name: inbound\nsource:\n  type: mllp\n  listen: 127.0.0.1:" + std::to_string(port) + "\n");
    engine = std::make_unique<EngineProcess>(
        std::vector<std::string>{"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
        dir / "engine.log");
    REQUIRE(engine->wait_for_log("running 1 of 1 channels"));
  }
};

}  // namespace

TEST_CASE("every public HL7 sample is acknowledged with its own control id", "[integration][mllp]") {
  Listener listener;
  MllpClient client(listener.port);
  REQUIRE(client.ok());
  int answered = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(ARTERY_FIXTURES) / "samples/hl7v2")) {
    if (entry.path().extension() != ".hl7") continue;
    const std::string text = read_text(entry.path());
    INFO(entry.path().filename().string());
    auto parts = artery::hl7::split_batch(text);
    REQUIRE(parts);
    auto first = artery::hl7::Message::parse(parts->front());
    REQUIRE(first);
    const bool batch = parts->size() > 1;
    std::string accept = first->get("MSH-15");
    accept.erase(0, accept.find_first_not_of(' '));
    accept.erase(accept.find_last_not_of(' ') + 1);
    client.send(text);
    if (!batch && (accept == "NE" || accept == "ER")) {
      // Asked for no acknowledgement on success: the next answer is the probe's.
      client.send(kProbe);
      CHECK(read_ack(client.receive()).control_id == "PROBE-1");
      continue;
    }
    auto ack = read_ack(client.receive());
    CHECK(ack.control_id == first->control_id());
    CHECK(ack.code == (!batch && accept == "AL" ? "CA" : "AA"));
    ++answered;
  }
  CHECK(answered >= 25);
  CHECK(listener.engine->stop(SIGTERM) == 0);
}

TEST_CASE("malformed HL7 is refused with AR or AE and the listener keeps serving", "[integration][mllp]") {
  Listener listener;
  MllpClient client(listener.port);
  REQUIRE(client.ok());
  for (const auto& entry : fs::directory_iterator(fs::path(ARTERY_FIXTURES) / "samples/hl7v2/malformed")) {
    INFO(entry.path().filename().string());
    const std::string text = read_text(entry.path());
    client.send(text);
    auto ack = read_ack(client.receive());
    CHECK((ack.code == "AR" || ack.code == "AE"));
    client.send(kProbe);
    CHECK(read_ack(client.receive()).code == "AA");
  }
  const std::string log = listener.engine->log();
  CHECK(log.find("HL7 parse error") != std::string::npos);
  CHECK(listener.engine->stop(SIGTERM) == 0);
}

TEST_CASE("lab-results-to-json keeps one file per patient, newest records first", "[integration][mllp]") {
  TempDir dir("artery-lab");
  const int port = free_port();
  const fs::path source = ARTERY_SOURCE_DIR;
  fs::create_directories(dir / "channels");
  std::string channel = read_text(source / "channels/lab-results-to-json.yaml");
  auto replace = [&](const std::string& from, const std::string& to) {
    auto at = channel.find(from);
    REQUIRE(at != std::string::npos);
    channel.replace(at, from.size(), to);
  };
  replace("0.0.0.0:2575", "127.0.0.1:" + std::to_string(port));
  replace("../scripts/oru_to_records.lua", (source / "scripts/oru_to_records.lua").string());
  replace("../scripts/patient_file_writer.lua", (source / "scripts/patient_file_writer.lua").string());

  write_text(dir / "channels/lab.yaml", channel.substr(0, channel.find("tests:")));

  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string()},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 1 of 1 channels"));
  std::string output;
  const fs::path examples = source / "examples/data";
  REQUIRE(run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(port), (examples / "oru_k_high.hl7").string(),
                      (examples / "oru_vitals_later.hl7").string(), (examples / "oru_glucose_normal.hl7").string()},
                     output) == 0);
  INFO(output);
  CHECK(output.find("MON0001") != std::string::npos);
  const fs::path jane = dir / "data/patients/patient_555444222.json";
  const fs::path david = dir / "data/patients/patient_777888999.json";
  REQUIRE(eventually([&] { return read_text(jane).find("8867-4") != std::string::npos && fs::exists(david); },
                     std::chrono::seconds(20)));
  const std::string file = read_text(jane);
  INFO(file);
  CHECK(file.find("\"Surname\": \"SMITH\"") != std::string::npos);
  CHECK(file.find("\"Sex\": \"F\"") != std::string::npos);
  CHECK(file.find("\"DateOfBirth\": \"19700412\"") != std::string::npos);
  // The heart rate (09:10) came later than the potassium (08:25): it is first.
  CHECK(file.find("8867-4") < file.find("2823-3"));
  CHECK(file.find("\"AbnormalFlags\": \"H\"") != std::string::npos);
  CHECK(read_text(david).find("\"ReferenceRange\": \"3.9-7.8\"") != std::string::npos);
  CHECK(engine.stop(SIGTERM) == 0);
}
