// The file destination against real folders: names from templates, append and
// overwrite, atomic replacement, unsafe names and I/O failures.
#include "../file_connectors.hpp"
#include "../file_destination.hpp"
#include "../file_option_specs.hpp"
#include "file_test_support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace file_test;
using artery::OutboundMessage;
using artery::SendResult;
using artery::file_connector::kDestinationOptionCount;
using artery::file_connector::kDestinationOptions;

namespace {

std::unique_ptr<artery::Destination> make_destination(
    TestContext& context, std::initializer_list<std::pair<std::string, std::string>> given) {
  std::string error;
  auto destination = artery::file_connector::create_destination(
      make_options(kDestinationOptions, kDestinationOptionCount, given), context, error);
  INFO(error);
  REQUIRE(destination);
  return destination;
}

SendResult send(artery::Destination& destination, std::string content,
                std::map<std::string, std::string> vars = {}) {
  OutboundMessage message;
  message.message_id = 1;
  message.content = std::move(content);
  message.vars = std::move(vars);
  SendResult result;
  int calls = 0;
  destination.send(std::move(message), [&](SendResult r) {
    result = std::move(r);
    ++calls;
  });
  CHECK(calls == 1);
  return result;
}

}  // namespace

TEST_CASE("file destination writes to a folder and name built from message variables") {
  TempDir tmp;
  TestContext context(tmp.path);
  auto destination = make_destination(context, {{"directory", "out/${ward}"}, {"filename", "patient_${id}.json"}});
  auto result = send(*destination, "{\"k\": 5.9}", {{"ward", "w7"}, {"id", "555444222"}});
  REQUIRE(result.status == SendResult::Status::sent);
  fs::path expected = tmp.path / "out" / "w7" / "patient_555444222.json";
  CHECK(result.response == expected.string());
  CHECK(read_text(expected) == "{\"k\": 5.9}");
}

TEST_CASE("file destination overwrite mode replaces the file, atomic or not") {
  for (const char* atomic : {"true", "false"}) {
    TempDir tmp;
    TestContext context(tmp.path);
    auto destination = make_destination(context, {{"directory", "out"}, {"filename", "latest.txt"}, {"atomic", atomic}});
    CHECK(send(*destination, "first version, longer").status == SendResult::Status::sent);
    CHECK(send(*destination, "second").status == SendResult::Status::sent);
    INFO("atomic: " << atomic);
    CHECK(read_text(tmp.path / "out" / "latest.txt") == "second");
    CHECK(names_in(tmp.path / "out") == std::vector<std::string>{"latest.txt"});
  }
}

TEST_CASE("file destination append mode adds each message and the separator, atomic or not") {
  for (const char* atomic : {"true", "false"}) {
    TempDir tmp;
    TestContext context(tmp.path);
    auto destination = make_destination(
        context, {{"directory", "out"}, {"filename", "${day}.log"}, {"mode", "append"}, {"separator", "\n"}, {"atomic", atomic}});
    for (const char* line : {"a|1", "b|2", "c|3"})
      CHECK(send(*destination, line, {{"day", "2026-11-21"}}).status == SendResult::Status::sent);
    INFO("atomic: " << atomic);
    CHECK(read_text(tmp.path / "out" / "2026-11-21.log") == "a|1\nb|2\nc|3\n");
    CHECK(names_in(tmp.path / "out") == std::vector<std::string>{"2026-11-21.log"});
  }
}

TEST_CASE("file destination non-atomic append follows a log that is rotated away or deleted") {
  TempDir tmp;
  TestContext context(tmp.path);
  auto destination = make_destination(
      context, {{"directory", "out"}, {"filename", "feed.log"}, {"mode", "append"}, {"separator", "\n"}, {"atomic", "false"}});
  const fs::path log = tmp.path / "out" / "feed.log";
  REQUIRE(send(*destination, "one").status == SendResult::Status::sent);
  fs::rename(log, tmp.path / "out" / "feed.log.1");  // as logrotate does
  REQUIRE(send(*destination, "two").status == SendResult::Status::sent);
  fs::remove(log);
  REQUIRE(send(*destination, "three").status == SendResult::Status::sent);
  REQUIRE(send(*destination, "four").status == SendResult::Status::sent);
  CHECK(read_text(tmp.path / "out" / "feed.log.1") == "one\n");
  CHECK(read_text(log) == "three\nfour\n");
}

TEST_CASE("file destination atomic writes leave no temporary files and keep permissions") {
  TempDir tmp;
  TestContext context(tmp.path);
  auto destination = make_destination(context, {{"directory", "out"}, {"filename", "f${n}.txt"}, {"fsync", "true"}});
  for (int i = 0; i < 20; ++i)
    REQUIRE(send(*destination, "content " + std::to_string(i), {{"n", std::to_string(i % 4)}}).status ==
            SendResult::Status::sent);
  CHECK(names_in(tmp.path / "out") == std::vector<std::string>{"f0.txt", "f1.txt", "f2.txt", "f3.txt"});
  CHECK(read_text(tmp.path / "out" / "f3.txt") == "content 19");

  fs::permissions(tmp.path / "out" / "f0.txt", fs::perms::owner_read | fs::perms::owner_write);
  REQUIRE(send(*destination, "again", {{"n", "0"}}).status == SendResult::Status::sent);
  CHECK(fs::status(tmp.path / "out" / "f0.txt").permissions() == (fs::perms::owner_read | fs::perms::owner_write));
}

TEST_CASE("file destination rejects names that would leave the folder") {
  TempDir tmp;
  TestContext context(tmp.path);
  auto by_name = make_destination(context, {{"directory", "out"}, {"filename", "${name}"}});
  for (const char* name : {"../escape.txt", "..", ".", "", "sub/x.txt", "/etc/passwd"}) {
    auto result = send(*by_name, "x", {{"name", name}});
    INFO("name: '" << name << "'");
    CHECK(result.status == SendResult::Status::rejected);
    CHECK_FALSE(result.error.empty());
  }
  auto by_folder = make_destination(context, {{"directory", "out/${ward}"}, {"filename", "x.txt"}});
  auto result = send(*by_folder, "x", {{"ward", "../../outside"}});
  CHECK(result.status == SendResult::Status::rejected);
  CHECK(result.error.find("ward") != std::string::npos);
  CHECK_FALSE(fs::exists(tmp.path / "escape.txt"));
  CHECK_FALSE(fs::exists(tmp.path.parent_path() / "outside"));
  // A name with dots inside is an ordinary name.
  CHECK(send(*by_name, "x", {{"name", "report..v2.txt"}}).status == SendResult::Status::sent);
}

TEST_CASE("file destination asks for a retry on I/O errors and succeeds once they are fixed") {
  TempDir tmp;
  TestContext context(tmp.path);
  write_file(tmp.path / "blocked", "a file where a folder is needed");
  auto destination = make_destination(context, {{"directory", "blocked/out"}, {"filename", "x.txt"}});
  auto result = send(*destination, "payload");
  CHECK(result.status == SendResult::Status::retry);
  CHECK(result.error.find("blocked") != std::string::npos);

  fs::remove(tmp.path / "blocked");
  CHECK(send(*destination, "payload").status == SendResult::Status::sent);
  CHECK(read_text(tmp.path / "blocked" / "out" / "x.txt") == "payload");

  // The target name taken by a folder: also transient from the engine's view.
  fs::create_directories(tmp.path / "blocked" / "out" / "dir.txt");
  auto in_the_way = make_destination(context, {{"directory", "blocked/out"}, {"filename", "dir.txt"}});
  auto failed = send(*in_the_way, "payload");
  CHECK(failed.status == SendResult::Status::retry);
  CHECK(names_in(tmp.path / "blocked" / "out") == std::vector<std::string>{"dir.txt", "x.txt"});
}

TEST_CASE("file destination with create_directories false retries until the folder exists") {
  TempDir tmp;
  TestContext context(tmp.path);
  auto destination = make_destination(
      context, {{"directory", "later"}, {"filename", "x.txt"}, {"create_directories", "false"}, {"atomic", "false"}});
  auto result = send(*destination, "payload");
  CHECK(result.status == SendResult::Status::retry);
  CHECK(result.error.find("does not exist") != std::string::npos);
  fs::create_directories(tmp.path / "later");
  CHECK(send(*destination, "payload").status == SendResult::Status::sent);
}

TEST_CASE("file destination reports bad templates and options with their location") {
  TempDir tmp;
  TestContext context(tmp.path);
  auto try_create = [&](std::initializer_list<std::pair<std::string, std::string>> given) {
    std::string error;
    auto d = artery::file_connector::create_destination(
        make_options(kDestinationOptions, kDestinationOptionCount, given), context, error);
    CHECK_FALSE(d);
    return error;
  };
  CHECK(try_create({{"directory", "out"}}) == "channel.yaml:3:3: filename: is required");
  CHECK(try_create({{"directory", "out"}, {"filename", "p_${id"}}) ==
        "channel.yaml:3:3: filename: unclosed ${ in template (at '${id')");
  CHECK(try_create({{"directory", "out"}, {"filename", "x"}, {"mode", "prepend"}}).find("mode") != std::string::npos);
  CHECK(try_create({{"directory", "out"}, {"filename", "x"}, {"atomic", "maybe"}}).find("atomic") != std::string::npos);
}

TEST_CASE("file destination append is in place by default: the file stays open, nothing is copied") {
  TempDir tmp;
  TestContext context(tmp.path);
  auto destination = make_destination(
      context, {{"directory", "out"}, {"filename", "all.log"}, {"mode", "append"}, {"separator", "\n"}});
  const fs::path log = tmp.path / "out" / "all.log";
  REQUIRE(send(*destination, "one").status == SendResult::Status::sent);
  struct stat before {};
  REQUIRE(::stat(log.c_str(), &before) == 0);
  for (int i = 0; i < 1000; ++i) REQUIRE(send(*destination, "m" + std::to_string(i)).status == SendResult::Status::sent);
  struct stat after {};
  REQUIRE(::stat(log.c_str(), &after) == 0);
  // Not replaced by a copy: the same file, grown.
  CHECK(after.st_ino == before.st_ino);
  std::string expected = "one\n";
  for (int i = 0; i < 1000; ++i) expected += "m" + std::to_string(i) + "\n";
  CHECK(read_text(log) == expected);
  // atomic: true still chooses the copying append, explicitly.
  auto atomic = make_destination(context, {{"directory", "out"}, {"filename", "copy.log"}, {"mode", "append"},
                                           {"separator", "\n"}, {"atomic", "true"}});
  REQUIRE(send(*atomic, "x").status == SendResult::Status::sent);
  REQUIRE(send(*atomic, "y").status == SendResult::Status::sent);
  CHECK(read_text(tmp.path / "out" / "copy.log") == "x\ny\n");
}

TEST_CASE("file destination append after a torn last record starts on a fresh separator") {
  TempDir tmp;
  TestContext context(tmp.path);
  // As a crash during a write leaves it: the last record cut short.
  write_file(tmp.path / "out" / "all.log", "first\nsecond, cut sh");
  auto destination = make_destination(
      context, {{"directory", "out"}, {"filename", "all.log"}, {"mode", "append"}, {"separator", "\n"}});
  REQUIRE(send(*destination, "second, cut short").status == SendResult::Status::sent);
  REQUIRE(send(*destination, "third").status == SendResult::Status::sent);
  CHECK(read_text(tmp.path / "out" / "all.log") == "first\nsecond, cut sh\nsecond, cut short\nthird\n");
  // A file that ends with the separator is continued as it is.
  write_file(tmp.path / "out" / "clean.log", "a\n");
  auto clean = make_destination(
      context, {{"directory", "out"}, {"filename", "clean.log"}, {"mode", "append"}, {"separator", "\n"}});
  REQUIRE(send(*clean, "b").status == SendResult::Status::sent);
  CHECK(read_text(tmp.path / "out" / "clean.log") == "a\nb\n");
}

TEST_CASE("file destination removes temporaries left by a dead engine, and only those") {
  TempDir tmp;
  TestContext context(tmp.path);
  const std::string own = ".artery-" + std::to_string(::getpid()) + "-77.tmp";
  // pid 999999999 is above any pid_max: no such process.
  for (const auto& name : {std::string(".artery-999999999-1.tmp"), std::string(".artery-999999999-2.tmp"), own,
                           std::string(".artery-notes.tmp"), std::string("keep.tmp"), std::string("a.txt")}) {
    write_file(tmp.path / "out" / name, "x");
    write_file(tmp.path / "out" / "w1" / name, "x");
  }
  auto fixed = make_destination(context, {{"directory", "out"}, {"filename", "a.txt"}});
  std::string error;
  REQUIRE(fixed->start(error));
  const std::vector<std::string> kept = {own, ".artery-notes.tmp", "a.txt", "keep.tmp", "w1"};
  CHECK(names_in(tmp.path / "out") == kept);
  // A templated folder is swept when first written to.
  auto templated = make_destination(context, {{"directory", "out/${ward}"}, {"filename", "b.txt"}});
  REQUIRE(templated->start(error));
  CHECK(names_in(tmp.path / "out" / "w1").size() == 6);
  REQUIRE(send(*templated, "b", {{"ward", "w1"}}).status == SendResult::Status::sent);
  CHECK(names_in(tmp.path / "out" / "w1") ==
        std::vector<std::string>{own, ".artery-notes.tmp", "a.txt", "b.txt", "keep.tmp"});
}
