#include "run/team.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <iostream>
#include <mutex>
#include <new>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "host/plugin_call.hpp"
#include "kcube/error.hpp"
#include "util/text.hpp"

#if KCUBE_WITH_MPI
#include <mpi.h>

#include "run/cell_codec.hpp"
#endif

namespace kcube {
namespace {

// How long an idle rank sleeps between looks at its messages.
constexpr auto kPollInterval = std::chrono::microseconds(500);

// The variables MPI launchers set in the processes they start: Open MPI's mpirun, MPICH's and
// Intel MPI's Hydra (PMI), and Slurm's srun with PMIx.
struct Launch {
  bool launched = false;
  std::string variable;
  long size = -1;  // -1: not told
  long rank = -1;
};

Launch launch_of_environment() {
  Launch launch;
  const auto number = [](const char* name) -> long {
    const char* v = std::getenv(name);
    return v == nullptr ? -1 : std::strtol(v, nullptr, 10);
  };
  for (const char* size : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    if (std::getenv(size) != nullptr) {
      launch.launched = true;
      launch.variable = size;
      launch.size = number(size);
      break;
    }
  }
  for (const char* rank : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"}) {
    if (std::getenv(rank) != nullptr) {
      launch.launched = true;
      if (launch.variable.empty())
        launch.variable = rank;
      launch.rank = number(rank);
      break;
    }
  }
  return launch;
}

// A process alone.
class Solo final : public Team {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::vector<std::string> hosts() override { return {host_name()}; }
  void settle(std::exception_ptr failure) override {
    if (failure)
      std::rethrow_exception(failure);
  }
  void check_same(const std::string&) override {}
  ShareStats share_cells(const std::vector<std::size_t>&,
                         const std::function<CellResult(std::size_t)>&,
                         const std::function<bool(std::size_t, CellResult&&)>&) override {
    throw std::logic_error("Team::share_cells needs more than one process");
  }
  void finish() override {}
};

#if KCUBE_WITH_MPI

enum Tag : int { kAssign = 1, kStop = 2, kResult = 3, kSkipped = 4 };

class MpiTeam final : public Team {
 public:
  MpiTeam() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    rank_hosts_ = gather(host_name());
    if (provided < MPI_THREAD_FUNNELED) {
      try {
        settle(std::make_exception_ptr(RuntimeFailure(
            "kcube run: this MPI library cannot be used by a program with several threads "
            "(MPI_THREAD_FUNNELED not provided), and kcube runs cells on threads besides MPI's: "
            "use an MPI built with thread support (Debian's Open MPI is)")));
      } catch (...) {
        MPI_Finalize();
        throw;
      }
    }
  }
  // Every path out of a run reaches here or finish() on every rank (a failure of rank 0 after
  // the cells, e.g. a full disk when marking the run finished, included), so this waits for the
  // others as finish() does; failures while cells are shared end every rank with MPI_Abort.
  ~MpiTeam() override { finish(); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  std::vector<std::string> hosts() override {
    std::vector<std::string> out;
    for (const auto& h : rank_hosts_) {
      if (std::find(out.begin(), out.end(), h) == out.end())
        out.push_back(h);
    }
    return out;
  }

  void settle(std::exception_ptr failure) override {
    const Ending mine = failure ? ending_of(failure) : Ending{0, ""};
    const auto outcomes = gather(std::to_string(mine.code) + "\n" + mine.message);
    int verdict = 0;
    std::string message;
    if (leader()) {
      std::string primary;
      for (int r = 0; r < size_; ++r) {
        const auto& o = outcomes[static_cast<std::size_t>(r)];
        const auto nl = o.find('\n');
        const int c = std::atoi(o.substr(0, nl).c_str());
        if (c == 0)
          continue;
        const std::string text = o.substr(nl + 1);
        if (verdict == 0) {
          verdict = c;
          primary = text;
          message = r == 0 ? text : who(r) + ": " + text;
        } else if (text != primary) {
          message += "\n  " + who(r) + ": " + text;
        }
      }
    }
    MPI_Bcast(&verdict, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (verdict == 0)
      return;
    // Rank 0 says why before any rank leaves: mpirun ends every process as soon as one exits
    // with an error, so a message printed on the way out (by main) could be lost.
    if (leader())
      std::cerr << Ending{verdict, message}.line() << std::endl;
    throw TeamStop(verdict);
  }

  void check_same(const std::string& description) override {
    const auto all = gather(description);
    std::exception_ptr mismatch;
    if (leader()) {
      for (int r = 1; r < size_ && !mismatch; ++r) {
        const auto& theirs = all[static_cast<std::size_t>(r)];
        if (theirs == description)
          continue;
        std::istringstream a(description), b(theirs);
        std::string la, lb;
        while (true) {
          const bool ga = static_cast<bool>(std::getline(a, la));
          const bool gb = static_cast<bool>(std::getline(b, lb));
          if (!ga)
            la = "(nothing)";
          if (!gb)
            lb = "(nothing)";
          if (la != lb || (!ga && !gb))
            break;
        }
        mismatch = std::make_exception_ptr(
            Error("kcube run: the ranks would not run the same cells: " + who(0) + " has '" + la +
                  "', " + who(r) + " has '" + lb +
                  "'. Every rank must read the same manifest with the same --set and --shard "
                  "options and find the same plugins (a shared file system, or the same install "
                  "on every node); nothing was run"));
      }
    }
    settle(mismatch);
  }

  ShareStats share_cells(const std::vector<std::size_t>& pending,
                         const std::function<CellResult(std::size_t)>& run,
                         const std::function<bool(std::size_t, CellResult&&)>& on_result) override {
    ShareStats stats;
    try {
      if (leader())
        stats = coordinate(pending, run, on_result);
      else
        serve(run);
    } catch (...) {
      std::cerr << "failure: " << (leader() ? std::string() : who(rank_) + ": ")
                << text::printable(current_exception_text())
                << "\nkcube run: stopping every rank. The store keeps every cell written so far "
                   "and the run stays 'running': the same command with --resume continues it\n"
                << std::flush;
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return stats;
  }

  void finish() override {
    if (finished_)
      return;
    // MPI_Barrier would busy-poll on ranks that arrive early, taking cores from ranks still
    // working (e.g. rank 0 storing its last cells).
    MPI_Request barrier = MPI_REQUEST_NULL;
    MPI_Ibarrier(MPI_COMM_WORLD, &barrier);
    int done = 0;
    while (MPI_Test(&barrier, &done, MPI_STATUS_IGNORE), done == 0)
      std::this_thread::sleep_for(kPollInterval);
    finished_ = true;
    MPI_Finalize();
  }

 private:
  // "rank 3 (node17)".
  std::string who(int r) const {
    return "rank " + std::to_string(r) + " (" + rank_hosts_[static_cast<std::size_t>(r)] + ")";
  }

  // Every rank's `text`, on rank 0 (empty elsewhere).
  std::vector<std::string> gather(const std::string& text) {
    const int length = static_cast<int>(text.size());
    std::vector<int> lengths(leader() ? static_cast<std::size_t>(size_) : 0);
    MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::vector<int> offsets(lengths.size(), 0);
    int total = 0;
    for (std::size_t r = 0; r < lengths.size(); ++r) {
      offsets[r] = total;
      total += lengths[r];
    }
    std::string all(static_cast<std::size_t>(total), '\0');
    MPI_Gatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
                0, MPI_COMM_WORLD);
    std::vector<std::string> out;
    for (std::size_t r = 0; r < lengths.size(); ++r)
      out.push_back(
          all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(lengths[r])));
    return out;
  }

  // Rank 0's second thread: runs the cells rank 0 keeps for itself.
  struct LocalWorker {
    std::mutex mutex;
    std::condition_variable work, done;
    std::deque<std::size_t> queue;
    std::deque<std::pair<std::size_t, CellResult>> results;
    std::exception_ptr failure;
    bool stop = false;
    std::thread thread;

    void start(const std::function<CellResult(std::size_t)>& run) {
      thread = std::thread([this, &run] {
        while (true) {
          std::size_t index = 0;
          {
            std::unique_lock lock(mutex);
            work.wait(lock, [this] { return stop || !queue.empty(); });
            if (queue.empty())
              return;
            index = queue.front();
            queue.pop_front();
          }
          try {
            CellResult result = run(index);
            std::lock_guard lock(mutex);
            results.emplace_back(index, std::move(result));
          } catch (...) {
            std::lock_guard lock(mutex);
            failure = std::current_exception();
          }
          done.notify_one();
        }
      });
    }
    void end() {
      {
        std::lock_guard lock(mutex);
        stop = true;
        queue.clear();
      }
      work.notify_one();
      if (thread.joinable())
        thread.join();
    }
  };

  ShareStats coordinate(const std::vector<std::size_t>& pending,
                        const std::function<CellResult(std::size_t)>& run,
                        const std::function<bool(std::size_t, CellResult&&)>& on_result) {
    ShareStats stats;
    LocalWorker local;
    local.start(run);
    // On the way out of a failure the process is about to be aborted: the thread may be inside a
    // long cell, so it is not waited for.
    struct EndLocal {
      LocalWorker& local;
      int exceptions = std::uncaught_exceptions();
      ~EndLocal() {
        if (std::uncaught_exceptions() > exceptions)
          local.thread.detach();
        else
          local.end();
      }
    } end_local{local};

    std::size_t next = 0;
    bool handing = true;
    std::int64_t outstanding = 0;
    std::vector<std::int64_t> held(static_cast<std::size_t>(size_), 0);
    std::vector<bool> stopped(static_cast<std::size_t>(size_), false);

    const auto hand = [&](int to) {
      if (!handing || next == pending.size())
        return false;
      const std::size_t index = pending[next++];
      if (to == 0) {
        {
          std::lock_guard lock(local.mutex);
          local.queue.push_back(index);
        }
        local.work.notify_one();
      } else {
        const auto value = static_cast<std::int64_t>(index);
        MPI_Send(&value, 1, MPI_INT64_T, to, kAssign, MPI_COMM_WORLD);
      }
      ++held[static_cast<std::size_t>(to)];
      ++outstanding;
      return true;
    };
    // A rank that will get no more cells is told so; with `drop` it also skips those it holds.
    const auto stop = [&](int to, bool drop) {
      if (stopped[static_cast<std::size_t>(to)])
        return;
      stopped[static_cast<std::size_t>(to)] = true;
      const int flag = drop ? 1 : 0;
      MPI_Send(&flag, 1, MPI_INT, to, kStop, MPI_COMM_WORLD);
    };
    const auto stop_handing = [&] {
      handing = false;
      for (int r = 1; r < size_; ++r)
        stop(r, true);
      std::lock_guard lock(local.mutex);
      held[0] -= static_cast<std::int64_t>(local.queue.size());
      outstanding -= static_cast<std::int64_t>(local.queue.size());
      local.queue.clear();
    };
    const auto report = [&](std::size_t index, CellResult&& result) {
      const auto start = std::chrono::steady_clock::now();
      const bool go_on = on_result(index, std::move(result));
      stats.seconds_storing +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!go_on && handing)
        stop_handing();
    };

    hand(0);
    for (int r = 1; r < size_; ++r) {
      hand(r);
      hand(r);
      if (held[static_cast<std::size_t>(r)] == 0)
        stop(r, false);
    }
    std::string buffer;
    while (outstanding > 0) {
      bool progressed = false;
      // Rank 0's own cells.
      std::deque<std::pair<std::size_t, CellResult>> mine;
      {
        std::lock_guard lock(local.mutex);
        if (local.failure)
          std::rethrow_exception(local.failure);
        mine.swap(local.results);
      }
      for (auto& [index, result] : mine) {
        progressed = true;
        --held[0];
        --outstanding;
        ++stats.cells_here;
        hand(0);
        report(index, std::move(result));
      }
      // The other ranks' messages.
      while (true) {
        int flag = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
        if (flag == 0)
          break;
        progressed = true;
        const int from = status.MPI_SOURCE;
        if (status.MPI_TAG == kResult) {
          int bytes = 0;
          MPI_Get_count(&status, MPI_BYTE, &bytes);
          buffer.resize(static_cast<std::size_t>(bytes));
          MPI_Recv(buffer.data(), bytes, MPI_BYTE, from, kResult, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE);
          stats.bytes_received += bytes;
          ++stats.cells_elsewhere;
          --held[static_cast<std::size_t>(from)];
          --outstanding;
          // The next cell goes out before this one is stored: the rank never waits for the store.
          if (!hand(from))
            stop(from, !handing);
          const auto start = std::chrono::steady_clock::now();
          CellResult result = decode_cell(buffer, who(from));
          stats.seconds_storing +=
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          if (!result.position) {
            throw RuntimeFailure("the results of a cell from " + who(from) +
                                 " have no plan position");
          }
          report(static_cast<std::size_t>(*result.position), std::move(result));
        } else if (status.MPI_TAG == kSkipped) {
          std::int64_t index = 0;
          MPI_Recv(&index, 1, MPI_INT64_T, from, kSkipped, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          --held[static_cast<std::size_t>(from)];
          --outstanding;
        } else {
          throw RuntimeFailure("rank 0 received an unexpected message (tag " +
                               std::to_string(status.MPI_TAG) + ") from " + who(from) +
                               "; every process of a run must be the same kcube build");
        }
      }
      if (!progressed && outstanding > 0) {
        std::unique_lock lock(local.mutex);
        local.done.wait_for(lock, kPollInterval,
                            [&] { return !local.results.empty() || local.failure; });
      }
    }
    for (int r = 1; r < size_; ++r)
      stop(r, !handing);
    return stats;
  }

  void serve(const std::function<CellResult(std::size_t)>& run) {
    std::deque<std::size_t> held;
    bool stopped = false, drop = false;
    const auto receive = [&] {
      while (true) {
        int flag = 0;
        MPI_Status status;
        MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
        if (flag == 0)
          return;
        if (status.MPI_TAG == kAssign) {
          std::int64_t index = 0;
          MPI_Recv(&index, 1, MPI_INT64_T, 0, kAssign, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          held.push_back(static_cast<std::size_t>(index));
        } else if (status.MPI_TAG == kStop) {
          int flag_drop = 0;
          MPI_Recv(&flag_drop, 1, MPI_INT, 0, kStop, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          stopped = true;
          drop = flag_drop != 0;
        } else {
          throw RuntimeFailure(who(rank_) + " received an unexpected message (tag " +
                               std::to_string(status.MPI_TAG) +
                               ") from rank 0; every process of a run must be the same kcube "
                               "build");
        }
      }
    };
    while (true) {
      receive();
      if (drop) {
        for (const std::size_t index : held) {
          const auto value = static_cast<std::int64_t>(index);
          MPI_Send(&value, 1, MPI_INT64_T, 0, kSkipped, MPI_COMM_WORLD);
        }
        held.clear();
      }
      if (held.empty()) {
        if (stopped)
          return;
        std::this_thread::sleep_for(kPollInterval);
        continue;
      }
      const std::size_t index = held.front();
      held.pop_front();
      const std::string bytes = encode_cell(run(index));
      MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, 0, kResult, MPI_COMM_WORLD);
    }
  }

  int rank_ = 0;
  int size_ = 1;
  bool finished_ = false;
  std::vector<std::string> rank_hosts_;
};

#endif  // KCUBE_WITH_MPI

}  // namespace

Ending ending_of(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const TeamStop& stop) {
    return {stop.code(), ""};
  } catch (const Error& e) {
    return {2, e.what()};
  } catch (const std::bad_alloc&) {
    return {1, "out of memory (std::bad_alloc); lower run.trials or --threads, or free memory"};
  } catch (const std::exception& e) {
    return {1, e.what()};
  } catch (...) {
    return {1, "something that is not a std::exception was thrown"};
  }
}

std::string Ending::line() const {
  return text::printable((code == 2 ? "error: " : "failure: ") + message);
}

std::unique_ptr<Team> Team::join() {
  const Launch launch = launch_of_environment();
#if KCUBE_WITH_MPI
  if (launch.launched)
    return std::make_unique<MpiTeam>();
#else
  if (launch.launched && (launch.size > 1 || launch.rank > 0)) {
    throw Error(
        "kcube run: started by an MPI launcher (" + launch.variable + " is set" +
        (launch.size > 1 ? ": " + std::to_string(launch.size) + " processes" : std::string()) +
        "), but this kcube was built without MPI, so every process would run the whole study "
        "into the same store. Install Open MPI (bash tools/setup.sh installs libopenmpi-dev) and "
        "rebuild (KCUBE_WITH_MPI is on when CMake finds MPI), or split the run with --shard I/N");
  }
#endif
  return std::make_unique<Solo>();
}

std::string mpi_support() {
#if KCUBE_WITH_MPI
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, static_cast<std::size_t>(length));
  if (const auto cut = text.find_first_of(",\n"); cut != std::string::npos)
    text.resize(cut);
  return "built with MPI (" + text + ")";
#else
  return "built without MPI";
#endif
}

}  // namespace kcube
