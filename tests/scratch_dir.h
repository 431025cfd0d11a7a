// A fresh folder for one test: unique per process and per test name, so suites run in parallel
// by ctest never share files. The fixture removes it in TearDown.
#ifndef TQ_TESTS_SCRATCH_DIR_H_
#define TQ_TESTS_SCRATCH_DIR_H_

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace tq::testing {

// Creates TempDir()/<prefix>_<pid>_<test name> and returns its path.
inline std::string MakeScratchDir(const std::string& prefix) {
  const std::string dir = ::testing::TempDir() + "/" + prefix + "_" + std::to_string(::getpid()) +
                          "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace tq::testing

#endif  // TQ_TESTS_SCRATCH_DIR_H_
