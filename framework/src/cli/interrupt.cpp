#include "cli/interrupt.hpp"

#include <csignal>

namespace kcube::cli {
namespace {

std::atomic<int> signal_number{0};
std::atomic<bool> stop_flag{false};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

void on_interrupt(int signal) {
  int none = 0;
  if (!signal_number.compare_exchange_strong(none, signal)) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  stop_flag.store(true);
}

}  // namespace

const std::atomic<bool>& interrupted() {
  return stop_flag;
}

int interrupt_signal() {
  return signal_number.load();
}

InterruptHandlers::InterruptHandlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, nullptr, &old_int_);
  ::sigaction(SIGTERM, nullptr, &old_term_);
  if (old_int_.sa_handler != SIG_IGN)
    ::sigaction(SIGINT, &action, nullptr);
  if (old_term_.sa_handler != SIG_IGN)
    ::sigaction(SIGTERM, &action, nullptr);
}

InterruptHandlers::~InterruptHandlers() {
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
}

}  // namespace kcube::cli
