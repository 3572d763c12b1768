// The smallest complete Artery plugin: one destination, `type: stamp`, that
// appends each message to a file as one line behind a stamp, e.g.
//
//   destinations:
//     - name: audit
//       type: stamp
//       path: stamped.log                  # relative to the channel file
//       stamp: "${source.remote:-local}"    # a template, per message
//
// It shows the whole contract (docs/plugins.md): an OptionSpec table the
// engine checks the YAML against, the typed OptionReader, a factory that
// throws nothing across the boundary, a send that ends as sent, retry or
// rejected, and the descriptor with its build fingerprint. The tests build
// it and run it in a channel (tests/integration/example_plugin_test.cpp).
#include <artery/option_reader.hpp>
#include <artery/plugin.hpp>

#include <fstream>
#include <mutex>

namespace {

const artery::OptionSpec kOptions[] = {
    {"path", "string", nullptr, true, "File the stamped lines are appended to (relative to the channel file)"},
    {"stamp", "string", "stamp", false, "Template written before each message, e.g. ${source.remote:-local}"},
};

class StampDestination final : public artery::Destination {
 public:
  StampDestination(std::filesystem::path path, std::string stamp) : path_(std::move(path)), stamp_(std::move(stamp)) {}

  void send(artery::OutboundMessage message, std::function<void(artery::SendResult)> done) override {
    std::string problem;
    auto stamp = artery::expand_template(stamp_, message.vars, &problem);
    // A template that cannot expand fails the same way for every retry: permanent.
    if (!stamp) return done({artery::SendResult::Status::rejected, {}, "stamp: " + problem});
    std::string line = *stamp + " " + message.content;
    for (char& c : line)
      if (c == '\r' || c == '\n') c = ' ';
    std::lock_guard lock(mutex_);
    std::ofstream out(path_, std::ios::app | std::ios::binary);
    out << line << '\n';
    out.flush();
    // A full disk or a missing folder may clear up: let the engine retry.
    if (!out) return done({artery::SendResult::Status::retry, {}, "cannot append to " + path_.string()});
    done({artery::SendResult::Status::sent, "stamped", {}});
  }

 private:
  std::filesystem::path path_;
  std::string stamp_;
  std::mutex mutex_;
};

std::unique_ptr<artery::Destination> make_destination(const artery::ConnectorOptions& options,
                                                      artery::ConnectorContext& context, std::string& error) noexcept {
  return artery::guarded_create(error, [&]() -> std::unique_ptr<artery::Destination> {
    artery::OptionReader read(options, kOptions, std::size(kOptions));
    auto path = read.path("path", context.base_dir());
    auto stamp = read.string("stamp");
    if (std::string bad = artery::check_template(stamp); !bad.empty()) read.fail("stamp", bad);
    if (!read.ok()) {
      error = read.error();
      return nullptr;
    }
    return std::make_unique<StampDestination>(std::move(path), std::move(stamp));
  });
}

}  // namespace

ARTERY_PLUGIN_EXPORT const artery::PluginDescriptor* artery_plugin_v1() noexcept {
  static const artery::PluginDescriptor descriptor{
      artery::kApiMajor,
      artery::kApiMinor,
      &artery::kBuildFingerprint,  // checked by the loader before anything else is called
      "stamp",
      "1.0.0",
      "Example: appends each message to a file as one line behind a stamp",
      nullptr,  // no source, so no source data type
      nullptr,
      0,
      kOptions,
      std::size(kOptions),
      nullptr,  // no source
      &make_destination,
  };
  return &descriptor;
}
