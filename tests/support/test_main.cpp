// The doctest main of every kcube test executable.
//
// ctest runs each TEST_CASE on its own through a name filter (doctest_discover_tests). A filter
// that matches nothing (say, a name CMake split at a ';') would "pass" with zero cases run, so
// this main fails when a run with a test-case filter executed no test case.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstring>
#include <iostream>

namespace {

int g_cases_run = 0;

struct CountingListener : doctest::IReporter {
  explicit CountingListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override { ++g_cases_run; }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("kcube-case-counter", 1, CountingListener);

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context;
  context.applyCommandLine(argc, argv);
  const int result = context.run();
  if (context.shouldExit())
    return result;
  bool filtered = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strstr(argv[i], "-test-case=") != nullptr || std::strstr(argv[i], "-tc=") != nullptr) {
      filtered = true;
    }
  }
  if (filtered && g_cases_run == 0) {
    std::cerr << "error: the test-case filter matched no test case (a name with ';' or ',' that "
                 "ctest split?)\n";
    return 1;
  }
  return result;
}
