// A SystmOne client-integration client for the command line: calls one
// function (or runs a menu of the demo EPR's functions) through the systemone
// plugin's own destination, so the CLI sends exactly what channels send, and
// prints the response.
#include "cli/send_systemone.hpp"

#include "cli/arguments.hpp"
#include "cli/connector_client.hpp"
#include "cli/usage.hpp"
#include "log/logger.hpp"

#include <artery/options.hpp>

#include <pugixml.hpp>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace artery::cli {
namespace {

constexpr const char* kDemoApiKey = "artery-demo-key";

struct Options {
  std::string remote;
  std::string function;
  std::vector<std::pair<std::string, std::string>> params;
  std::string api_key;
  std::string rate = "0";
  std::string timeout = "60s";
  std::string plugins;
  bool interactive = false;
  bool raw = false;
};

// XML element names as parameters may use them: letters, digits, '_', '-', '.', not starting with a digit.
bool valid_element_name(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

// argv after "send systemone"; --param repeats, so the shared parser (one value per flag) is not used.
std::optional<Options> parse_options(int argc, char** argv, std::string& error) {
  Options options;
  std::vector<std::string> positional;
  for (int i = 3; i < argc; ++i) {
    std::string word = argv[i];
    std::string value;
    bool has_value = false;
    if (word.rfind("--", 0) == 0) {
      if (auto eq = word.find('='); eq != std::string::npos) {
        value = word.substr(eq + 1);
        word.resize(eq);
        has_value = true;
      }
    } else {
      positional.push_back(word);
      continue;
    }
    if (word == "--interactive" || word == "--raw") {
      (word == "--raw" ? options.raw : options.interactive) = true;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        error = word + " needs a value";
        return std::nullopt;
      }
      value = argv[++i];
    }
    if (word == "--function") options.function = value;
    else if (word == "--api-key") options.api_key = value;
    else if (word == "--rate") options.rate = value;
    else if (word == "--timeout") options.timeout = value;
    else if (word == "--plugins") options.plugins = value;
    else if (word == "--param") {
      auto eq = value.find('=');
      if (eq == std::string::npos || eq == 0) {
        error = "--param takes K=V, got '" + value + "'";
        return std::nullopt;
      }
      std::string path = value.substr(0, eq);
      std::stringstream split(path);
      for (std::string name; std::getline(split, name, '/');)
        if (!valid_element_name(name)) {
          error = "bad parameter name '" + path + "': use element names separated by '/'";
          return std::nullopt;
        }
      if (path.back() == '/') {
        error = "bad parameter name '" + path + "': use element names separated by '/'";
        return std::nullopt;
      }
      options.params.emplace_back(std::move(path), value.substr(eq + 1));
    } else {
      error = "unknown option " + word;
      return std::nullopt;
    }
  }
  if (positional.size() != 1) {
    error = "give exactly one HOST:PORT";
    return std::nullopt;
  }
  options.remote = positional[0];
  if (!parse_address(options.remote)) {
    error = "'" + options.remote + "' is not HOST:PORT";
    return std::nullopt;
  }
  for (const auto& [flag, value] : {std::pair{"--rate", options.rate}, std::pair{"--timeout", options.timeout}}) {
    if (!parse_duration(value)) {
      error = std::string(flag) + " takes a duration like 1s or 250ms, got '" + value + "'";
      return std::nullopt;
    }
  }
  if (!options.interactive && options.function.empty()) {
    error = "--function is required (or use --interactive)";
    return std::nullopt;
  }
  if (options.api_key.empty()) {
    const char* env = std::getenv("ARTERY_SYSTEMONE_API_KEY");
    options.api_key = env && *env ? env : kDemoApiKey;
  }
  return options;
}

struct StringWriter : pugi::xml_writer {
  std::string text;
  void write(const void* data, size_t size) override { text.append(static_cast<const char*>(data), size); }
};

// A whole ClientIntegrationRequest naming the function; the destination fills
// in APIKey, DeviceID, DeviceVersion and RequestUID. Parameter paths share
// their leading elements (Identity/NHSNumber + Identity/PseudoNumber give one
// Identity); the last element is always new, so a repeated key repeats it.
std::optional<std::string> request_document(const std::string& function,
                                            const std::vector<std::pair<std::string, std::string>>& params,
                                            std::string& error) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("ClientIntegrationRequest");
  root.append_child("Function").text().set(function.c_str());
  root.append_child("FunctionVersion").text().set("1.0");
  pugi::xml_node parameters = root.append_child("FunctionParameters");
  for (const auto& [path, value] : params) {
    std::vector<std::string> names;
    std::stringstream split(path);
    for (std::string name; std::getline(split, name, '/');) names.push_back(name);
    pugi::xml_node at = parameters;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (!valid_element_name(names[i])) {
        error = "bad parameter name '" + path + "'";
        return std::nullopt;
      }
      const bool last = i + 1 == names.size();
      pugi::xml_node existing = last ? pugi::xml_node() : at.child(names[i].c_str());
      at = existing ? existing : at.append_child(names[i].c_str());
    }
    if (!value.empty()) at.text().set(value.c_str());
  }
  StringWriter writer;
  doc.save(writer, "", pugi::format_raw | pugi::format_no_declaration);
  return writer.text;
}

std::string pretty(const std::string& document) {
  pugi::xml_document doc;
  if (!doc.load_buffer(document.data(), document.size())) return document;
  StringWriter writer;
  doc.save(writer, "  ", pugi::format_indent);
  return writer.text;
}

class EprClient {
 public:
  EprClient(const PluginRegistry& plugins, const Options& options)
      : options_(options),
        client_(plugins, "systemone",
                {{"remote", options.remote},
                 {"api_key", options.api_key},
                 {"rate_limit", options.rate},
                 {"response_timeout", options.timeout},
                 {"connect_timeout", "5s"},
                 {"device_version", "artery send"}},
                "send-systemone") {}

  bool ok() const { return client_.ok(); }
  const std::string& error() const { return client_.error(); }

  // Sends one request and prints the outcome; true when the response is not an error.
  bool call(const std::string& function, const std::vector<std::pair<std::string, std::string>>& params) {
    std::string error;
    auto document = request_document(function, params, error);
    if (!document) {
      std::fprintf(stderr, "artery send systemone: %s\n", error.c_str());
      return false;
    }
    SendResult result = client_.send(*document, "xml");
    if (result.status == SendResult::Status::sent) {
      const std::string text = options_.raw ? result.response + "\n" : pretty(result.response);
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      return true;
    }
    if (!result.response.empty()) {
      const std::string text = options_.raw ? result.response + "\n" : pretty(result.response);
      std::fwrite(text.data(), 1, text.size(), stdout);
    }
    std::fprintf(stderr, "error: %s\n", result.error.empty() ? "the request failed" : result.error.c_str());
    std::fflush(stdout);
    return false;
  }

 private:
  const Options& options_;
  ConnectorClient client_;
};

// ---- the interactive menu ----

bool prompt(const std::string& question, std::string& answer) {
  std::printf("%s", question.c_str());
  std::fflush(stdout);
  if (!std::getline(std::cin, answer)) return false;
  while (!answer.empty() && (answer.back() == '\r' || answer.back() == ' ')) answer.pop_back();
  while (!answer.empty() && answer.front() == ' ') answer.erase(0, 1);
  return true;
}

// "9990000182" / "999 000 0182" name a patient by NHS number, anything else by PatientID.
std::pair<std::string, std::string> patient_parameter(const std::string& answer) {
  std::string digits;
  for (char c : answer)
    if (c != ' ' && c != '-') digits += c;
  const bool nhs = digits.size() == 10 && digits.find_first_not_of("0123456789") == std::string::npos;
  return nhs ? std::pair<std::string, std::string>{"NHSNumber", digits} : std::pair<std::string, std::string>{"PatientID", answer};
}

int interactive(EprClient& client, const std::string& remote) {
  static const char* kMenu =
      "\nSystmOne EPR at %s\n"
      "  1 get functions      2 all patients      3 search by last name\n"
      "  4 one patient        5 appointments      6 prescriptions\n"
      "  7 lab results        8 add patient       9 update patient\n"
      "  0 exit\n";
  for (;;) {
    std::printf(kMenu, remote.c_str());
    std::string choice;
    if (!prompt("choice> ", choice) || choice == "0" || choice == "q") return 0;
    std::vector<std::pair<std::string, std::string>> params;
    std::string answer;
    auto ask_patient = [&]() {
      if (!prompt("PatientID or NHS number: ", answer) || answer.empty()) return false;
      params.push_back(patient_parameter(answer));
      return true;
    };
    if (choice == "1") {
      client.call("GetFunctions", params);
    } else if (choice == "2") {
      client.call("GetPatients", params);
    } else if (choice == "3") {
      if (!prompt("Last name (or its start): ", answer) || answer.empty()) continue;
      client.call("GetPatients", {{"Surname", answer}});
    } else if (choice >= "4" && choice <= "7" && choice.size() == 1) {
      if (!ask_patient()) continue;
      static const char* kFunctions[] = {"GetPatient", "GetAppointments", "GetPrescriptions", "GetLabResults"};
      client.call(kFunctions[choice[0] - '4'], params);
    } else if (choice == "8") {
      static const std::pair<const char*, const char*> kFields[] = {
          {"FirstName", "First name"},         {"Surname", "Last name"},
          {"DateOfBirth", "Date of birth (YYYY-MM-DD)"}, {"Sex", "Sex (M/F/I/U)"},
          {"HouseNumber", "House number (optional)"},    {"Road", "Road (optional)"},
          {"Town", "Town (optional)"},         {"Postcode", "Postcode (optional)"},
          {"MobileTelephone", "Mobile (optional)"},      {"NHSNumber", "NHS number (blank: allocate one)"},
      };
      bool complete = true;
      for (const auto& [field, question] : kFields) {
        if (!prompt(std::string(question) + ": ", answer)) {
          complete = false;
          break;
        }
        if (!answer.empty()) params.emplace_back(field, answer);
      }
      if (complete) client.call("AddPatient", params);
    } else if (choice == "9") {
      if (!ask_patient()) continue;
      for (;;) {
        std::string field;
        if (!prompt("Field to change (e.g. Surname, Postcode, MobileTelephone; blank to finish): ", field) ||
            field.empty())
          break;
        if (!prompt("New value for " + field + ": ", answer)) break;
        params.emplace_back(field, answer);
      }
      if (params.size() > 1) client.call("UpdatePatient", params);
      else std::printf("nothing to change\n");
    } else {
      std::printf("choose 0-9\n");
    }
  }
}

}  // namespace

int send_systemone(int argc, char** argv) {
  std::string error;
  auto options = parse_options(argc, argv, error);
  if (!options) return usage_error("send systemone", error);
  logger::set_level(LogLevel::warn);
  PluginRegistry plugins;
  plugins.load_directory(options->plugins.empty() ? default_plugins_dir().string() : options->plugins);
  EprClient client(plugins, *options);
  if (!client.ok()) {
    std::fprintf(stderr, "artery send systemone: %s\n", client.error().c_str());
    return 1;
  }
  if (options->interactive) return interactive(client, options->remote);
  return client.call(options->function, options->params) ? 0 : 1;
}

}  // namespace artery::cli
