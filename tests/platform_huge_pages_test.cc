// HugePageMemory: whole 2 MB pages, 2 MB aligned, zero-filled, writable, and moved not copied.
#include "platform/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

namespace tq {
namespace {

TEST(HugePageMemoryTest, RoundsUpAlignsAndZeroFills) {
  for (size_t bytes : {size_t{1}, kHugePageBytes - 1, kHugePageBytes, 3 * kHugePageBytes + 5}) {
    HugePageMemory memory(bytes);
    ASSERT_NE(memory.data(), nullptr) << bytes;
    EXPECT_EQ(memory.size() % kHugePageBytes, 0u);
    EXPECT_GE(memory.size(), bytes);
    EXPECT_LT(memory.size(), bytes + kHugePageBytes);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(memory.data()) % kHugePageBytes, 0u);
    uint8_t any = 0;
    for (size_t i = 0; i < memory.size(); i += 4096) any |= memory.data()[i];
    EXPECT_EQ(any, 0);
    memory.data()[0] = 1;
    memory.data()[memory.size() - 1] = 2;  // the whole rounded size is usable
    EXPECT_EQ(memory.data()[memory.size() - 1], 2);
  }
}

TEST(HugePageMemoryTest, EmptyAndMoves) {
  HugePageMemory empty(0);
  EXPECT_EQ(empty.data(), nullptr);
  EXPECT_EQ(empty.size(), 0u);
  HugePageMemory a(100);
  uint8_t* data = a.data();
  data[7] = 42;
  HugePageMemory b(std::move(a));
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(b.data(), data);
  EXPECT_EQ(b.data()[7], 42);
  HugePageMemory c(10);
  c = std::move(b);  // c's own mapping is released
  EXPECT_EQ(c.data(), data);
  EXPECT_EQ(b.size(), 0u);
}

}  // namespace
}  // namespace tq
