// The tq-bench subcommands; each parses its own flags (defined in its own .cc file, which is
// also what `tq-bench COMMAND --help` lists) and returns the process exit code.
#ifndef TQ_TOOLS_BENCH_COMMANDS_H_
#define TQ_TOOLS_BENCH_COMMANDS_H_

namespace tq::bench {

// Exit codes shared by the tools: 0 ok, 1 bad input (files, data), 2 usage (flags).
inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 1;
inline constexpr int kExitUsage = 2;

int RunDistortion(int argc, char** argv);
int RunSubset(int argc, char** argv);
int RunRecall(int argc, char** argv);

}  // namespace tq::bench

#endif  // TQ_TOOLS_BENCH_COMMANDS_H_
