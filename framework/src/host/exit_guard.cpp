#include "host/exit_guard.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <mutex>

namespace kcube {
namespace {

// The calls in progress on each thread, visible to the exit handler on any thread: an OpenMP
// worker or a thread the plugin started may call exit() while another thread is in the plugin.
// A thread takes a slot at its first plugin call and gives it back when it ends; a thread that
// finds none free is still guarded when it exits itself (t_innermost below).
struct alignas(64) Slot {  // one cache line each: threads store into their own slot per trial
  std::atomic<const PluginCallGuard*> innermost{nullptr};
  std::atomic<bool> taken{false};
};
constexpr std::size_t kSlots = 256;
std::array<Slot, kSlots> g_slots;

// The innermost call in progress on this thread (trivially destructible, so still readable
// while exit() runs this thread's thread_local destructors).
thread_local const PluginCallGuard* t_innermost = nullptr;

// The slot of this thread, looked up once per thread (the lease below, a thread_local with a
// destructor, costs an initialisation check at each use; this plain pointer does not).
thread_local bool t_leased = false;
thread_local Slot* t_slot = nullptr;

// This thread's slot (nullptr when none was free), given back when the thread ends.
struct SlotLease {
  Slot* slot = nullptr;
  SlotLease() {
    for (Slot& candidate : g_slots) {
      bool expected = false;
      if (candidate.taken.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
        slot = &candidate;
        break;
      }
    }
  }
  SlotLease(const SlotLease&) = delete;
  SlotLease& operator=(const SlotLease&) = delete;
  ~SlotLease() {
    t_slot = nullptr;  // a guard made later in this thread's end publishes nowhere
    if (slot != nullptr) {
      slot->innermost.store(nullptr, std::memory_order_release);
      slot->taken.store(false, std::memory_order_release);
    }
  }
};

Slot* own_slot() noexcept {
  if (!t_leased) {
    thread_local SlotLease lease;
    t_slot = lease.slot;
    t_leased = true;
  }
  return t_slot;
}

void publish(const PluginCallGuard* innermost) noexcept {
  if (Slot* slot = own_slot())
    slot->innermost.store(innermost, std::memory_order_release);
}

// A message built without allocating: the handler may run while another thread holds the
// allocator's lock. Too long a message is cut.
class Message {
 public:
  Message& operator<<(std::string_view text) {
    for (const char c : text) {
      if (size_ < buffer_.size())
        buffer_[size_++] = c;
    }
    return *this;
  }
  Message& operator<<(int value) {
    std::array<char, 12> digits{};
    std::size_t n = 0;
    // Negated as an unsigned: INT_MIN has no positive int.
    unsigned magnitude =
        value < 0 ? 0U - static_cast<unsigned>(value) : static_cast<unsigned>(value);
    do {
      digits[n++] = static_cast<char>('0' + magnitude % 10U);
      magnitude /= 10U;
    } while (magnitude != 0U);
    if (value < 0)
      *this << "-";
    while (n > 0)
      *this << std::string_view(&digits[--n], 1);
    return *this;
  }
  // write(2) to stderr: no stream, no lock.
  void write_to_stderr() const {
    std::size_t done = 0;
    while (done < size_) {
      const ssize_t n = ::write(STDERR_FILENO, buffer_.data() + done, size_ - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  std::array<char, 4096> buffer_{};
  std::size_t size_ = 0;
};

constexpr int kPluginExitStatus = 1;  // a plugin failing at run time, as for anything it throws
std::atomic<bool> g_stopping{false};

// Ends the process when a plugin call is in progress; returns otherwise. `status` is nullptr for
// quick_exit (its handlers are not told the status).
void stop_if_in_plugin(const char* function, const int* status) noexcept {
  const PluginCallGuard* call = t_innermost;
  const bool this_thread = call != nullptr;
  for (std::size_t i = 0; call == nullptr && i < kSlots; ++i)
    call = g_slots[i].innermost.load(std::memory_order_acquire);
  if (call == nullptr)
    return;  // kcube's own exit
  if (g_stopping.exchange(true))
    ::_exit(kPluginExitStatus);  // another thread is writing the message
  // The innermost call that says what it is (a generic guard may sit inside a named one).
  const PluginCallGuard* named = call;
  while (named != nullptr && named->call().empty())
    named = named->outer();
  const std::string_view what = named != nullptr ? named->call() : "a call of its methods";
  Message m;
  m << "kcube: ";
  const std::string_view who = call->who().empty() ? "(unnamed)" : call->who();
  if (this_thread)
    m << "plugin " << who << " called " << function;
  else
    m << function;
  if (status != nullptr)
    m << "(" << *status << ")";
  else
    m << "()";
  if (this_thread)
    m << " during " << what;
  else
    m << " on a thread of its own while plugin " << who << " was in " << what;
  m << "; a plugin must not end the process, so kcube stops here (exit status " << kPluginExitStatus
    << "): fix the plugin. The results store of a run keeps every cell finished before, and "
       "'kcube run MANIFEST --store STORE --resume' continues the run\n";
  m.write_to_stderr();
  // No destructor, no atexit handler, no unloading: other threads may still run plugin code.
  ::_exit(kPluginExitStatus);
}

void on_process_exit(int status, void* /*unused*/) {
  stop_if_in_plugin("exit", &status);
}
void on_process_quick_exit() {
  stop_if_in_plugin("quick_exit", nullptr);
}

}  // namespace

PluginCallGuard::PluginCallGuard(std::string_view who, std::string_view call) noexcept
    : who_(who), call_(call), outer_(t_innermost) {
  t_innermost = this;
  publish(this);
}

PluginCallGuard::~PluginCallGuard() {
  t_innermost = outer_;
  publish(outer_);
}

void install_exit_guard() noexcept {
  static std::once_flag once;
  try {
    std::call_once(once, [] {
      ::on_exit(&on_process_exit, nullptr);
      std::at_quick_exit(&on_process_quick_exit);
    });
  } catch (...) {  // call_once failed to run: the process stays as it was, unguarded
  }
}

}  // namespace kcube
