// PluginRegistry::reload_directory against real libraries: the test plugin's
// two builds swapped while other threads create, use and drop its connectors
// (and read schemas), and the engine's own plugins reloaded and unloaded.
// What "unloaded" means is checked where the loader keeps it: the unique
// copy must leave the process's link map.
#include "plugin/plugin_library.hpp"
#include "plugin/plugin_registry.hpp"
#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <future>
#include <thread>

using namespace artery;
using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kBuilds = fs::path(ARTERY_BUILD_DIR) / "test-plugins";

class TestContext final : public ConnectorContext {
 public:
  explicit TestContext(fs::path base) : base_(std::move(base)) {}
  const std::string& channel() const override { return name_; }
  const std::string& connector() const override { return name_; }
  void log(LogLevel, std::string_view) override {}
  std::optional<std::string> state_get(std::string_view) override { return std::nullopt; }
  void state_put(std::string_view, std::string_view) override {}
  fs::path base_dir() const override { return base_; }
  fs::path data_dir() const override { return base_; }

 private:
  std::string name_ = "test";
  fs::path base_;
};

ConnectorOptions path_option(const std::string& path) {
  ConnectorOptions options;
  options.tree.put("path", path);
  return options;
}

// Sends one message and returns the plugin's answer ("v1", "v2").
std::string send_one(Destination& destination, const std::string& content) {
  std::promise<SendResult> answer;
  destination.send({0, content, "text", {}, 1}, [&](SendResult r) { answer.set_value(std::move(r)); });
  return answer.get_future().get().response;
}

void put_build(const fs::path& plugins, int version) {
  fs::copy_file(kBuilds / ("versioned-v" + std::to_string(version) + ".so"), plugins / "versioned.so",
                fs::copy_options::overwrite_existing);
}

}  // namespace

TEST_CASE("plugin reload: builds swapped under concurrent use, each connector keeps its build, old ones unload",
          "[runtime][plugins][reload]") {
  TempDir dir("artery-registry-reload");
  const fs::path plugins = dir / "plugins";
  fs::create_directories(plugins);
  put_build(plugins, 1);
  PluginRegistry registry;
  registry.load_from_copies_in(dir / "copies");
  REQUIRE(registry.load_directory(plugins) == 1);
  auto first = registry.find("versioned");
  REQUIRE(first);
  CHECK(first->version == "1.0.0");
  const fs::path first_copy = first->copy;
  CHECK(first_copy.parent_path() == fs::absolute(dir / "copies"));
  CHECK(library_is_mapped(first_copy));
  first.reset();

  // Unchanged folder: nothing to do.
  auto nothing = registry.reload_directory();
  CHECK(nothing.ok());
  CHECK(nothing.changed().empty());

  // A connector made by build 1 keeps build 1 across the reload.
  TestContext context(dir.path());
  std::string error;
  auto held = registry.create_destination("versioned", path_option("held.log"), context, error);
  REQUIRE(held);
  REQUIRE(held->start(error));
  put_build(plugins, 2);
  auto swapped = registry.reload_directory();
  CHECK(swapped.ok());
  CHECK(swapped.replaced == std::vector<std::string>{"versioned"});
  CHECK(registry.find("versioned")->version == "2.0.0");
  CHECK(registry.find("versioned")->last_reload.detail == "replaced 1.0.0 by 2.0.0");
  CHECK(send_one(*held.connector, "still one") == "v1");
  REQUIRE(registry.retired().size() == 1);
  CHECK(registry.retired()[0].in_use);
  CHECK(library_is_mapped(first_copy));
  // Assigning a new connector over it destroys the old connector before its
  // library can go (a defaulted move-assignment would unload first, then run
  // the destructor from unmapped code).
  held = registry.create_destination("versioned", path_option("held.log"), context, error);
  REQUIRE(held);
  REQUIRE(held->start(error));
  CHECK(send_one(*held.connector, "now two") == "v2");
  CHECK_FALSE(library_is_mapped(first_copy));
  CHECK_FALSE(fs::exists(first_copy));
  CHECK(registry.retired().empty());
  held = {};

  // Many swaps while four threads create, use and drop connectors and read schemas.
  std::atomic<bool> running{true};
  std::atomic<int> used{0}, wrong{0};
  std::vector<std::thread> users;
  for (int t = 0; t < 4; ++t)
    users.emplace_back([&, t] {
      TestContext own(dir.path());
      while (running) {
        std::string problem;
        auto d = registry.create_destination("versioned", path_option("use-" + std::to_string(t) + ".log"), own,
                                             problem);
        if (!d || !d->start(problem)) {
          ++wrong;
          continue;
        }
        const std::string stamp = send_one(*d.connector, "x");
        if (stamp != "v1" && stamp != "v2") ++wrong;
        if (!registry.destination_schema("versioned") || registry.destination_schema("versioned")->options.empty())
          ++wrong;
        d->stop();
        ++used;
      }
    });
  std::vector<fs::path> copies;
  for (int i = 0; i < 20; ++i) {
    put_build(plugins, i % 2 == 0 ? 1 : 2);
    auto result = registry.reload_directory();
    CHECK(result.ok());
    CHECK(result.replaced == std::vector<std::string>{"versioned"});
    copies.push_back(registry.find("versioned")->copy);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  running = false;
  for (auto& u : users) u.join();
  CHECK(used > 0);
  CHECK(wrong == 0);
  // Only the build now published is in memory; every earlier copy is gone.
  CHECK(registry.retired().empty());
  for (std::size_t i = 0; i + 1 < copies.size(); ++i) {
    INFO(copies[i]);
    CHECK_FALSE(library_is_mapped(copies[i]));
  }
  CHECK(library_is_mapped(copies.back()));
  CHECK(registry.find("versioned")->version == "2.0.0");
}

TEST_CASE("plugin reload: a wrong fingerprint, a truncated file and a removed file leave the running build",
          "[runtime][plugins][reload]") {
  TempDir dir("artery-registry-refusal");
  const fs::path plugins = dir / "plugins";
  fs::create_directories(plugins);
  put_build(plugins, 1);
  PluginRegistry registry;
  registry.load_from_copies_in(dir / "copies");
  REQUIRE(registry.load_directory(plugins) == 1);
  const auto running_copy = registry.find("versioned")->copy;

  fs::copy_file(kBuilds / "versioned-v3-other-compiler.so", plugins / "versioned.so",
                fs::copy_options::overwrite_existing);
  auto refused = registry.reload_directory();
  CHECK_FALSE(refused.ok());
  REQUIRE(refused.refused.size() == 1);
  CHECK(refused.refused[0].file == plugins / "versioned.so");
  CHECK(refused.refused[0].reason.find("it was built with Clang") != std::string::npos);
  CHECK(refused.changed().empty());
  auto kept = registry.find("versioned");
  CHECK(kept->version == "1.0.0");
  CHECK(kept->copy == running_copy);
  CHECK_FALSE(kept->last_reload.ok);
  CHECK(kept->last_reload.detail.find("it was built with Clang") != std::string::npos);
  CHECK(registry.refused_files().size() == 1);
  kept.reset();  // a LoadedPlugin held is its library held
  // Asking again does not load the same refused bytes again.
  CHECK(registry.reload_directory().refused.empty());

  // Half a library (a copy caught mid-write): refused, still 1.0.0.
  const std::string whole = read_text(kBuilds / "versioned-v2.so");
  write_text(plugins / "versioned.so", whole.substr(0, whole.size() / 2));
  auto truncated = registry.reload_directory();
  REQUIRE(truncated.refused.size() == 1);
  CHECK(truncated.refused[0].reason.find("not a loadable library") != std::string::npos);
  CHECK(registry.find("versioned")->version == "1.0.0");

  // The running build's bytes put back: nothing to load, the refusal is gone.
  put_build(plugins, 1);
  auto restored = registry.reload_directory();
  CHECK(restored.ok());
  CHECK(restored.changed().empty());
  CHECK(registry.find("versioned")->last_reload.ok);
  CHECK(registry.refused_files().empty());
  CHECK(registry.find("versioned")->copy == running_copy);

  // Removed: the plugin stays loaded (channels may run on it).
  fs::remove(plugins / "versioned.so");
  auto removed = registry.reload_directory();
  CHECK(removed.ok());
  CHECK(removed.changed().empty());
  REQUIRE(registry.find("versioned"));
  CHECK(registry.find("versioned")->last_reload.detail == "its file was removed; the loaded version stays");
  // Back as build 2 under another name: it replaces the one whose file is gone.
  fs::copy_file(kBuilds / "versioned-v2.so", plugins / "versioned-2.so");
  auto renamed = registry.reload_directory();
  CHECK(renamed.replaced == std::vector<std::string>{"versioned"});
  CHECK(registry.find("versioned")->version == "2.0.0");
  CHECK_FALSE(library_is_mapped(running_copy));
  // And a second file with the same plugin is refused while the first is there.
  fs::copy_file(kBuilds / "versioned-v1.so", plugins / "versioned-again.so");
  auto duplicate = registry.reload_directory();
  REQUIRE(duplicate.refused.size() == 1);
  CHECK(duplicate.refused[0].reason.find("a plugin named 'versioned' is already loaded from") != std::string::npos);
  CHECK(registry.find("versioned")->version == "2.0.0");
}

TEST_CASE("plugin reload: the engine's own plugins reload and their old builds leave the process",
          "[runtime][plugins][reload]") {
  TempDir dir("artery-registry-real");
  const fs::path plugins = dir / "plugins";
  fs::create_directories(plugins);
  for (const auto& entry : fs::directory_iterator(ARTERY_PLUGIN_DIR))
    if (entry.path().extension() == ".so") fs::copy_file(entry.path(), plugins / entry.path().filename());
  PluginRegistry registry;
  registry.load_from_copies_in(dir / "copies");
  const int loaded = registry.load_directory(plugins);
  REQUIRE(loaded >= 4);
  std::vector<fs::path> old_copies;
  for (const auto& plugin : registry.plugins()) old_copies.push_back(plugin->copy);
  // A new build, as far as a reload can tell: the same library with a byte
  // appended (the loader ignores what follows the ELF's sections).
  for (const auto& entry : fs::directory_iterator(plugins)) {
    std::ofstream out(entry.path(), std::ios::app | std::ios::binary);
    out << '\n';
  }
  auto result = registry.reload_directory();
  CHECK(result.ok());
  CHECK(static_cast<int>(result.replaced.size()) == loaded);
  for (const auto& copy : old_copies) {
    INFO(copy << " (a plugin built without -fno-gnu-unique stays mapped)");
    CHECK_FALSE(library_is_mapped(copy));
  }
  CHECK(registry.retired().empty());
}
