// Running a command-line tool from a test as a user runs it: one shell command line in, its
// exit code, stdout and stderr out (captured through files in a folder of the test's).
#ifndef TQ_TESTS_CLI_TEST_UTIL_H_
#define TQ_TESTS_CLI_TEST_UTIL_H_

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace tq::testing {

struct CliRun {
  int code = -1;  // -1 if the process did not exit normally (a crash)
  std::string out;
  std::string err;
};

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Runs `command_line` through the shell; `dir` receives the stdout and stderr files.
inline CliRun RunCli(const std::string& command_line, const std::string& dir) {
  const std::string out = dir + "/stdout", err = dir + "/stderr";
  const int status = std::system((command_line + " >" + out + " 2>" + err).c_str());
  CliRun run;
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = ReadText(out);
  run.err = ReadText(err);
  return run;
}

}  // namespace tq::testing

#endif  // TQ_TESTS_CLI_TEST_UTIL_H_
