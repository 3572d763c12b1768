#include "cli/usage.hpp"

#include <cstdio>

namespace artery::cli {
namespace {

constexpr std::string_view kOverview = R"(usage: artery <command> [options]    (artery <command> --help for its options)

  run                  run the engine on the channels folder until SIGINT/SIGTERM
  validate [PATH...]   check channel files (default: the channels folder); exit 1 on error
  test [PATH...]       run the channels' tests: blocks offline
  send mllp HOST:PORT FILE...
                       send HL7 v2 files over MLLP and print each ACK
  send systemone HOST:PORT --function F
                       call a SystmOne client-integration function
  user add|passwd|list|remove
                       the admin API's users, on the store file (engine running or not)
  version              engine, plugin API and plugin versions

  On a running engine, through its admin API (--server URL, token in $ARTERY_TOKEN):
  channels             every channel's state and counters
  channel start|stop|pause|resume|redeploy NAME
                       act on one channel
  messages search|show|reprocess
                       find stored messages, show one, send them through again
  queue purge --channel C
                       end a channel's queued deliveries as ERROR
  reload [--channel NAME | --plugins]
                       reload changed channel files and scripts now, and say what changed
  key rotate|status    rotate the encryption key (re-seals in the background); its progress
)";

// The flags engine_settings() reads, shared by run, validate and test.
constexpr std::string_view kEngineFlagsHelp =
    "  --config FILE      engine settings (default: ./artery.yaml when it exists)\n"
    "  --channels DIR     the channels folder (default: ./channels)\n"
    "  --data DIR         the data folder: store and channel outputs (default: ./data)\n"
    "  --http ADDR        admin API and web console address (default: 127.0.0.1:8080; off: none)\n"
    "  --plugins DIR      plugin folder (default: plugins/ next to the binary)\n"
    "  --log-level L      debug, info, warn or error (default: info)\n";

constexpr std::string_view kRun =
    "usage: artery run [--config FILE] [--channels DIR] [--data DIR] [--http ADDR] [--plugins DIR] [--log-level L]\n"
    "\n"
    "Deploys every valid channel in the channels folder and serves until SIGINT/SIGTERM.\n"
    "Exits 1 when no channel could start. Changed channel files and scripts are reloaded\n"
    "as they are saved, and on SIGHUP (docs/reload.md).\n"
    "\n";

constexpr std::string_view kValidate =
    "usage: artery validate [PATH...] [--config FILE] [--channels DIR] [--plugins DIR]\n"
    "\n"
    "Checks channel files (files or folders; default: the channels folder) and prints\n"
    "every problem as file:line:col: message. Exits 1 when there is any.\n"
    "\n";

constexpr std::string_view kTest =
    "usage: artery test [PATH...] [--verbose] [--config FILE] [--channels DIR] [--plugins DIR]\n"
    "\n"
    "Runs the tests: blocks of the channels (default: the channels folder) offline:\n"
    "no sockets, no store. Exits 1 when a test fails or a channel is invalid.\n"
    "\n"
    "  --verbose          also show what scripts log (log.info, print)\n";

constexpr std::string_view kVersion =
    "usage: artery version [--plugins DIR]\n"
    "\n"
    "Prints the engine and plugin API versions and the plugins it would load.\n"
    "\n"
    "  --plugins DIR      plugin folder (default: plugins/ next to the binary)\n";

constexpr std::string_view kSend =
    "usage: artery send mllp HOST:PORT FILE... [options]\n"
    "       artery send systemone HOST:PORT --function F [options]\n"
    "\n"
    "A client for the connectors, built on the plugins' own destinations.\n"
    "artery send mllp --help, artery send systemone --help: their options.\n";

constexpr std::string_view kSendMllp =
    "usage: artery send mllp HOST:PORT FILE... [--repeat N|forever] [--interval 1s] [--connections C]\n"
    "                        [--timeout 30s] [--plugins DIR]\n"
    "\n"
    "Sends the HL7 v2 messages in FILE... (one per file, or a batch) and prints each ACK's\n"
    "code, control id and latency, then a summary. Exits 1 when a send failed.\n"
    "\n"
    "  --repeat N         send everything N times (or forever, until Ctrl-C); default 1\n"
    "  --interval D       pause after each message (250ms, 1s ...); default 0\n"
    "  --connections C    parallel connections, each sending everything; default 1\n"
    "  --timeout D        how long to wait for each ACK; default 30s\n"
    "  --plugins DIR      plugin folder (default: plugins/ next to the binary)\n";

constexpr std::string_view kSendSystemOne =
    "usage: artery send systemone HOST:PORT --function F [--param K=V]... [--api-key K] [--rate 1s]\n"
    "                             [--timeout 60s] [--raw] [--plugins DIR]\n"
    "       artery send systemone HOST:PORT --interactive [--api-key K]\n"
    "\n"
    "  --function F   the client-integration function (GetPatients, GetPatientRecord ...)\n"
    "  --param K=V    a FunctionParameters child; K may be a path (Identity/NHSNumber=...),\n"
    "                 an empty V gives an empty element (--param Filter/Medication=)\n"
    "  --api-key K    default: $ARTERY_SYSTEMONE_API_KEY, else the demo key artery-demo-key\n"
    "  --rate D       least time between requests (SystmOne serves 1/s); default 0 (off)\n"
    "  --timeout D    how long to wait for the response; default 60s\n"
    "  --raw          print the response as received, not indented\n"
    "  --interactive  a menu of the demo EPR's functions\n"
    "  --plugins DIR  plugin folder (default: plugins/ next to the binary)\n";

// The connection flags of every command that talks to the admin API.
constexpr std::string_view kApiFlags =
    "  --server URL       the engine's admin API (default: $ARTERY_SERVER, else http://127.0.0.1:8080)\n"
    "  --token-file FILE  a file holding the API token (default: the token in $ARTERY_TOKEN)\n"
    "  --ca FILE          the CA bundle that signed an https server's certificate (default: the system's)\n"
    "\n"
    "Exit codes: 0 done, 1 refused or failed (the server's reason on stderr), 2 usage.\n";

constexpr std::string_view kChannels =
    "usage: artery channels [--json] [--server URL] [--token-file FILE]\n"
    "\n"
    "Every deployed channel: state, received, filtered, queued, sent and errored counters,\n"
    "and messages received per second over the last 10 s. --json: the API's answer as is.\n"
    "\n";

constexpr std::string_view kChannel =
    "usage: artery channel start|stop|pause|resume|redeploy NAME [--json] [--server URL] [--token-file FILE]\n"
    "\n"
    "Acts on one channel and prints the state it is in afterwards. A stop or pause is\n"
    "remembered across redeploys and restarts; redeploy re-reads the channel's file.\n"
    "Needs an operator's token.\n"
    "\n";

constexpr std::string_view kReload =
    "usage: artery reload [--channel NAME | --plugins] [--json] [--server URL] [--token-file FILE]\n"
    "\n"
    "Asks the running engine to reload its channels folder now (what it does by itself\n"
    "when a file changes, and on SIGHUP): changed channels are checked, then redeployed;\n"
    "new files deployed; deleted ones undeployed; the others untouched. Waits for the\n"
    "reload and prints what it did. --channel NAME: redeploy that channel from its file.\n"
    "--plugins: reload the plugins folder. Exits 1 when a change was refused (the running\n"
    "version stays; the problems are printed as file:line:col). Needs an operator's token.\n"
    "\n";

constexpr std::string_view kKey =
    "usage: artery key rotate [--wait] [--json] [--server URL] [--token-file FILE]\n"
    "       artery key status [--json] [--server URL] [--token-file FILE]\n"
    "\n"
    "rotate: the running engine makes a new key current (written to its key file beside\n"
    "the old one), re-seals every stored value with it in the background, then drops the\n"
    "old key from the key file (docs/security.md, \"Encryption at rest\"). --wait follows\n"
    "the pass until it is done. status: the pass's progress. Needs an admin's token.\n"
    "\n";

constexpr std::string_view kMessages =
    "usage: artery messages search [filters] [--limit N] [--json]\n"
    "       artery messages show ID [--json]\n"
    "       artery messages reprocess ID... | --channel C [--status S] [--since 1h]\n"
    "\n"
    "artery messages search --help, show --help, reprocess --help: their options.\n"
    "\n";

constexpr std::string_view kMessagesSearch =
    "usage: artery messages search [--channel C] [--status S] [--since 1h] [--control-id X] [--patient-id P]\n"
    "                              [--text WORDS] [--limit N] [--json]\n"
    "\n"
    "Stored messages, newest first, without their content; every filter given must match.\n"
    "\n"
    "  --channel C        only this channel\n"
    "  --status S         RECEIVED, FILTERED, TRANSFORMED, QUEUED, SENT or ERROR (also --state)\n"
    "  --since T          an age (90s, 15m, 2h, 7d), an ISO 8601 time or epoch milliseconds\n"
    "  --control-id X     the HL7 message control id (MSH-10), exactly\n"
    "  --patient-id P     the patient id, exactly\n"
    "  --text WORDS       words in the content, each as a whole word, any case\n"
    "  --limit N          at most N messages, 1 to 10000; default 50\n"
    "  --json             {\"messages\": [...], \"more\": bool}, for scripts\n";

constexpr std::string_view kMessagesShow =
    "usage: artery messages show ID [--json]\n"
    "\n"
    "One message: its metadata, raw and transformed content (HL7 one segment a line),\n"
    "error, and each destination's state, sent content, response and error. Content\n"
    "needs an operator's token, and each view is recorded in the audit log.\n"
    "\n";

constexpr std::string_view kMessagesReprocess =
    "usage: artery messages reprocess ID... [--json]\n"
    "       artery messages reprocess --channel C [--status S] [--since T] [--json]\n"
    "\n"
    "Runs stored messages through their channel again, each as a new message linked to\n"
    "its original (which stays as it was); at most 10000 a call. Prints the new ids.\n"
    "Exits 1 when any could not be reprocessed (a stopped channel, say).\n"
    "\n"
    "  --channel C        the messages of this channel (needed without ids)\n"
    "  --status S         only those in this state, e.g. ERROR (also --state)\n"
    "  --since T          only those received since: 1h, 2026-12-01T10:00:00Z\n";

constexpr std::string_view kQueue =
    "usage: artery queue purge --channel C [--destination D] [--yes] [--json]\n"
    "\n"
    "Ends the channel's queued deliveries (of destination D, or of all) as ERROR\n"
    "\"purged by <user>\": nothing vanishes, the messages stay searchable and can be\n"
    "reprocessed. Asks for confirmation unless --yes. Needs an operator's token.\n"
    "\n";
constexpr std::string_view kUser =
    "usage: artery user add NAME --role viewer|operator|admin [--password-stdin]\n"
    "       artery user passwd NAME [--password-stdin]\n"
    "       artery user list\n"
    "       artery user remove NAME\n"
    "\n"
    "Manages the users of the admin API and console in the store (data/artery.db),\n"
    "whether the engine is running or not. Roles: viewer (states and counters),\n"
    "operator (also start/stop/reprocess and message content), admin (also users).\n"
    "passwd ends the user's sessions; remove also revokes his API tokens; the last\n"
    "admin cannot be removed. Passwords have at least 12 characters.\n"
    "\n"
    "  --role R           the new user's role (user add)\n"
    "  --password-stdin   read the password from the first line of stdin; without it\n"
    "                     the password is asked twice on the terminal, not echoed\n"
    "  --data DIR         the data folder holding artery.db (default: ./data)\n"
    "  --config FILE      take the data folder from this artery.yaml (default: ./artery.yaml)\n";

}  // namespace

std::string usage_of(std::string_view command) {
  if (command == "run") return std::string(kRun) + std::string(kEngineFlagsHelp);
  if (command == "validate") return std::string(kValidate) + std::string(kEngineFlagsHelp);
  if (command == "test") return std::string(kTest) + std::string(kEngineFlagsHelp);
  if (command == "version") return std::string(kVersion);
  if (command == "send") return std::string(kSend);
  if (command == "user" || command.rfind("user ", 0) == 0) return std::string(kUser);
  if (command == "send mllp") return std::string(kSendMllp);
  if (command == "send systemone") return std::string(kSendSystemOne);
  if (command == "channels") return std::string(kChannels) + std::string(kApiFlags);
  if (command == "channel") return std::string(kChannel) + std::string(kApiFlags);
  if (command == "reload") return std::string(kReload) + std::string(kApiFlags);
  if (command == "key" || command == "key rotate" || command == "key status") return std::string(kKey) + std::string(kApiFlags);
  if (command == "messages") return std::string(kMessages) + std::string(kApiFlags);
  if (command == "messages search") return std::string(kMessagesSearch) + "\n" + std::string(kApiFlags);
  if (command == "messages show") return std::string(kMessagesShow) + std::string(kApiFlags);
  if (command == "messages reprocess") return std::string(kMessagesReprocess) + "\n" + std::string(kApiFlags);
  if (command == "queue" || command == "queue purge") return std::string(kQueue) + std::string(kApiFlags);
  return std::string(kOverview);
}

int usage_error(std::string_view command, const std::string& message) {
  const std::string name(command);
  std::fprintf(stderr, "artery %s: %s\n(artery %s --help lists the options)\n", name.c_str(), message.c_str(),
               name.c_str());
  return 2;
}

bool asks_for_help(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word == "--help" || word == "-h") return true;
  }
  return false;
}

}  // namespace artery::cli
