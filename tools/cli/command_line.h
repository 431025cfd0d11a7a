// What a command of tq-index or tq-bench accepts and how its --help reads. Flags are Abseil flags
// defined once per tool; each command lists the ones that apply to it, and any other flag is a
// usage error (exit 2) rather than silently ignored.
#ifndef TQ_TOOLS_CLI_COMMAND_LINE_H_
#define TQ_TOOLS_CLI_COMMAND_LINE_H_

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace tq::cli {

// Exit codes: 0 ok, 1 bad input (files, data), 2 usage (flags).
inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 1;
inline constexpr int kExitUsage = 2;

struct FlagHelp {
  std::string name;   // as typed, with hyphens: "keep-vectors"
  std::string value;  // "FILE", "B", ... or empty for a boolean
  std::string help;   // one line, default included
};

struct CommandSpec {
  std::string program;  // "tq-index", "tq-bench"
  std::string name;
  std::string summary;  // one line, also listed by the tool's own usage
  std::string usage;    // the synopsis after "PROGRAM NAME "
  std::vector<FlagHelp> flags;
  std::string notes = "";  // printed after the flags when not empty
};

// Sets the flags in args[1..] (`--name=value`, `--name value`, `--bool`, `--nobool`; hyphens
// and underscores alike) after checking each against the command's list. Abseil's own parser
// exits with 1 on a bad value; here every usage problem is printed and returns false, so the
// tool exits with 2. `given`, if not null, receives the hyphenated names of the flags set, once
// each in the order first given, so that a command can tell a default from an explicit value.
bool ParseCommandFlags(const CommandSpec& spec, const std::vector<std::string>& args,
                       std::vector<std::string>* given = nullptr);

// True if `name` (hyphenated) is in `given` (from ParseCommandFlags).
bool WasGiven(const std::vector<std::string>& given, std::string_view name);

void PrintCommandHelp(const CommandSpec& spec, FILE* out);

// True if args hold --help, -h, --helpshort or --helpfull.
bool WantsHelp(const std::vector<std::string>& args);

}  // namespace tq::cli

#endif  // TQ_TOOLS_CLI_COMMAND_LINE_H_
