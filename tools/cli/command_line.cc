// ParseCommandFlags, PrintCommandHelp and WantsHelp: one flag parser for every command of
// tq-index and tq-bench, over the Abseil flag registry.
#include "tools/cli/command_line.h"

#include <algorithm>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"

namespace tq::cli {

bool WantsHelp(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(), [](const std::string& a) {
    return a == "--help" || a == "-h" || a == "--helpshort" || a == "--helpfull";
  });
}

bool WasGiven(const std::vector<std::string>& given, std::string_view name) {
  return std::find(given.begin(), given.end(), name) != given.end();
}

bool ParseCommandFlags(const CommandSpec& spec, const std::vector<std::string>& args,
                       std::vector<std::string>* given) {
  const char* program = spec.program.c_str();
  const char* command = spec.name.c_str();
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      std::fprintf(stderr, "%s %s: unexpected argument '%s' (flags are --name=value)\n", program,
                   command, arg.c_str());
      return false;
    }
    const size_t start = arg.rfind("--", 0) == 0 ? 2 : 1;
    const size_t equals = arg.find('=');
    const size_t end = std::min(equals, arg.size());
    std::string name = arg.substr(start, end - start);
    std::replace(name.begin(), name.end(), '_', '-');
    auto known = [&](const std::string& n) {
      return std::any_of(spec.flags.begin(), spec.flags.end(),
                         [&](const FlagHelp& f) { return f.name == n; });
    };
    bool negated = false;
    if (!known(name) && name.rfind("no", 0) == 0 && known(name.substr(2))) {
      negated = true;
      name = name.substr(2);
    }
    std::string absl_name = name;
    std::replace(absl_name.begin(), absl_name.end(), '-', '_');
    absl::CommandLineFlag* flag = known(name) ? absl::FindCommandLineFlag(absl_name) : nullptr;
    if (flag == nullptr || (negated && !flag->IsOfType<bool>())) {
      std::fprintf(stderr, "%s %s: unknown flag '%s' (see %s %s --help)\n", program, command,
                   arg.c_str(), program, command);
      return false;
    }
    std::string value;
    if (flag->IsOfType<bool>()) {
      value = equals != std::string::npos ? arg.substr(equals + 1) : "true";
      if (negated) {
        if (equals != std::string::npos) {
          std::fprintf(stderr, "%s %s: '%s' takes no value\n", program, command, arg.c_str());
          return false;
        }
        value = "false";
      }
    } else if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      std::fprintf(stderr, "%s %s: flag '--%s' needs a value\n", program, command, name.c_str());
      return false;
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      std::fprintf(stderr, "%s %s: bad value '%s' for --%s: %s\n", program, command, value.c_str(),
                   name.c_str(), error.c_str());
      return false;
    }
    if (given != nullptr && !WasGiven(*given, name)) given->push_back(name);
  }
  return true;
}

void PrintCommandHelp(const CommandSpec& spec, FILE* out) {
  const char* program = spec.program.c_str();
  const char* command = spec.name.c_str();
  std::fprintf(out, "%s %s: %s\n\nusage: %s %s %s\n\nflags:\n", program, command,
               spec.summary.c_str(), program, command, spec.usage.c_str());
  for (const FlagHelp& f : spec.flags) {
    std::string left = "--" + f.name + (f.value.empty() ? "" : "=" + f.value);
    std::fprintf(out, "  %-24s %s\n", left.c_str(), f.help.c_str());
  }
  if (!spec.notes.empty()) std::fprintf(out, "\n%s\n", spec.notes.c_str());
}

}  // namespace tq::cli
